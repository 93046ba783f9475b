"""API actions for aggregation rule sets and aggregations (``/api/3/action/budget_*``).

A rule set belongs to an organisation (``organization``) or overrides it for one dataset
(``package_id``). Every create/update/restore keeps a new version with its author and a
summary of what changed; documents concerned are re-aggregated. Rules are given as a
native dict or YAML/JSON text (``rules``) or as an uploaded file (``upload``) in one of
the formats ``native``, ``gironde`` (with ``corrections``) or ``mapping`` (with
``columns`` and ``hierarchies``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk
from werkzeug.datastructures import FileStorage

from .. import settings
from ..docbudg.aggregation import AggregationResult, FormulaError, RuleSet, RuleSetError
from ..docbudg.figures.report import export_dict, result_to_csv, result_to_dict
from ..documents import model as db
from . import diff, imports, service
from .model import AggregationRecord, RuleSetRecord

__all__ = [
    "budget_aggregate",
    "budget_ruleset_create",
    "budget_ruleset_delete",
    "budget_ruleset_history",
    "budget_ruleset_list",
    "budget_ruleset_restore",
    "budget_ruleset_show",
    "budget_ruleset_update",
]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _record(data_dict: dict[str, Any]) -> RuleSetRecord:
    """The rule set named by ``id``, or the one of ``package_id``, or of ``organization``."""
    record = None
    if data_dict.get("id"):
        record = service.get(str(data_dict["id"]))
    elif data_dict.get("package_id"):
        package = model.Package.get(str(data_dict["package_id"]))
        record = service.for_package(package.id) if package else None
    elif data_dict.get("organization"):
        group = model.Group.get(str(data_dict["organization"]))
        record = service.for_organization(group.id) if group else None
    else:
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    if record is None:
        raise tk.ObjectNotFound(tk._("Rule set not found"))
    return record


def _ruleset_dict(record: RuleSetRecord, number: int | None = None) -> dict[str, Any]:
    saved = service.version(record, number)
    if saved is None:
        raise tk.ObjectNotFound(tk._("No such version of the rule set."))
    group = model.Group.get(record.owner_org)
    return {
        "id": record.id,
        "organization": group.name if group else record.owner_org,
        "owner_org": record.owner_org,
        "package_id": record.package_id,
        "label": record.label,
        "version": saved.version,
        "current_version": record.version,
        "author": saved.author,
        "created": _iso(record.created),
        "updated": _iso(saved.created),
        "rules": saved.content,
    }


def _version_dict(saved: Any) -> dict[str, Any]:
    return {
        "version": saved.version,
        "author": saved.author,
        "created": _iso(saved.created),
        "comment": saved.comment,
        "restored_from": saved.restored_from,
        "changes": saved.changes,
        "summary": diff.describe(saved.changes, saved.restored_from),
    }


def _author(context: Any) -> str | None:
    user = context.get("auth_user_obj") or model.User.get(context.get("user") or "")
    return user.name if user else context.get("user") or None


def _file_bytes(value: Any) -> tuple[bytes | None, str]:
    if isinstance(value, FileStorage):
        try:
            return value.stream.read(), value.filename or ""
        finally:
            value.stream.close()
    if isinstance(value, bytes):
        return value, ""
    if isinstance(value, str) and value:
        return value.encode("utf-8"), ""
    return None, ""


def _rules_from(data_dict: dict[str, Any]) -> tuple[RuleSet, list[dict[str, str]]]:
    """The rule set given in ``rules`` or ``upload``, with what its import noticed."""
    fmt = data_dict.get("format") or "native"
    if fmt not in imports.FORMATS:
        raise tk.ValidationError({"format": [" | ".join(imports.FORMATS)]})
    rules = data_dict.get("rules")
    filename = str(data_dict.get("filename") or "")
    if rules in (None, "", {}):
        rules, filename = _file_bytes(data_dict.get("upload"))
    if rules in (None, b"", ""):
        raise tk.ValidationError({"rules": [tk._("Missing value")]})
    corrections, _ = _file_bytes(data_dict.get("corrections"))
    columns = imports.parse_columns(data_dict.get("columns"))
    hierarchies = imports.parse_hierarchies(data_dict.get("hierarchies"))
    if fmt == "mapping" and not (columns and hierarchies):
        raise tk.ValidationError(
            {
                "columns": [
                    tk._(
                        "Choose the columns of the spreadsheet: the codes (e.g. nature) and "
                        "the category levels of at least one tree."
                    )
                ]
            }
        )
    lang = settings.current_language()
    try:
        ruleset = imports.import_rules(
            fmt,
            rules,
            filename=filename,
            corrections=corrections,
            columns=columns,
            hierarchies=hierarchies,
            sheet=data_dict.get("sheet") or None,
            plan=imports.plan_for(data_dict) if fmt == "mapping" else None,
        )
    except RuleSetError as error:
        raise tk.ValidationError({"rules": [error.text(lang)]}) from None
    except FormulaError as error:
        raise tk.ValidationError({"rules": [error.text_in(lang)]}) from None
    except (imports.ImportProblem, ValueError, KeyError) as error:
        raise tk.ValidationError(
            {"rules": [tk._("The file could not be read: {error}").format(error=error)]}
        ) from None
    if data_dict.get("label"):
        ruleset.label = str(data_dict["label"])
    errors = ruleset.formula_errors()
    if errors:
        tree_id, leaf_id, error = errors[0]
        raise tk.ValidationError({"rules": [f"{tree_id}/{leaf_id}: {error.text_in(lang)}"]})
    notes = [note.as_dict() for note in ruleset.notes]
    return ruleset, notes


def _owner(data_dict: dict[str, Any]) -> tuple[str, str | None]:
    """(organisation id, dataset id or None) of a rule set to create."""
    if data_dict.get("package_id"):
        package = model.Package.get(str(data_dict["package_id"]))
        if package is None or package.state != "active":
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        if not package.owner_org:
            raise tk.ValidationError({"package_id": [tk._("The dataset has no organization.")]})
        return package.owner_org, package.id
    name = data_dict.get("organization") or data_dict.get("owner_org")
    if not name:
        raise tk.ValidationError({"organization": [tk._("Missing value")]})
    group = model.Group.get(str(name))
    if group is None or not group.is_organization or group.state != "active":
        raise tk.ObjectNotFound(tk._("Organization not found"))
    return group.id, None


def _optional_int(data_dict: dict[str, Any], key: str) -> int | None:
    value = data_dict.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise tk.ValidationError({key: [tk._("Invalid integer")]}) from None


@tk.side_effect_free
def budget_ruleset_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """A rule set in the native format (``rules``), current or of one ``version``.

    :param id: the rule set id, or :param organization: an organisation's rule set, or
        :param package_id: a dataset's override
    :param version: a version number (default: the current one)
    """
    record = _record(data_dict)
    tk.check_access("budget_ruleset_show", context, {"id": record.id})
    number = data_dict.get("version")
    try:
        number = int(number) if number not in (None, "") else None
    except (TypeError, ValueError):
        raise tk.ValidationError({"version": [tk._("Invalid integer")]}) from None
    return _ruleset_dict(record, number)


@tk.side_effect_free
def budget_ruleset_list(context: Any, data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """Rule sets of an organisation: its own first, then its datasets' overrides.

    :param organization: the organisation's name or id
    """
    name = data_dict.get("organization")
    if not name:
        raise tk.ValidationError({"organization": [tk._("Missing value")]})
    group = model.Group.get(str(name))
    if group is None or not group.is_organization:
        raise tk.ObjectNotFound(tk._("Organization not found"))
    tk.check_access("budget_ruleset_list", context, {"organization": group.id})
    out = []
    for record in service.of_organization(group.id):
        if record.package_id and not _can("package_show", context, record.package_id):
            continue
        out.append(
            {
                "id": record.id,
                "organization": group.name,
                "package_id": record.package_id,
                "label": record.label,
                "version": record.version,
                "updated": _iso(record.updated),
            }
        )
    return out


def _can(auth: str, context: Any, object_id: str) -> bool:
    try:
        tk.check_access(auth, dict(context), {"id": object_id})
    except tk.NotAuthorized:
        return False
    return True


def budget_ruleset_create(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Create the rule set of an organisation (or a dataset's override), version 1.

    :param organization: the organisation, or :param package_id: the dataset
    :param rules: a native rule set (dict, YAML or JSON text), or :param upload: a file
    :param format: ``native`` (default), ``gironde`` or ``mapping``
    :param corrections: (``gironde``) the split-lines CSV
    :param columns: (``mapping``) ``{role: column}`` for sens, mouvement, section,
        chapitre, nature, fonction; :param hierarchies: ``{tree id: [level columns]}``;
        :param sheet: the spreadsheet's sheet; :param nomenclature: and :param exer:
        the plan de comptes its codes are checked against (default: the latest document's)
    :param label: the rule set's name (default: the file's); :param comment: a note
    """
    owner_org, package_id = _owner(data_dict)
    tk.check_access(
        "budget_ruleset_create", context, {"owner_org": owner_org, "package_id": package_id}
    )
    existing = (
        service.for_package(package_id) if package_id else service.for_organization(owner_org)
    )
    if existing is not None:
        raise tk.ValidationError(
            {"organization": [tk._("A rule set already exists here: update it instead.")]}
        )
    ruleset, notes = _rules_from(data_dict)
    record = service.create(
        owner_org,
        ruleset,
        _author(context),
        package_id=package_id,
        comment=data_dict.get("comment"),
    )
    return {**_ruleset_dict(record), "notes": notes}


def budget_ruleset_update(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Save new rules as the next version (nothing is saved if they did not change).

    :param id: the rule set (or :param organization / :param package_id)
    and the same rule parameters as ``budget_ruleset_create``.
    :param base_version: (optional) the version the changes start from; if someone saved
        another version meanwhile, nothing is saved and a validation error says so
        (HTTP 409), instead of overwriting their changes
    """
    record = _record(data_dict)
    tk.check_access("budget_ruleset_update", context, {"id": record.id})
    ruleset, notes = _rules_from(data_dict)
    saved = service.save(
        record,
        ruleset,
        _author(context),
        comment=data_dict.get("comment"),
        base_version=_optional_int(data_dict, "base_version"),
    )
    return {
        **_ruleset_dict(record, saved.version if saved else None),
        "notes": notes,
        "changed": saved is not None,
        "summary": diff.describe(saved.changes) if saved else diff.describe([]),
    }


def budget_ruleset_delete(context: Any, data_dict: dict[str, Any]) -> None:
    """Delete a rule set and its history; its documents use the next rules that apply
    (the organisation's, else the default ones).

    :param id: the rule set (or :param organization / :param package_id)
    """
    record = _record(data_dict)
    tk.check_access("budget_ruleset_delete", context, {"id": record.id})
    service.delete(record)


@tk.side_effect_free
def budget_ruleset_history(context: Any, data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """Versions of a rule set, newest first: number, author, date, what changed.

    :param id: the rule set (or :param organization / :param package_id)
    """
    record = _record(data_dict)
    tk.check_access("budget_ruleset_history", context, {"id": record.id})
    return [_version_dict(saved) for saved in service.history(record)]


def budget_ruleset_restore(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Make an earlier version current again; this saves a new version.

    :param id: the rule set (or :param organization / :param package_id)
    :param version: the version to restore
    """
    record = _record(data_dict)
    tk.check_access("budget_ruleset_restore", context, {"id": record.id})
    try:
        number = int(data_dict.get("version"))
    except (TypeError, ValueError):
        raise tk.ValidationError({"version": [tk._("Invalid integer")]}) from None
    saved = service.restore(record, number, _author(context))
    return {**_ruleset_dict(record, saved.version), **_version_dict(saved)}


def _aggregation_dict(
    document: db.BudgetDocumentRecord,
    aggregation: AggregationRecord,
    result: AggregationResult | None,
    tree: str | None,
    fmt: str,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resource_id": document.resource_id,
        "package_id": document.package_id,
        "content_sha256": aggregation.content_sha256,
        "ruleset": {
            "id": aggregation.ruleset_id,
            "version": aggregation.ruleset_version,
            "name": aggregation.ruleset_name,
        },
        "computed": _iso(aggregation.computed),
        "ok": aggregation.ok,
    }
    if result is not None and tree:
        result = dataclasses.replace(result, trees={tree: result.trees[tree]})
    if fmt == "csv":
        out["csv"] = result_to_csv(result)
    elif result is not None:
        out["result"] = result_to_dict(result, with_lines=True)
    else:
        stored = service.result(aggregation)
        if tree:
            stored = dataclasses.replace(stored, trees=[t for t in stored.trees if t.id == tree])
        out["result"] = export_dict(stored)
    return out


@tk.side_effect_free
def budget_aggregate(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Totals per category of a document (or of every document of a dataset) with the
    rules that apply (the dataset's, its organisation's, else the default ones), and the
    checks; records which rule-set version and document content produced them.

    :param id: a resource id, or :param package_id: a dataset
    :param tree: one tree id (default: every tree)
    :param format: ``json`` (default) or ``csv`` (one row per category, under ``csv``)
    :param lines: ``true`` to list the lines behind each leaf (JSON)
    """
    fmt = data_dict.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise tk.ValidationError({"format": ["json | csv"]})
    tree = data_dict.get("tree") or None
    live = fmt == "csv" or tk.asbool(data_dict.get("lines", False))
    if data_dict.get("id") or data_dict.get("resource_id"):
        resource_id = str(data_dict.get("id") or data_dict.get("resource_id"))
        tk.check_access("budget_aggregate", context, {"id": resource_id})
        document = db.get_document(resource_id)
        if document is None or document.status != db.STATUS_DONE:
            raise tk.ObjectNotFound(tk._("This resource is not a processed budget document."))
        documents = [document]
        single = True
    elif data_dict.get("package_id"):
        tk.check_access("budget_aggregate", context, {"package_id": data_dict["package_id"]})
        package = model.Package.get(str(data_dict["package_id"]))
        if package is None:
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        documents = [d for d in db.documents_for_package(package.id) if d.status == db.STATUS_DONE]
        single = False
    else:
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    out = []
    for document in documents:
        if live:
            result, aggregation = service.compute(document)
        else:
            result, aggregation = None, service.fresh(document)
        trees = {t.id for t in service.result(aggregation).trees}
        if tree and tree not in trees:
            raise tk.ValidationError({"tree": [" | ".join(sorted(trees))]})
        out.append(_aggregation_dict(document, aggregation, result, tree, fmt))
    return out[0] if single else {"package_id": data_dict["package_id"], "documents": out}
