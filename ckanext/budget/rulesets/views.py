"""Editor pages of aggregation rules: an organisation's (``/organization/<id>/budget-rules``)
and a dataset's own override of them (``/dataset/<id>/budget-rules``), see :mod:`.scope`.

Server-rendered forms (POST with CSRF token) that work without JavaScript: the tree with
its categories, a page per category (rename, formula with a preview on a chosen document,
move, delete, add a sub-category), the checks of every document, the history with
restore and a before/after of any two versions, import and export. Every change made
here is a draft: its editors see it on the real public pages (« Voir comme le public »)
and publish it explicitly, after seeing what it changes (``/publish``; a confirmation
when its checks fail). Deleting a rule set asks for confirmation and keeps it: its
editors find it on the index, with its history, and can restore it. With JavaScript, the
formula field also asks ``preview.json`` as the user types. Every change goes through the
``budget_ruleset_*`` actions, so permissions and versioning are the API's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk
from flask import Blueprint, Response, jsonify, request

from .. import formatting, settings
from ..docbudg.aggregation import (
    default_ruleset,
    dump_ruleset,
    plain,
    plain_text,
    ruleset_from_dict,
    ruleset_to_dict,
)
from ..docbudg.aggregation.codes import search_codes
from ..docbudg.aggregation.mapping import MAPPING_ROLES
from ..docbudg.aggregation.ruleset import MAX_TEXT, RuleSet, Texts, Tree
from ..docbudg.nomenclature import find_plan
from . import diff, editing, helpers, jobs, preview, publishing, service
from .imports import FORMATS as IMPORT_FORMATS
from .model import RuleSetRecord
from .scope import DATASET, ORGANIZATION, Scope, context, current, editor

blueprint = Blueprint(ORGANIZATION, __name__, url_prefix="/organization/<id>/budget-rules")
dataset_blueprint = Blueprint(DATASET, __name__, url_prefix="/dataset/<id>/budget-rules")
BLUEPRINTS = (blueprint, dataset_blueprint)

EXPORT_TYPES = {"yaml": "application/x-yaml; charset=utf-8", "json": "application/json"}
HIERARCHY_FIELDS = (("tree_id", "levels"), ("tree_id_2", "levels_2"), ("tree_id_3", "levels_3"))
"""Up to three hierarchies of a spreadsheet, each becoming an alternative tree."""


def _route(rule: str, **options: Any) -> Callable[[Callable], Callable]:
    """The same page for an organisation's rules and for a dataset's."""

    def register(view: Callable) -> Callable:
        for found in BLUEPRINTS:
            found.route(rule, **options)(view)
        return view

    return register


@blueprint.before_request
def _check_csrf_token() -> None:
    """Every form of the editor changes the rules: a POST needs its CSRF token, which
    CKAN 2.11 does not check on extension pages."""
    if request.method == "POST":
        from ..documents import access

        access.protect_form()


dataset_blueprint.before_request(_check_csrf_token)


def _can_see_dataset(package_id: str) -> bool:
    """A dataset's own rules are listed only to those who may see the dataset."""
    try:
        tk.check_access("package_show", context(), {"id": package_id})
    except tk.NotAuthorized:
        return False
    return True


def _record_or_404(scope: Scope) -> RuleSetRecord:
    record = scope.record()
    if record is None:
        tk.abort(404, tk._("This organization has no rule set yet."))
    return record


def _kept_or_404(scope: Scope) -> RuleSetRecord:
    """The scope's rule set, or the one named by ``?ruleset=`` (a deleted one of this
    scope: its history stays readable by editors, the action checks who reads)."""
    wanted = request.args.get("ruleset")
    if not wanted:
        return _record_or_404(scope)
    record = service.get(wanted)
    package_id = scope.package["id"] if scope.package else None
    if record is None or (record.owner_org, record.package_id) != (scope.org["id"], package_id):
        return tk.abort(404, tk._("Rule set not found"))
    return record


def _history_of(record: RuleSetRecord) -> list[dict[str, Any]]:
    """The versions as the action gives them, their dates as datetimes for the page."""
    try:
        versions = tk.get_action("budget_ruleset_history")(context(), {"id": record.id})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Not authorized to see this rule set."))
    except tk.ObjectNotFound:  # never published, and not theirs to edit
        return tk.abort(404, tk._("Rule set not found"))
    return [
        {
            **v,
            "created": datetime.datetime.fromisoformat(v["created"]),
            "published": datetime.datetime.fromisoformat(v["published"])
            if v["published"]
            else None,
        }
        for v in versions
    ]


def _render(template: str, scope: Scope, **extra: Any) -> str:
    extra_vars: dict[str, Any] = {
        "group_dict": scope.org,
        "group_type": "organization",
        "scope": scope,
        "rules_base": f"budget/rules/base_{'dataset' if scope.package else 'organization'}.html",
        "can_edit": scope.can_edit(),
        "money": formatting.money,
        "plain_formula": plain_text,
        "draft_previews": _draft_previews(scope) if scope.can_edit() else [],
        **extra,
    }
    if scope.package:
        extra_vars.update(
            pkg_dict=scope.package, pkg=scope.package, dataset_type=scope.package["type"]
        )
    return tk.render(f"budget/rules/{template}", extra_vars=extra_vars)


def _draft_previews(scope: Scope) -> list[tuple[str, str]]:
    """(dataset title, URL of its budget page showing the draft) for each dataset whose
    documents the scope's draft would change: « Voir comme le public »."""
    record = scope.record()
    if not publishing.editable(record):
        return []
    seen: dict[str, tuple[str, str]] = {}
    for document in service.documents_in_scope(record):
        package = model.Package.get(document.package_id)
        if package is not None and package.id not in seen:
            seen[package.id] = (
                package.title or package.name,
                tk.h.url_for("budget_page.read", id=package.name, apercu="brouillon"),
            )
    return list(seen.values())


def _update(record, rules: RuleSet, comment: str | None = None) -> dict[str, Any]:
    """Save ``rules`` as the next version (a draft) through the action; flash what
    changed."""
    result = tk.get_action("budget_ruleset_update")(
        context(),
        {"id": record.id, "rules": ruleset_to_dict(rules), "comment": comment, "publish": False},
    )
    if result["changed"]:
        tk.h.flash_success(
            tk._(
                "Version {version} saved as a draft: {summary} The public sees it once you "
                "publish it."
            ).format(version=result["version"], summary=result["summary"])
        )
    else:
        tk.h.flash_notice(tk._("Nothing changed."))
    return result


def _errors(error: tk.ValidationError) -> list[str]:
    out = []
    for messages in (error.error_dict or {}).values():
        out.extend(messages if isinstance(messages, list) else [str(messages)])
    return out or [str(error)]


def _document_label(document) -> str:
    parts = [str(document.exercice or ""), document.stage or ""]
    if document.num_dec:
        parts.append(f"n° {document.num_dec}")
    name = document.etablissement or document.collectivite or ""
    return " ".join(p for p in parts if p) + (f" — {name}" if name else "")


def _lang() -> str:
    return settings.current_language()


# --- overview ---------------------------------------------------------------------------


@_route("", methods=["GET"])
def index(id: str) -> str:
    scope = current(id)
    record = scope.record()
    extra: dict[str, Any] = {"record": record, "inherited": scope.inherited(), "deleted": []}
    if scope.can_edit():
        package_id = scope.package["id"] if scope.package else None
        extra["deleted"] = service.deleted_in(scope.org["id"], package_id)
    # Its editors see the latest version (a draft, maybe); everyone else the published one.
    shown = record.version if record is not None and scope.can_edit() else None
    if record is not None and shown is None:
        shown = record.published_version
        if shown is None:  # never published: as if there were none yet
            extra["record"] = record = None
    if record is not None:
        extra["trees"] = [
            (tree, list(tree.walk())) for tree in service.ruleset(record, shown).trees
        ]
        extra["last"] = service.version(record, shown)
    if not scope.package:
        overrides = []
        for found in service.of_organization(scope.org["id"]):
            if found.package_id and _can_see_dataset(found.package_id):
                package = model.Package.get(found.package_id)
                overrides.append((found, package))
        extra["overrides"] = overrides
    return _render("index.html", scope, **extra)


@_route("/create", methods=["POST"])
def create(id: str):
    scope = editor(id)
    source = request.form.get("source")
    inherited = scope.inherited()
    if source == "empty":
        rules = RuleSet(
            id=scope.name,
            label=scope.title,
            trees=[Tree(id="principal", label=tk._("Main presentation"))],
        )
    elif source == "organization" and inherited is not None:
        rules = service.ruleset(inherited)
        rules.label = tk._("{rules} — adapted for {dataset}").format(
            rules=rules.label, dataset=scope.title
        )
    else:
        rules = _defaults_for(scope)
    data = {**scope.owner(), "rules": ruleset_to_dict(rules), "publish": False}
    try:
        tk.get_action("budget_ruleset_create")(context(), data)
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
        return scope.redirect("index")
    tk.h.flash_success(
        tk._(
            "The rule set was created as a draft (version 1): the public sees it once you "
            "publish it."
        )
    )
    return scope.redirect("index")


def _defaults_for(scope: Scope) -> RuleSet:
    """The default trees for the plan of the latest document (M14 2024 when there is
    none yet)."""
    documents = scope.documents()
    latest = documents[-1] if documents else None
    plan = None
    if latest is not None and latest.exercice and latest.nomenclature:
        plan = find_plan(latest.exercice, latest.nomenclature)
    rules = default_ruleset(plan or find_plan(2024, "M14"))
    rules.id, rules.label, rules.label_en = scope.name, scope.title, None
    return rules


@_route("/delete", methods=["GET", "POST"])
def delete(id: str):
    """GET: what deleting would do, and a confirmation form; POST: delete (kept, to be
    restored from the index)."""
    scope = editor(id)
    record = _record_or_404(scope)
    if request.method == "GET":
        affected: dict[str, dict[str, Any]] = {}
        for document in service.documents_in_scope(record):
            package = model.Package.get(document.package_id)
            found = affected.setdefault(document.package_id, {"package": package, "docs": []})
            found["docs"].append(_document_label(document))
        overrides = [] if scope.package else service.of_organization(scope.org["id"])[1:]
        return _render(
            "delete.html",
            scope,
            record=record,
            affected=list(affected.values()),
            inherited=scope.inherited(),
            overrides=len(overrides),
        )
    tk.get_action("budget_ruleset_delete")(context(), {"id": record.id})
    if scope.package:
        tk.h.flash_success(
            tk._(
                "The rules of this dataset were deleted: it uses its organization's again. "
                "They are kept below: restore them to apply them again."
            )
        )
    else:
        tk.h.flash_success(
            tk._(
                "The rule set was deleted: documents use the default rules. It is kept "
                "below: restore it to apply it again."
            )
        )
    return scope.redirect("index")


@_route("/undelete", methods=["POST"])
def undelete(id: str):
    """Restore a deleted rule set of this scope (named by the form's ``ruleset``)."""
    scope = editor(id)
    record = service.get(request.form.get("ruleset", ""))
    package_id = scope.package["id"] if scope.package else None
    if record is None or (record.owner_org, record.package_id) != (scope.org["id"], package_id):
        return tk.abort(404, tk._("Rule set not found"))
    try:
        result = tk.get_action("budget_ruleset_undelete")(context(), {"id": record.id})
        tk.h.flash_success(
            tk._(
                "The rule set « {label} » was restored and applies again (version {version})."
            ).format(label=record.label, version=result["version"])
        )
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
    return scope.redirect("index")


@_route("/tree", methods=["POST"])
def add_tree(id: str):
    scope = editor(id)
    record = _record_or_404(scope)
    try:
        rules = editing.add_tree(
            service.ruleset(record), request.form.get("tree_id", ""), request.form.get("label", "")
        )
        _update(record, rules)
    except editing.EditError as error:
        tk.h.flash_error(str(error))
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
    return scope.redirect("index")


@_route("/node/add", methods=["POST"])
def add_node(id: str):
    scope = editor(id)
    record = _record_or_404(scope)
    form = request.form
    tree_id, parent = form.get("tree", ""), form.get("parent") or None
    try:
        formula = form.get("formula", "")
        error = preview.formula_error(formula) if formula.strip() else None
        if error is not None:
            raise editing.EditError(error.text_in(_lang()))
        rules, node_id = editing.add_node(
            service.ruleset(record),
            tree_id,
            parent,
            form.get("node_id", ""),
            form.get("label", ""),
            formula,
        )
        _update(record, rules)
    except editing.EditError as error:
        tk.h.flash_error(str(error))
        return scope.redirect("index")
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
        return scope.redirect("index")
    return scope.redirect("node", tree=tree_id, node=node_id)


# --- one category -------------------------------------------------------------------------


def _chosen(scope: Scope):
    documents = scope.documents()
    chosen_id = request.values.get("document") or (documents[-1].resource_id if documents else "")
    return documents, chosen_id, next((d for d in documents if d.resource_id == chosen_id), None)


@_route("/node/<tree>/<node>", methods=["GET", "POST"])
def node(id: str, tree: str, node: str):
    scope = editor(id)
    record = _record_or_404(scope)
    rules = service.ruleset(record)
    try:
        category, parent = editing.find(rules, tree, node)
    except editing.EditError:
        return tk.abort(404, tk._("Unknown category {id}.").format(id=node))
    documents, chosen_id, chosen = _chosen(scope)
    formula = plain_text(category.formula_text)  # shown in plain French, whatever is stored
    shown = None
    errors: list[str] = []
    if request.method == "POST":
        op = request.form.get("op", "")
        try:
            if op in ("preview", "formula"):
                formula = request.form.get("formula", "")
                shown = preview.preview(rules, tree, node, formula, chosen)
                if op == "formula" and shown.error is None:
                    _update(record, editing.set_formula(rules, tree, node, formula))
                    return scope.redirect("node", tree=tree, node=node, document=chosen_id or None)
            elif op == "rename":
                _update(
                    record,
                    editing.rename_node(
                        rules,
                        tree,
                        node,
                        request.form.get("label", ""),
                        request.form.get("label_en", ""),
                    ),
                )
                return scope.redirect("node", tree=tree, node=node)
            elif op == "texts":
                _update(record, editing.set_texts(rules, tree, node, _form_texts(request.form)))
                return scope.redirect("node", tree=tree, node=node)
            elif op in ("up", "down", "move"):
                moved = editing.move_node(
                    rules,
                    tree,
                    node,
                    direction=op if op != "move" else None,
                    parent_id=request.form.get("parent") or None,
                )
                _update(record, moved)
                return scope.redirect("node", tree=tree, node=node)
            elif op == "delete":
                _update(record, editing.delete_node(rules, tree, node))
                return scope.redirect("index")
        except editing.EditError as error:
            errors.append(str(error))
        except tk.ValidationError as error:
            errors.extend(_errors(error))
    elif chosen is not None and formula and category.is_leaf:
        shown = preview.stored(record, tree, node, chosen)  # a GET aggregates nothing
    shown_tree = rules.tree(tree)
    inside = editing.ids([category])
    return _render(
        "node.html",
        scope,
        record=record,
        tree=shown_tree,
        category=category,
        parent=parent,
        formula=formula,
        preview=shown,
        errors=errors,
        documents=[(d.resource_id, _document_label(d)) for d in documents],
        chosen=chosen_id,
        targets=[(c.id, c.label, depth) for c, depth in shown_tree.walk() if c.id not in inside],
        lang=_lang(),
        text_years=_text_years(documents, category.texts),
        max_text=MAX_TEXT,
        posted=request.form if request.form.get("op") == "texts" else None,
    )


# --- editorial texts -----------------------------------------------------------------------


def _text_years(documents: list, texts: Texts) -> list[int]:
    """The years a text can be written for: those of the scope's documents and those
    that have one, latest first."""
    return sorted({d.exercice for d in documents if d.exercice} | set(texts), reverse=True)


def _form_texts(form: Any) -> dict[int, tuple[str, str]]:
    """``{year: (french, english)}`` from a texts form: the fields ``fr-<year>`` and
    ``en-<year>`` of the years listed in ``years``, and a text for ``new_year``."""
    out: dict[int, tuple[str, str]] = {}
    for value in form.getlist("years"):
        if value.isdigit():
            out[int(value)] = (form.get(f"fr-{value}", ""), form.get(f"en-{value}", ""))
    new_year = form.get("new_year", "").strip()
    if new_year or form.get("new_fr", "").strip() or form.get("new_en", "").strip():
        if not new_year.isdigit():
            raise editing.EditError(tk._("Give the year of the new text (e.g. 2024)."))
        out[int(new_year)] = (form.get("new_fr", ""), form.get("new_en", ""))
    return out


@_route("/texts", methods=["GET", "POST"])
def texts(id: str):
    """The editorial texts on the whole budget, by year (« Ce qui s'est passé cette
    année » on the budget page)."""
    scope = editor(id)
    record = _record_or_404(scope)
    rules = service.ruleset(record)
    errors: list[str] = []
    if request.method == "POST":
        try:
            _update(record, editing.set_texts(rules, None, None, _form_texts(request.form)))
            return scope.redirect("texts")
        except editing.EditError as error:
            errors.append(str(error))
        except tk.ValidationError as error:
            errors.extend(_errors(error))
    return _render(
        "texts.html",
        scope,
        record=record,
        texts=rules.texts,
        errors=errors,
        text_years=_text_years(scope.documents(), rules.texts),
        max_text=MAX_TEXT,
        posted=request.form if request.method == "POST" else None,
    )


@_route("/node/<tree>/<node>/preview.json", methods=["POST"])
def preview_json(id: str, tree: str, node: str) -> Response:
    """What the formula being typed selects in the chosen document (see
    :func:`.preview.as_json`); the page's JavaScript calls it, nothing is saved."""
    scope = editor(id)
    record = _record_or_404(scope)
    rules = service.ruleset(record)
    try:
        editing.find(rules, tree, node)
    except editing.EditError:
        return tk.abort(404, tk._("Unknown category {id}.").format(id=node))
    _, _, chosen = _chosen(scope)
    formula = request.form.get("formula", "")
    try:
        shown = preview.preview(rules, tree, node, formula, chosen)
    except editing.EditError as error:
        return jsonify({"ok": False, "message": str(error)})
    return jsonify(preview.as_json(shown, _lang()))


def _plan_of(scope: Scope):
    """The plan de comptes of the scope's latest document (M14 2024 without one): the
    codes its formulas name."""
    documents = scope.documents()
    latest = documents[-1] if documents else None
    plan = None
    if latest is not None and latest.exercice and latest.nomenclature:
        plan = find_plan(latest.exercice, latest.nomenclature)
    return plan or find_plan(2024, "M14")


CODES_SHOWN = 200
"""Codes listed on the page at most (a plan has about two thousand)."""
CODES_SUGGESTED = 12


@_route("/codes", methods=["GET"])
def codes(id: str) -> str:
    """The chapters, accounts and functions a formula can name, with their labels,
    searchable without JavaScript (``?q=personnel``, ``?q=chapitre 01``)."""
    scope = editor(id)
    record = _record_or_404(scope)
    query = request.args.get("q", "").strip()[:100]
    plan = _plan_of(scope)
    found, total = search_codes(plan, query, CODES_SHOWN)
    back = request.args.get("node", "")
    return _render(
        "codes.html",
        scope,
        record=record,
        q=query,
        found=found,
        total=total,
        plan=plan,
        back_tree=request.args.get("tree", ""),
        back_node=back,
    )


@_route("/codes.json", methods=["GET"])
def codes_json(id: str) -> Response:
    """The codes suggested as a formula is typed (``?q=chapitre 01``)."""
    scope = editor(id)
    _record_or_404(scope)
    query = request.args.get("q", "").strip()[:100]
    found, total = search_codes(_plan_of(scope), query, CODES_SUGGESTED)
    return jsonify(
        {
            "total": total,
            "codes": [
                {"kind": c.kind, "code": c.code, "label": c.label, "formula": c.formula}
                for c in found
            ],
        }
    )


# --- checks, history, import, export -------------------------------------------------------


@_route("/checks", methods=["GET"])
def checks(id: str) -> str:
    scope = editor(id)
    rows = []
    for document in scope.documents():
        aggregation = jobs.current_or_queue(document)  # None: being computed
        package = model.Package.get(document.package_id)
        rows.append(
            {
                "document": document,
                "label": _document_label(document),
                "package": package,
                "aggregation": aggregation,
                "trees": [
                    {
                        "tree": tree,
                        "messages": helpers.tree_messages(tree),
                        "unmatched": tree.checks.unmatched if tree.checks else [],
                        "twice": tree.checks.counted_twice if tree.checks else [],
                        "totals": tree.checks.totals if tree.checks else {},
                    }
                    for tree in (service.result(aggregation).trees if aggregation else [])
                ],
            }
        )
    return _render("checks.html", scope, rows=rows, record=scope.record())


@_route("/history", methods=["GET"])
def history(id: str) -> str:
    scope = current(id)
    record = _kept_or_404(scope)
    versions = _history_of(record)
    return _render("history.html", scope, record=record, versions=versions)


def _version_number(name: str, default: int, versions: list[int]) -> int:
    """A version chosen in the comparison form (404 for one that does not exist)."""
    value = request.args.get(name, "").strip() or str(default)
    if not value.isdigit() or int(value) not in versions:
        return tk.abort(404, tk._("No such version of the rule set."))
    return int(value)


@_route("/compare", methods=["GET"])
def compare(id: str) -> str:
    """Two versions side by side (``from``, ``to``; default: the previous and the
    current one): the categories and formulas that differ."""
    scope = current(id)
    record = _kept_or_404(scope)
    versions = _history_of(record)
    numbers = [v["version"] for v in versions]
    newer = _version_number("to", max(numbers, default=record.version), numbers)
    older = _version_number("from", max(newer - 1, 1), numbers)
    return _render(
        "compare.html",
        scope,
        record=record,
        versions=versions,
        older=older,
        newer=newer,
        trees=diff.compare(service.ruleset(record, older), service.ruleset(record, newer)),
        summary=diff.describe(
            diff.changes(service.ruleset(record, older), service.ruleset(record, newer))
        ),
    )


@_route("/restore", methods=["POST"])
def restore(id: str):
    scope = editor(id)
    record = _record_or_404(scope)
    try:
        result = tk.get_action("budget_ruleset_restore")(
            context(),
            {"id": record.id, "version": request.form.get("version"), "publish": False},
        )
        tk.h.flash_success(
            tk._(
                "Version {old} restored as version {version}, a draft: publish it to show it "
                "to the public."
            ).format(old=result["restored_from"], version=result["version"])
        )
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
    return scope.redirect("history")


@_route("/publish", methods=["GET", "POST"])
def publish(id: str):
    """GET: what publishing the draft changes on each document, and the form; POST:
    publish (a confirmation is required when the new rules fail their checks)."""
    scope = editor(id)
    record = _record_or_404(scope)
    if not publishing.editable(record):
        tk.h.flash_notice(tk._("There is no draft to publish: the public sees the latest version."))
        return scope.redirect("index")
    found = publishing.impacts(record)
    failing = [item for item in found if not item.impact.ok]
    errors: list[str] = []
    if request.method == "POST":
        confirmed = request.form.get("confirm") == "yes"
        if failing and not confirmed:
            errors.append(
                tk._(
                    "These rules count lines in no category or twice: tick the box to publish "
                    "them anyway, or correct them first."
                )
            )
        else:
            try:
                saved = tk.get_action("budget_ruleset_publish")(
                    context(),
                    {
                        "id": record.id,
                        "version": request.form.get("version") or None,
                        "accept_failing_checks": confirmed,
                    },
                )
            except tk.ValidationError as error:
                errors.extend(_errors(error))
            else:
                tk.h.flash_success(
                    tk._("Version {version} is published: the public pages show it.").format(
                        version=saved["version"]
                    )
                )
                return scope.redirect("index")
    return _render(
        "publish.html",
        scope,
        record=record,
        impacts=found,
        failing=failing,
        errors=errors,
        labels={item.document.resource_id: _document_label(item.document) for item in found},
        lang=_lang(),
    )


@_route("/import", methods=["GET", "POST"])
def import_rules(id: str):
    scope = editor(id)
    record = scope.record()
    errors: list[str] = []
    notes: list[str] = []
    form = request.form
    # First the format (a GET form), then the form of that format with only its fields.
    chosen = (
        form.get("format", "native") if request.method == "POST" else request.args.get("format")
    )
    if request.method == "POST":
        data = {
            "format": chosen,
            "upload": request.files.get("upload"),
            "corrections": request.files.get("corrections") or None,
            "columns": {role: form.get(f"column_{role}", "").strip() for role in MAPPING_ROLES},
            "hierarchies": _hierarchies(form),
            "sheet": form.get("sheet") or None,
            "nomenclature": form.get("nomenclature") or None,
            "exer": form.get("exer") or None,
            "comment": form.get("comment") or None,
            "publish": False,
        }
        if not data["upload"]:
            errors.append(tk._("Choose a file to import."))
        else:
            try:
                if record is None:
                    result = tk.get_action("budget_ruleset_create")(
                        context(), {**data, **scope.owner()}
                    )
                else:
                    result = tk.get_action("budget_ruleset_update")(
                        context(), {**data, "id": record.id}
                    )
                lang = _lang()
                notes = [note[lang] for note in result["notes"]]
                tk.h.flash_success(
                    tk._(
                        "Rules imported as a draft (version {version}): the public sees them "
                        "once you publish them."
                    ).format(version=result["version"])
                )
                if not notes:
                    return scope.redirect("index")
            except tk.ValidationError as error:
                errors.extend(_errors(error))
    return _render(
        "import.html",
        scope,
        record=record,
        errors=errors,
        notes=notes,
        form=form,
        fmt=chosen if chosen in IMPORT_FORMATS else None,
        roles=[(role, _role_label(role)) for role in MAPPING_ROLES],
        hierarchy_fields=HIERARCHY_FIELDS,
    )


def _role_label(role: str) -> str:
    return {
        "sens": tk._("Direction column (D/R, expenditure/receipt)"),
        "mouvement": tk._("Movement column (real/order)"),
        "section": tk._("Section column (F/I, operating/investment)"),
        "chapitre": tk._("Chapter column"),
        "nature": tk._("Nature (account) column"),
        "fonction": tk._("Function column"),
    }[role]


def _hierarchies(form) -> dict[str, list[str]]:
    """Hierarchies from the form: each a tree name and its level columns, one per line;
    several hierarchies of one sheet become alternative trees."""
    out: dict[str, list[str]] = {}
    for number, (tree_field, levels_field) in enumerate(HIERARCHY_FIELDS, start=1):
        levels = [c.strip() for c in (form.get(levels_field) or "").splitlines() if c.strip()]
        if levels:
            default = "correspondance" if number == 1 else f"correspondance-{number}"
            out[(form.get(tree_field) or "").strip() or default] = levels
    return out


@_route("/export.<fmt>", methods=["GET"])
def export(id: str, fmt: str) -> Response:
    scope = current(id)
    record = _record_or_404(scope)
    if fmt not in EXPORT_TYPES:
        tk.abort(404)
    shown = tk.get_action("budget_ruleset_show")(context(), {"id": record.id})
    text = dump_ruleset(ruleset_from_dict(shown["rules"]), fmt, render=plain)
    filename = f"regles-{scope.name}-v{shown['version']}.{fmt}"
    return Response(
        text,
        mimetype=EXPORT_TYPES[fmt].split(";")[0],
        headers={
            "Content-Type": EXPORT_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
