"""Stable URLs of the explorer beside the resource view: the embeddable page (no portal
header or footer) and the data behind each chart and table as CSV and JSON. Every route
checks access like CKAN's resource page: a private dataset is a 404 to outsiders."""

from __future__ import annotations

import csv
import io
import json

from ckan.plugins import toolkit as tk
from flask import Blueprint, Response

from ..docbudg.figures.levels import Level
from ..documents import access
from ..documents.presenters import download_name
from ..web.downloads import csv_download, safe_rows, wants_excel
from . import data, unknown_values

blueprint = Blueprint("budget_explorer", __name__)
PREFIX = "/dataset/<id>/resource/<resource_id>/budget/explorer"


def _load(id: str, resource_id: str) -> tuple[access.Target, data.Explorer]:
    target = access.load(id, resource_id, "budget_document_show", light=True)
    access.require_document(target)
    args = tk.request.args
    found = data.explorer(resource_id, args.get("tree"), args.get("node"))
    if found is None:
        tk.abort(404, tk._("This resource is not a processed budget document."))
    unknown_values.check_document(target.package, resource_id, found)
    return target, found


def embed(id: str, resource_id: str) -> str:
    """The explorer alone, to put in an iframe on another site."""
    target, found = _load(id, resource_id)
    return tk.render(
        "budget/explorer/embed.html",
        {"explorer": found, "pkg": target.package, "res": target.resource},
    )


def _level(found: data.Explorer) -> Level:
    if found.computing:  # a job computes them (queued by this read): not there yet
        tk.abort(
            503,
            tk._(
                "The figures of this document are being computed with the rules that apply "
                "to it: try again in a moment."
            ),
        )
    if found.level is None:
        tk.abort(404, tk._("This document has no aggregation yet."))
    return found.level


def _file_name(target: access.Target, level: Level, suffix: str) -> str:
    node = f"-{level.node_id}" if level.node_id else ""
    return download_name(target.resource.get("name"), f"{level.tree_id}{node}.{suffix}")


def export_csv(id: str, resource_id: str) -> Response:
    target, found = _load(id, resource_id)
    level = _level(found)
    rows = data.export_rows(level)
    buffer = io.StringIO()
    fields = list(rows[0]) if rows else ["id", "libelle", "montant"]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_rows(rows))
    name = _file_name(target, level, "csv")
    return csv_download(buffer.getvalue(), name, wants_excel(tk.request.args))


def export_json(id: str, resource_id: str) -> Response:
    _, found = _load(id, resource_id)
    level = _level(found)
    body = {
        "resource_id": resource_id,
        "arbre": level.tree_id,
        "noeud": level.node_id,
        "libelle": level.label,
        "total": f"{level.total:.2f}",
        "lignes" if level.is_leaf and level.node_id else "categories": data.export_rows(level),
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


blueprint.add_url_rule(f"{PREFIX}/embed", view_func=embed)
blueprint.add_url_rule(f"{PREFIX}/data.csv", view_func=export_csv)
blueprint.add_url_rule(f"{PREFIX}/data.json", view_func=export_json)
