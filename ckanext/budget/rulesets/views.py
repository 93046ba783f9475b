"""Editor pages of an organisation's aggregation rules (``/organization/<id>/budget-rules``).

Server-rendered forms (POST with CSRF token) that work without JavaScript: the tree with
its categories, a page per category (rename, formula with a preview on a chosen document,
move, delete, add a sub-category), the checks of every document, the history with
restore, import and export. Every change goes through the ``budget_ruleset_*`` actions,
so permissions and versioning are the API's.
"""

from __future__ import annotations

from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk
from flask import Blueprint, Response, request

from .. import settings
from ..docbudg.aggregation import (
    default_ruleset,
    dump_ruleset,
    ruleset_from_dict,
    ruleset_to_dict,
)
from ..docbudg.aggregation.importers import MAPPING_ROLES
from ..docbudg.aggregation.ruleset import RuleSet, Tree
from ..docbudg.nomenclature import find_plan
from . import editing, helpers, preview, service

blueprint = Blueprint("budget_rules", __name__, url_prefix="/organization/<id>/budget-rules")

EXPORT_TYPES = {"yaml": "application/x-yaml; charset=utf-8", "json": "application/json"}


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user else None, "model": model}


def _organization(org_id: str) -> dict[str, Any]:
    try:
        return tk.get_action("organization_show")(
            _context(), {"id": org_id, "include_datasets": False}
        )
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Organization not found"))


def _can_edit(org: dict[str, Any]) -> bool:
    try:
        tk.check_access("budget_ruleset_create", _context(), {"owner_org": org["id"]})
    except tk.NotAuthorized:
        return False
    return True


def _editor(org_id: str) -> dict[str, Any]:
    org = _organization(org_id)
    if not _can_edit(org):
        tk.abort(403, tk._("Not authorized to edit the rules of this organization"))
    return org


def _record_or_404(org: dict[str, Any]):
    record = service.for_organization(org["id"])
    if record is None:
        tk.abort(404, tk._("This organization has no rule set yet."))
    return record


def _render(template: str, org: dict[str, Any], **extra: Any) -> str:
    return tk.render(
        f"budget/rules/{template}",
        extra_vars={
            "group_dict": org,
            "group_type": "organization",
            "can_edit": _can_edit(org),
            "money": helpers.money,
            **extra,
        },
    )


def _update(record, content: dict[str, Any], comment: str | None = None) -> dict[str, Any]:
    """Save ``content`` as the next version through the action; flash what changed."""
    result = tk.get_action("budget_ruleset_update")(
        _context(), {"id": record.id, "rules": content, "comment": comment}
    )
    if result["changed"]:
        tk.h.flash_success(
            tk._("Version {version} saved: {summary}").format(
                version=result["version"], summary=result["summary"]
            )
        )
    else:
        tk.h.flash_notice(tk._("Nothing changed."))
    return result


def _errors(error: tk.ValidationError) -> list[str]:
    out = []
    for messages in (error.error_dict or {}).values():
        out.extend(messages if isinstance(messages, list) else [str(messages)])
    return out or [str(error)]


def _documents(org: dict[str, Any]) -> list:
    return service.documents_of_organization(org["id"])


def _document_label(document) -> str:
    parts = [str(document.exercice or ""), document.stage or ""]
    name = document.etablissement or document.collectivite or ""
    return " ".join(p for p in parts if p) + (f" — {name}" if name else "")


# --- overview ---------------------------------------------------------------------------


@blueprint.route("", methods=["GET"])
def index(id: str) -> str:
    org = _organization(id)
    record = service.for_organization(org["id"])
    context: dict[str, Any] = {"record": record}
    if record is not None:
        content = service.content(record)
        context["content"] = content
        context["trees"] = [(tree, editing.walk(tree)) for tree in content["trees"]]
        context["last"] = service.version(record)
        context["overrides"] = [r for r in service.of_organization(org["id"]) if r.package_id]
    return _render("index.html", org, **context)


@blueprint.route("/create", methods=["POST"])
def create(id: str):
    org = _editor(id)
    if request.form.get("source") == "empty":
        rules = RuleSet(
            id=org["name"],
            label=org["title"] or org["name"],
            trees=[Tree(id="principal", label=tk._("Main presentation"))],
        )
    else:
        rules = _defaults_for(org)
    data = {"organization": org["id"], "rules": ruleset_to_dict(rules)}
    tk.get_action("budget_ruleset_create")(_context(), data)
    tk.h.flash_success(tk._("The rule set was created (version 1)."))
    return tk.redirect_to("budget_rules.index", id=org["name"])


def _defaults_for(org: dict[str, Any]) -> RuleSet:
    """The default trees for the plan of the organisation's latest document (M14 2024
    when it has none yet)."""
    documents = _documents(org)
    latest = documents[-1] if documents else None
    plan = None
    if latest is not None and latest.exercice and latest.nomenclature:
        plan = find_plan(latest.exercice, latest.nomenclature)
    rules = default_ruleset(plan or find_plan(2024, "M14"))
    rules.id, rules.label, rules.label_en = org["name"], org["title"] or org["name"], None
    return rules


@blueprint.route("/delete", methods=["POST"])
def delete(id: str):
    org = _editor(id)
    record = _record_or_404(org)
    tk.get_action("budget_ruleset_delete")(_context(), {"id": record.id})
    tk.h.flash_success(tk._("The rule set was deleted: documents use the default rules."))
    return tk.redirect_to("budget_rules.index", id=org["name"])


@blueprint.route("/tree", methods=["POST"])
def add_tree(id: str):
    org = _editor(id)
    record = _record_or_404(org)
    try:
        content = editing.add_tree(
            service.content(record), request.form.get("tree_id", ""), request.form.get("label", "")
        )
        _update(record, content)
    except editing.EditError as error:
        tk.h.flash_error(str(error))
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
    return tk.redirect_to("budget_rules.index", id=org["name"])


@blueprint.route("/node/add", methods=["POST"])
def add_node(id: str):
    org = _editor(id)
    record = _record_or_404(org)
    form = request.form
    tree_id, parent = form.get("tree", ""), form.get("parent") or None
    try:
        formula = form.get("formula", "")
        error = preview.formula_error(formula) if formula.strip() else None
        if error is not None:
            raise editing.EditError(error.text_in(_lang()))
        content, node_id = editing.add_node(
            service.content(record),
            tree_id,
            parent,
            form.get("node_id", ""),
            form.get("label", ""),
            formula,
        )
        _update(record, content)
    except editing.EditError as error:
        tk.h.flash_error(str(error))
        return tk.redirect_to("budget_rules.index", id=org["name"])
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
        return tk.redirect_to("budget_rules.index", id=org["name"])
    return tk.redirect_to("budget_rules.node", id=org["name"], tree=tree_id, node=node_id)


def _lang() -> str:
    return settings.current_language()


# --- one category -------------------------------------------------------------------------


@blueprint.route("/node/<tree>/<node>", methods=["GET", "POST"])
def node(id: str, tree: str, node: str):
    org = _editor(id)
    record = _record_or_404(org)
    content = service.content(record)
    try:
        category, parent = editing.find(content, tree, node)
    except editing.EditError:
        return tk.abort(404, tk._("Unknown category {id}.").format(id=node))
    documents = _documents(org)
    chosen_id = request.values.get("document") or (documents[-1].resource_id if documents else "")
    chosen = next((d for d in documents if d.resource_id == chosen_id), None)
    formula = category.get("formula") or ""
    shown = None
    errors: list[str] = []
    if request.method == "POST":
        op = request.form.get("op", "")
        try:
            if op in ("preview", "formula"):
                formula = request.form.get("formula", "")
                shown = preview.preview(content, tree, node, formula, chosen)
                if op == "formula" and shown.error is None:
                    _update(record, editing.set_formula(content, tree, node, formula))
                    return tk.redirect_to(
                        "budget_rules.node",
                        id=org["name"],
                        tree=tree,
                        node=node,
                        document=chosen_id or None,
                    )
            elif op == "rename":
                _update(
                    record,
                    editing.rename_node(
                        content,
                        tree,
                        node,
                        request.form.get("label", ""),
                        request.form.get("label_en", ""),
                    ),
                )
                return tk.redirect_to("budget_rules.node", id=org["name"], tree=tree, node=node)
            elif op in ("up", "down", "move"):
                moved = editing.move_node(
                    content,
                    tree,
                    node,
                    direction=op if op != "move" else None,
                    parent_id=request.form.get("parent") or None,
                )
                _update(record, moved)
                return tk.redirect_to("budget_rules.node", id=org["name"], tree=tree, node=node)
            elif op == "delete":
                _update(record, editing.delete_node(content, tree, node))
                return tk.redirect_to("budget_rules.index", id=org["name"])
        except editing.EditError as error:
            errors.append(str(error))
        except tk.ValidationError as error:
            errors.extend(_errors(error))
    elif chosen is not None and formula and not category.get("children"):
        shown = preview.preview(content, tree, node, formula, chosen)
    tree_dict = next(t for t in content["trees"] if t["id"] == tree)
    inside = editing.ids({"categories": [category]})
    return _render(
        "node.html",
        org,
        record=record,
        tree=tree_dict,
        category=category,
        parent=parent,
        formula=formula,
        preview=shown,
        errors=errors,
        documents=[(d.resource_id, _document_label(d)) for d in documents],
        chosen=chosen_id,
        targets=[
            (n["id"], n["label"], d) for n, d in editing.walk(tree_dict) if n["id"] not in inside
        ],
        lang=_lang(),
    )


# --- checks, history, import, export -------------------------------------------------------


@blueprint.route("/checks", methods=["GET"])
def checks(id: str) -> str:
    org = _editor(id)
    rows = []
    for document in _documents(org):
        aggregation = service.fresh(document)
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
                        "unmatched": tree["controles"]["non_comptees"],
                        "twice": tree["controles"]["comptees_plusieurs_fois"],
                        "totals": tree["controles"]["totaux"],
                    }
                    for tree in aggregation.result["arbres"]
                ],
            }
        )
    return _render("checks.html", org, rows=rows, record=service.for_organization(org["id"]))


@blueprint.route("/history", methods=["GET"])
def history(id: str) -> str:
    org = _organization(id)
    record = _record_or_404(org)
    versions = tk.get_action("budget_ruleset_history")(_context(), {"id": record.id})
    return _render("history.html", org, record=record, versions=versions)


@blueprint.route("/restore", methods=["POST"])
def restore(id: str):
    org = _editor(id)
    record = _record_or_404(org)
    try:
        result = tk.get_action("budget_ruleset_restore")(
            _context(), {"id": record.id, "version": request.form.get("version")}
        )
        tk.h.flash_success(
            tk._("Version {old} restored as version {version}.").format(
                old=result["restored_from"], version=result["version"]
            )
        )
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_errors(error)))
    return tk.redirect_to("budget_rules.history", id=org["name"])


@blueprint.route("/import", methods=["GET", "POST"])
def import_rules(id: str):
    org = _editor(id)
    record = service.for_organization(org["id"])
    errors: list[str] = []
    notes: list[str] = []
    form = request.form
    if request.method == "POST":
        data = {
            "format": form.get("format", "native"),
            "upload": request.files.get("upload"),
            "corrections": request.files.get("corrections") or None,
            "columns": {role: form.get(f"column_{role}", "").strip() for role in MAPPING_ROLES},
            "hierarchies": _levels(form),
            "sheet": form.get("sheet") or None,
            "comment": form.get("comment") or None,
        }
        if not data["upload"]:
            errors.append(tk._("Choose a file to import."))
        else:
            try:
                if record is None:
                    result = tk.get_action("budget_ruleset_create")(
                        _context(), {**data, "organization": org["id"]}
                    )
                else:
                    result = tk.get_action("budget_ruleset_update")(
                        _context(), {**data, "id": record.id}
                    )
                lang = _lang()
                notes = [note[lang] for note in result["notes"]]
                tk.h.flash_success(
                    tk._("Rules imported (version {version}).").format(version=result["version"])
                )
                if not notes:
                    return tk.redirect_to("budget_rules.index", id=org["name"])
            except tk.ValidationError as error:
                errors.extend(_errors(error))
    return _render(
        "import.html",
        org,
        record=record,
        errors=errors,
        notes=notes,
        form=form,
        roles=MAPPING_ROLES,
    )


def _levels(form) -> dict[str, list[str]]:
    """Hierarchies from the form: a tree name and its level columns, one per line."""
    tree = (form.get("tree_id") or "").strip() or "correspondance"
    levels = [c.strip() for c in (form.get("levels") or "").splitlines() if c.strip()]
    return {tree: levels} if levels else {}


@blueprint.route("/export.<fmt>", methods=["GET"])
def export(id: str, fmt: str) -> Response:
    org = _organization(id)
    record = _record_or_404(org)
    if fmt not in EXPORT_TYPES:
        tk.abort(404)
    shown = tk.get_action("budget_ruleset_show")(_context(), {"id": record.id})
    text = dump_ruleset(ruleset_from_dict(shown["rules"]), fmt)
    filename = f"regles-{org['name']}-v{shown['version']}.{fmt}"
    return Response(
        text,
        mimetype=EXPORT_TYPES[fmt].split(";")[0],
        headers={
            "Content-Type": EXPORT_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
