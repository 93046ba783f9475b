"""Pages of one budget-document resource: its validation report (HTML and the stored
JSON), its derived files, and the editors' "process again" form."""

from __future__ import annotations

import json

from ckan.plugins import toolkit as tk
from flask import Blueprint, Response

from ..web.downloads import csv_download, wants_excel
from . import access, presenters
from . import model as db

blueprint = Blueprint("budget_document", __name__)
PREFIX = "/dataset/<id>/resource/<resource_id>/budget"


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    response = Response(body, mimetype=None, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def report(id: str, resource_id: str) -> str:
    """The validation report, grouped by layer and severity, in the page's language."""
    target = access.load(id, resource_id, "budget_validation_show")
    record = access.require_document(target)
    return tk.render(
        "budget/report.html",
        {
            "pkg_dict": target.package,
            "package": target.package,
            "resource": target.resource,
            "document": presenters.document_view(resource_id, with_figures=False),
            "report": (
                presenters.report_view(record.validation_report)
                if record.validation_report is not None
                else None
            ),
        },
    )


def report_json(id: str, resource_id: str) -> Response:
    """The stored report as it is (both languages): for programs and archiving."""
    target = access.load(id, resource_id, "budget_validation_show", light=True)
    record = access.require_document(target)
    if record.validation_report is None:
        tk.abort(404, tk._("This document has no validation report yet."))
    body = json.dumps(record.validation_report, ensure_ascii=False, indent=1).encode("utf-8")
    name = presenters.download_name(target.resource.get("name"), "validation.json")
    return _attachment(body, "application/json", name)


def derived_file(id: str, resource_id: str, name: str) -> Response:
    """A derived file (``scdl-budget.csv``…), named after the resource."""
    target = access.load(id, resource_id, "budget_document_show", light=True)
    access.require_document(target)
    export = db.get_export(resource_id, name)
    if export is None:
        tk.abort(404, tk._("This file does not exist for this document."))
    filename = presenters.download_name(target.resource.get("name"), export.name)
    if export.media_type.startswith("text/csv") and wants_excel(tk.request.args):
        return csv_download(export.content, filename, excel=True)
    return _attachment(export.content, export.media_type, filename)


def reprocess(id: str, resource_id: str) -> Response:
    """Queue the document's processing again, then back to the resource page."""
    access.protect_form()
    target = access.load(id, resource_id, "budget_reprocess")
    access.require_document(target)
    result = tk.get_action("budget_reprocess")(dict(target.context), {"id": resource_id})
    if result["documents"][0]["status"] == db.STATUS_FAILED:  # the queue is unavailable
        tk.h.flash_error(presenters.pick(db.get_document(resource_id).status_reason))
    else:
        tk.h.flash_success(
            tk._("The document will be processed again: this page shows when it is done.")
        )
    package = target.package
    return tk.redirect_to(
        f"{package['type']}_resource.read", id=package["name"], resource_id=resource_id
    )


blueprint.add_url_rule(f"{PREFIX}/report", view_func=report)
blueprint.add_url_rule(f"{PREFIX}/report.json", view_func=report_json)
blueprint.add_url_rule(f"{PREFIX}/files/<name>", view_func=derived_file)
blueprint.add_url_rule(f"{PREFIX}/reprocess", view_func=reprocess, methods=["POST"])
