"""API actions of ckanext-budget (``/api/3/action/budget_*``).

Every read goes through the auth functions of ``logic/auth.py``, which follow the
resource's visibility. Nothing here returns document content beyond what is published:
the stored documents and their derivatives are anonymised.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ckan.plugins import toolkit as tk
from werkzeug.datastructures import FileStorage

from .. import settings
from ..docbudg import errors
from . import jobs, upload
from . import model as db

__all__ = [
    "budget_document_show",
    "budget_lines",
    "budget_reprocess",
    "budget_validate",
    "budget_validation_show",
]

MAX_LINES_PER_PAGE = 5000
LINE_FILTER_PARAMS = {
    "cod_rd": "cod_rd",
    "CodRD": "cod_rd",
    "section": "section",
    "chapter": "chapter",
    "chapitre": "chapter",
    "fonction": "fonction",
    "function": "fonction",
    "nature": "nature",
    "op_budg": "op_budg",
    "OpBudg": "op_budg",
}
MOVEMENTS = {"reel": "0", "réel": "0", "real": "0", "ordre": "1", "order": "1"}


def _resource_id(data_dict: dict[str, Any]) -> str:
    resource_id = data_dict.get("id") or data_dict.get("resource_id")
    if not resource_id:
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    return str(resource_id)


def _document(context: Any, data_dict: dict[str, Any], auth: str) -> db.BudgetDocumentRecord:
    resource_id = _resource_id(data_dict)
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
    record = _document(context, data_dict, "budget_document_show")
    jobs.settle_interrupted(record)
    return record.as_dict()


@tk.side_effect_free
def budget_validation_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The validation report of a document: ``status`` is the processing status,
    ``validation_status`` the outcome (valid, warnings, errors), then counts and findings.

    :param id: the resource id
    :param lang: ``fr`` or ``en`` for messages in one language (default: both)
    """
    record = _document(context, data_dict, "budget_validation_show")
    jobs.settle_interrupted(record)
    report = record.validation_report
    if report is None:
        return {"status": record.status, "validation_status": None, "findings": []}
    lang = data_dict.get("lang")
    if lang in ("fr", "en"):
        report = _in_language(report, lang)
    report = dict(report)
    return {"status": record.status, "validation_status": report.pop("status", None), **report}


def _in_language(report: dict[str, Any], lang: str) -> dict[str, Any]:
    def pick(value: Any) -> Any:
        return value.get(lang) if isinstance(value, dict) and lang in value else value

    findings = [
        {**finding, "message": pick(finding.get("message")), "hint": pick(finding.get("hint"))}
        for finding in report.get("findings", [])
    ]
    return {**report, "findings": findings}


def _line_filters(data_dict: dict[str, Any]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for param, column in LINE_FILTER_PARAMS.items():
        value = data_dict.get(param)
        if value in (None, "", []):
            continue
        values = value if isinstance(value, list) else str(value).split(",")
        filters.setdefault(column, []).extend(v.strip() for v in values if v.strip())
    movement = str(data_dict.get("movement") or data_dict.get("mouvement") or "").lower()
    if movement:
        if movement not in MOVEMENTS:
            raise tk.ValidationError({"movement": ["reel | ordre"]})
        filters["op_budg"] = [MOVEMENTS[movement]]
    return filters


def _int(data_dict: dict[str, Any], key: str, default: int, maximum: int | None = None) -> int:
    try:
        value = int(data_dict.get(key, default))
    except (TypeError, ValueError):
        raise tk.ValidationError({key: [tk._("Invalid integer")]}) from None
    if value < 0:
        raise tk.ValidationError({key: [tk._("Must be a positive integer")]})
    return min(value, maximum) if maximum is not None else value


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
    record = _document(context, data_dict, "budget_lines")
    offset = _int(data_dict, "offset", 0)
    limit = _int(data_dict, "limit", 1000, MAX_LINES_PER_PAGE)
    total, lines = db.query_lines(
        record.resource_id, _line_filters(data_dict), offset=offset, limit=limit
    )
    rows = [db.line_as_dict(line) for line in lines]
    result: dict[str, Any] = {"total": total, "offset": offset, "limit": limit}
    if data_dict.get("format") == "csv":
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
    file = data_dict.get("upload")
    if not isinstance(file, FileStorage) or not file:
        raise tk.ValidationError({"upload": [tk._("Missing value")]})
    lang = data_dict.get("lang") if data_dict.get("lang") in ("fr", "en") else None
    lang = lang or settings.current_language()
    try:
        prepared = upload.prepare(file.stream, complete=True)
    except errors.BudgetDocError as error:
        return {
            "readable": False,
            "error": {"code": error.code, "message": error.text(lang)},
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
    if data_dict.get("id"):
        records = [db.get_document(str(data_dict["id"]))]
        if records[0] is None:
            raise tk.ObjectNotFound(tk._("This resource is not a processed budget document."))
    elif data_dict.get("package_id"):
        package = tk.get_action("package_show")(context, {"id": data_dict["package_id"]})
        records = db.documents_for_package(package["id"])
    else:
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    background = tk.asbool(data_dict.get("background", True))
    for record in records:
        jobs.reprocess(record.resource_id, in_background=background)
    return {
        "documents": [
            {"resource_id": r.resource_id, "status": r.status, "job_id": r.job_id} for r in records
        ]
    }
