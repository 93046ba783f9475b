"""API actions of ckanext-budget (``/api/3/action/budget_*``).

Every read goes through the auth functions of ``documents/auth.py``, which follow the
resource's visibility. Nothing here returns document content beyond what is published:
the stored documents and their derivatives are anonymised.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ckan.plugins import toolkit as tk

from .. import settings
from ..docbudg import errors
from ..validators import validated
from . import jobs, schema, upload
from . import model as db

__all__ = [
    "budget_document_show",
    "budget_lines",
    "budget_reprocess",
    "budget_validate",
    "budget_validation_show",
]


def _document(context: Any, data_dict: dict[str, Any], auth: str) -> db.BudgetDocumentRecord:
    """The document of a validated ``data_dict``, if the user may see it."""
    resource_id = data_dict["id"]
    tk.check_access(auth, context, {"id": resource_id})
    record = db.get_document(resource_id)
    if record is None:
        raise tk.ObjectNotFound(tk._("This resource is not a processed budget document."))
    return record


@tk.side_effect_free
def budget_document_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """What the portal knows about a budget-document resource: identity, processing status,
    validation status and counts, anonymisation counts, derived files.

    :param id: the resource id
    """
    data_dict = validated(data_dict, schema.document_schema(), context)
    record = _document(context, data_dict, "budget_document_show")
    status, status_reason = jobs.shown_status(record)
    return {**record.as_dict(), "status": status, "status_reason": status_reason}


@tk.side_effect_free
def budget_validation_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The validation report of a document: ``status`` is the processing status,
    ``validation_status`` the outcome (valid, warnings, errors), then counts and findings.

    :param id: the resource id
    :param lang: ``fr`` or ``en`` for messages in one language (default: both)
    """
    data_dict = validated(data_dict, schema.validation_show_schema(), context)
    record = _document(context, data_dict, "budget_validation_show")
    status = jobs.shown_status(record)[0]
    report = record.validation_report
    if report is None:
        return {"status": status, "validation_status": None, "findings": []}
    if data_dict.get("lang"):
        report = _in_language(report, data_dict["lang"])
    report = dict(report)
    return {"status": status, "validation_status": report.pop("status", None), **report}


def _in_language(report: dict[str, Any], lang: str) -> dict[str, Any]:
    def pick(value: Any) -> Any:
        return value.get(lang) if isinstance(value, dict) and lang in value else value

    findings = [
        {**finding, "message": pick(finding.get("message")), "hint": pick(finding.get("hint"))}
        for finding in report.get("findings", [])
    ]
    return {**report, "findings": findings}


def _line_filters(data_dict: dict[str, Any]) -> dict[str, list[str]]:
    """The query's filters by column, from the validated parameters and their aliases."""
    filters: dict[str, list[str]] = {}
    for param, column in schema.LINE_FILTERS.items():
        if data_dict.get(param):
            filters.setdefault(column, []).extend(data_dict[param])
    movement = data_dict.get("movement") or data_dict.get("mouvement")
    if movement:
        filters["op_budg"] = [movement]
    return filters


@tk.side_effect_free
def budget_lines(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Budget lines of a document with their labels, filtered and paged.

    :param id: the resource id
    :param cod_rd: ``R`` or ``D`` (also ``CodRD``); :param section: ``F`` or ``I``
    :param chapter: chapter codes; :param fonction: function codes; :param nature: nature
        codes, which also match their sub-accounts (``60`` gives ``6042``)
    :param movement: ``reel`` or ``ordre``
    :param offset: first line (default 0); :param limit: lines per page (default 1000,
        at most 5000)
    :param format: ``json`` (default) or ``csv`` (the page as CSV text under ``csv``)
    """
    data_dict = validated(data_dict, schema.lines_schema(), context)
    record = _document(context, data_dict, "budget_lines")
    offset, limit = data_dict["offset"], data_dict["limit"]
    total, lines = db.query_lines(
        record.resource_id, _line_filters(data_dict), offset=offset, limit=limit
    )
    rows = [db.line_as_dict(line) for line in lines]
    result: dict[str, Any] = {"total": total, "offset": offset, "limit": limit}
    if data_dict["format"] == "csv":
        result["csv"] = lines_csv(rows)
    else:
        result["lines"] = rows
    return result


def lines_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    fields = list(rows[0]) if rows else list(db.line_as_dict(db.BudgetLineRecord()))
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def budget_validate(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Check a file before publishing it: anonymisation summary and validation report.
    Nothing is stored.

    :param upload: the document (multipart file upload, ``.xml`` or ``.xml.gz``)
    :param lang: ``fr`` or ``en`` (default: the request's language)
    """
    tk.check_access("budget_validate", context, data_dict)
    data_dict = validated(data_dict, schema.validate_schema(), context)
    file = data_dict["upload"]
    lang = data_dict.get("lang") or settings.current_language()
    try:
        prepared = upload.prepare(file.stream, complete=True)
    except errors.BudgetDocError as error:
        return {
            "readable": False,
            "error": {
                "code": error.code,
                "message": error.text(lang),
                "hint": error.hint.text(lang) if error.hint else None,
            },
            "validation": None,
        }
    finally:
        file.stream.close()
    header = prepared.header
    return {
        "readable": True,
        "header": {
            "collectivite": header.libelle_coll,
            "siret": header.id_etab or header.id_coll,
            "etablissement": header.libelle_etab,
            "nomenclature": header.nomenclature,
            "stage": header.stage.name if header.stage else None,
            "exercice": header.exer,
        },
        "name": upload.default_name(header, lang),
        "anonymisation": {
            **prepared.anonymisation.as_dict(),
            "summary": prepared.anonymisation.summary(lang),
        },
        "validation": prepared.validation.as_dict(lang) if prepared.validation else None,
    }


def budget_reprocess(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Process stored documents again (after a plan de comptes update, a failure…).

    :param id: a resource id, or :param package_id: every document of a dataset
    :param background: ``true`` (default) queues a job per document; ``false`` processes
        now, in the request
    """
    tk.check_access("budget_reprocess", context, data_dict)
    data_dict = validated(data_dict, schema.reprocess_schema(), context)
    if data_dict.get("id"):
        records = [db.get_document(data_dict["id"])]
        if records[0] is None:
            raise tk.ObjectNotFound(tk._("This resource is not a processed budget document."))
    else:
        package = tk.get_action("package_show")(context, {"id": data_dict["package_id"]})
        records = db.documents_for_package(package["id"])
    background = data_dict["background"]
    for record in records:
        jobs.reprocess(record.resource_id, in_background=background)
    return {
        "documents": [
            {"resource_id": r.resource_id, "status": r.status, "job_id": r.job_id} for r in records
        ]
    }
