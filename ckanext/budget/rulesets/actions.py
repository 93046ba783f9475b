"""API actions for aggregation rule sets and aggregations (``/api/3/action/budget_*``).

A rule set belongs to an organisation (``organization``) or overrides it for one dataset
(``package_id``). Every create/update/restore keeps a new version with its author and a
summary of what changed. A version is published when saved unless ``publish`` is false:
then it is a draft, seen by the rule set's editors only, until ``budget_ruleset_publish``
(which refuses rules whose checks fail on a document unless ``accept_failing_checks``).
Documents concerned are re-aggregated when a version is published. Rules are given as a
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
from ..docbudg.aggregation import FormulaError, RuleSet, RuleSetError
from ..docbudg.figures.report import export_csv, export_dict
from ..documents import model as db
from ..validators import validated
from . import diff, imports, jobs, publishing, schema, service
from .model import AggregationRecord, RuleSetRecord

__all__ = [
    "budget_aggregate",
    "budget_ruleset_create",
    "budget_ruleset_delete",
    "budget_ruleset_history",
    "budget_ruleset_list",
    "budget_ruleset_publish",
    "budget_ruleset_restore",
    "budget_ruleset_show",
    "budget_ruleset_undelete",
    "budget_ruleset_update",
]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _record(data_dict: dict[str, Any]) -> RuleSetRecord:
    """The rule set named by ``id``, or the one of ``package_id``, or of ``organization``
    (``data_dict`` validated by ``schema.ruleset_schema``: one of them is there)."""
    if data_dict.get("id"):
        record = service.get(data_dict["id"])
    elif data_dict.get("package_id"):
        package = model.Package.get(data_dict["package_id"])
        record = service.for_package(package.id) if package else None
    else:
        group = model.Group.get(data_dict["organization"])
        record = service.for_organization(group.id) if group else None
    if record is None:
        raise tk.ObjectNotFound(tk._("Rule set not found"))
    return record


def _can_edit(context: Any, record: RuleSetRecord) -> bool:
    return _can("budget_ruleset_update", context, record.id)


def visible_version(context: Any, record: RuleSetRecord) -> int:
    """The latest version the user may read: its editors see drafts, everyone else the
    published version (a rule set never published is not found for them)."""
    if _can_edit(context, record):
        return record.version
    if record.published_version is None:
        raise tk.ObjectNotFound(tk._("Rule set not found"))
    return record.published_version


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
        "published_version": record.published_version,
        "draft": saved.published is None,
        "author": saved.author,
        "created": _iso(record.created),
        "updated": _iso(saved.created),
        "deleted": _iso(record.deleted),
        "deleted_by": record.deleted_by,
        "rules": saved.content,
    }


def _version_dict(saved: Any) -> dict[str, Any]:
    return {
        "version": saved.version,
        "author": saved.author,
        "created": _iso(saved.created),
        "comment": saved.comment,
        "restored_from": saved.restored_from,
        "published": _iso(saved.published),
        "published_by": saved.published_by,
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
    """The rule set given in ``rules`` or ``upload`` (``data_dict`` validated by
    ``schema.rules_schema``), with what its import noticed."""
    fmt = data_dict["format"]
    rules = data_dict.get("rules")
    filename = data_dict.get("filename", "")
    if not rules:
        rules, filename = _file_bytes(data_dict.get("upload"))
    if not rules:
        raise tk.ValidationError({"rules": [tk._("Missing value")]})
    corrections, _ = _file_bytes(data_dict.get("corrections"))
    columns = data_dict.get("columns", {})
    hierarchies = data_dict.get("hierarchies", {})
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
            sheet=data_dict.get("sheet"),
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
        ruleset.label = data_dict["label"]
    errors = ruleset.formula_errors()
    if errors:
        tree_id, leaf_id, error = errors[0]
        raise tk.ValidationError({"rules": [f"{tree_id}/{leaf_id}: {error.text_in(lang)}"]})
    notes = [note.as_dict() for note in ruleset.notes]
    return ruleset, notes


def _owner(data_dict: dict[str, Any]) -> tuple[str, str | None]:
    """(organisation id, dataset id or None) of a rule set to create (``data_dict``
    validated by ``schema.create_schema``: one of them is named)."""
    if data_dict.get("package_id"):
        package = model.Package.get(data_dict["package_id"])
        if package is None or package.state != "active":
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        if not package.owner_org:
            raise tk.ValidationError({"package_id": [tk._("The dataset has no organization.")]})
        return package.owner_org, package.id
    group = model.Group.get(data_dict.get("organization") or data_dict["owner_org"])
    if group is None or not group.is_organization or group.state != "active":
        raise tk.ObjectNotFound(tk._("Organization not found"))
    return group.id, None


@tk.side_effect_free
def budget_ruleset_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """A rule set in the native format (``rules``), current or of one ``version``.

    :param id: the rule set id, or :param organization: an organisation's rule set, or
        :param package_id: a dataset's override
    :param version: a version number (default: the current one)
    """
    data_dict = validated(data_dict, schema.show_schema(), context)
    record = _record(data_dict)
    tk.check_access("budget_ruleset_show", context, {"id": record.id})
    latest = visible_version(context, record)
    number = data_dict.get("version", latest)
    if number > latest:  # a draft, for its editors only
        raise tk.ObjectNotFound(tk._("No such version of the rule set."))
    shown = _ruleset_dict(record, number)
    if not _can_edit(context, record):
        shown["current_version"] = latest
    return shown


@tk.side_effect_free
def budget_ruleset_list(context: Any, data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """Rule sets of an organisation: its own first, then its datasets' overrides; for its
    editors, then the deleted ones that can be restored (``deleted`` set).

    :param organization: the organisation's name or id
    """
    data_dict = validated(data_dict, schema.list_schema(), context)
    group = model.Group.get(data_dict["organization"])
    if group is None or not group.is_organization:
        raise tk.ObjectNotFound(tk._("Organization not found"))
    tk.check_access("budget_ruleset_list", context, {"organization": group.id})
    records = service.of_organization(group.id)
    if _can("budget_ruleset_create", context, group.id, key="owner_org"):
        records += service.deleted_in(group.id, every=True)
    out = []
    for record in records:
        if record.package_id and not _can("package_show", context, record.package_id):
            continue
        try:
            latest = visible_version(context, record)
        except tk.ObjectNotFound:  # never published, and not theirs to edit
            continue
        out.append(
            {
                "id": record.id,
                "organization": group.name,
                "package_id": record.package_id,
                "label": record.label,
                "version": latest,
                "published_version": record.published_version,
                "updated": _iso(record.updated),
                "deleted": _iso(record.deleted),
            }
        )
    return out


def _can(auth: str, context: Any, object_id: str, key: str = "id") -> bool:
    try:
        tk.check_access(auth, dict(context), {key: object_id})
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
    :param publish: ``false`` keeps the version a draft (default: published at once)
    """
    data_dict = validated(data_dict, schema.create_schema(), context)
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
        publish=data_dict["publish"],
    )
    return {**_ruleset_dict(record), "notes": notes}


def budget_ruleset_update(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Save new rules as the next version (nothing is saved if they did not change).

    :param id: the rule set (or :param organization / :param package_id)
    and the same rule parameters as ``budget_ruleset_create``.
    :param base_version: (optional) the version the changes start from; if someone saved
        another version meanwhile, nothing is saved and a validation error says so
        (HTTP 409), instead of overwriting their changes
    :param publish: ``false`` keeps the new version a draft (default: published at once)
    """
    data_dict = validated(data_dict, schema.update_schema(), context)
    record = _record(data_dict)
    tk.check_access("budget_ruleset_update", context, {"id": record.id})
    ruleset, notes = _rules_from(data_dict)
    saved = service.save(
        record,
        ruleset,
        _author(context),
        comment=data_dict.get("comment"),
        base_version=data_dict.get("base_version"),
        publish=data_dict["publish"],
    )
    return {
        **_ruleset_dict(record, saved.version if saved else None),
        "notes": notes,
        "changed": saved is not None,
        "summary": diff.describe(saved.changes) if saved else diff.describe([]),
    }


def budget_ruleset_delete(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Delete a rule set: its documents use the next rules that apply (the
    organisation's, else the default ones). It is kept with its history, readable by its
    editors, and can be restored (``budget_ruleset_undelete``).

    :param id: the rule set (or :param organization / :param package_id)
    """
    data_dict = validated(data_dict, schema.ruleset_schema(), context)
    record = _record(data_dict)
    tk.check_access("budget_ruleset_delete", context, {"id": record.id})
    entry = service.delete(record, _author(context))
    return {**_ruleset_dict(record, entry.version), **_version_dict(entry)}


def budget_ruleset_undelete(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Restore a deleted rule set: it applies again, as it was when deleted (a new entry
    in its history). Refused while other rules apply in its place.

    :param id: the deleted rule set (``budget_ruleset_list`` lists them for editors)
    """
    data_dict = validated(data_dict, schema.undelete_schema(), context)
    record = _record(data_dict)
    tk.check_access("budget_ruleset_undelete", context, {"id": record.id})
    entry = service.undelete(record, _author(context))
    return {**_ruleset_dict(record, entry.version), **_version_dict(entry)}


@tk.side_effect_free
def budget_ruleset_history(context: Any, data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """Versions of a rule set, newest first: number, author, date, what changed.

    :param id: the rule set (or :param organization / :param package_id)
    """
    data_dict = validated(data_dict, schema.ruleset_schema(), context)
    record = _record(data_dict)
    tk.check_access("budget_ruleset_history", context, {"id": record.id})
    latest = visible_version(context, record)
    return [_version_dict(saved) for saved in service.history(record) if saved.version <= latest]


def budget_ruleset_restore(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Make an earlier version current again; this saves a new version.

    :param id: the rule set (or :param organization / :param package_id)
    :param version: the version to restore
    :param publish: ``false`` keeps it a draft (default: published at once)
    """
    data_dict = validated(data_dict, schema.restore_schema(), context)
    record = _record(data_dict)
    tk.check_access("budget_ruleset_restore", context, {"id": record.id})
    saved = service.restore(
        record, data_dict["version"], _author(context), publish=data_dict["publish"]
    )
    return {**_ruleset_dict(record, saved.version), **_version_dict(saved)}


def budget_ruleset_publish(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Publish a rule set's latest version: the public pages show it from now on and its
    documents are aggregated again. Refused when, on one of the documents it applies to,
    a presentation of the new rules counts a line in no category or twice, unless
    ``accept_failing_checks`` (the public pages then say so).

    :param id: the rule set (or :param organization / :param package_id)
    :param version: (optional) the version expected to be the latest
    :param accept_failing_checks: publish even if the checks fail (default false)
    """
    data_dict = validated(data_dict, schema.publish_schema(), context)
    record = _record(data_dict)
    tk.check_access("budget_ruleset_publish", context, {"id": record.id})
    if not data_dict["accept_failing_checks"] and publishing.editable(record):
        failing = [found for found in publishing.impacts(record) if not found.impact.ok]
        if failing:
            raise tk.ValidationError(
                {
                    "accept_failing_checks": [
                        tk._(
                            "On {count} document(s), these rules count lines in no category "
                            "or twice (first: {document}). Correct them, or publish anyway "
                            "with accept_failing_checks (the public pages will say so)."
                        ).format(
                            count=len(failing),
                            document=f"{failing[0].document.exercice} {failing[0].document.stage}",
                        )
                    ]
                }
            )
    saved = service.publish(record, _author(context), data_dict.get("version"))
    return {**_ruleset_dict(record, saved.version), **_version_dict(saved)}


def _aggregation_dict(
    document: db.BudgetDocumentRecord,
    aggregation: AggregationRecord,
    tree: str | None,
    fmt: str,
    lines: bool,
) -> dict[str, Any]:
    """What is stored: the result (with each leaf's lines for ``lines`` and in CSV, read
    from what was stored with it)."""
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
        "current": True,
    }
    stored = service.result(aggregation, with_lines=lines or fmt == "csv")
    if tree:
        stored = dataclasses.replace(stored, trees=[t for t in stored.trees if t.id == tree])
    if fmt == "csv":
        out["csv"] = export_csv(stored)
    else:
        out["result"] = export_dict(stored)
    return out


def _computing_dict(document: db.BudgetDocumentRecord) -> dict[str, Any]:
    """A document whose aggregation is missing or out of date: the job that computes it is
    queued (``job_id``; None when the queue is unavailable), nothing computed here."""
    return {
        "resource_id": document.resource_id,
        "package_id": document.package_id,
        "content_sha256": document.content_sha256,
        "current": False,
        "job_id": jobs.queue(document),
        "message": jobs.COMPUTING.as_dict(),
    }


@tk.side_effect_free
def budget_aggregate(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Totals per category of a document (or of every document of a dataset) with the
    rules that apply (the dataset's, its organisation's, else the default ones), and the
    checks; records which rule-set version and document content produced them.

    A read: what is stored is returned (``current: true``). A document whose aggregation
    is missing or out of date (rules changed, a new content) is returned as
    ``current: false`` with a ``message`` and the ``job_id`` of the background job queued
    to compute it: ask again once it has run.

    :param id: a resource id, or :param package_id: a dataset
    :param tree: one tree id (default: every tree)
    :param format: ``json`` (default) or ``csv`` (one row per category, under ``csv``)
    :param lines: ``true`` to list the lines behind each leaf (JSON)
    """
    data_dict = validated(data_dict, schema.aggregate_schema(), context)
    fmt, tree = data_dict["format"], data_dict.get("tree")
    if data_dict.get("id"):
        resource_id = data_dict["id"]
        tk.check_access("budget_aggregate", context, {"id": resource_id})
        document = db.get_document(resource_id)
        if document is None or document.status != db.STATUS_DONE:
            raise tk.ObjectNotFound(tk._("This resource is not a processed budget document."))
        documents = [document]
        single = True
    else:
        tk.check_access("budget_aggregate", context, {"package_id": data_dict["package_id"]})
        package = model.Package.get(data_dict["package_id"])
        if package is None:
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        documents = [d for d in db.documents_for_package(package.id) if d.status == db.STATUS_DONE]
        single = False
    out = []
    for document in documents:
        aggregation = service.current(document)
        if aggregation is None:
            out.append(_computing_dict(document))
            continue
        trees = {t.id for t in service.result(aggregation).trees}
        if tree and tree not in trees:
            raise tk.ValidationError({"tree": [" | ".join(sorted(trees))]})
        out.append(_aggregation_dict(document, aggregation, tree, fmt, data_dict["lines"]))
    return out[0] if single else {"package_id": data_dict["package_id"], "documents": out}
