"""Who may see what: every page loads its dataset and resource the way CKAN's own
resource page does, so budget pages follow the dataset's visibility exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ckan import model
from ckan.lib.dictization import model_dictize
from ckan.plugins import toolkit as tk
from flask import current_app

from . import model as db


@dataclass
class Target:
    package: dict[str, Any]
    resource: dict[str, Any]
    record: db.BudgetDocumentRecord | None
    context: dict[str, Any]


def context() -> dict[str, Any]:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}


def load(package_id: str, resource_id: str, auth: str, *, light: bool = False) -> Target:
    """The dataset and resource, checked with ``auth`` (a ``budget_*`` auth function).

    Like CKAN's resource page, a dataset the user may not see is "not found" (404): the
    page does not reveal that a private dataset exists. A refused action is a 403.
    ``light`` pages (embeds, CSV/JSON) need only the dataset's identity: the same auth
    functions decide, but the whole ``package_show`` dict (~20 queries) is not built.
    """
    ctx = context()
    if light:
        package, resource = _light(package_id, resource_id, ctx)
    else:
        package, resource = _full(package_id, resource_id, ctx)
    try:
        tk.check_access(auth, dict(ctx), {"id": resource_id})
    except tk.NotAuthorized:
        tk.abort(403, tk._("You are not allowed to do this."))
    return Target(package, resource, db.get_document(resource_id), ctx)


def _full(
    package_id: str, resource_id: str, ctx: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        package = tk.get_action("package_show")(dict(ctx), {"id": package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        tk.abort(404, tk._("Dataset not found"))
    resource = next((r for r in package.get("resources", []) if r["id"] == resource_id), None)
    if resource is None:
        tk.abort(404, tk._("Resource not found"))
    return package, resource


def _light(
    package_id: str, resource_id: str, ctx: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    pkg = model.Package.get(package_id)
    if pkg is None:
        tk.abort(404, tk._("Dataset not found"))
    try:
        tk.check_access("package_show", dict(ctx), {"id": pkg.id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        tk.abort(404, tk._("Dataset not found"))
    res = model.Resource.get(resource_id)
    if res is None or res.package_id != pkg.id or res.state != "active":
        tk.abort(404, tk._("Resource not found"))
    package = {
        "id": pkg.id,
        "name": pkg.name,
        "title": pkg.title,
        "type": pkg.type,
        "owner_org": pkg.owner_org,
        "private": pkg.private,
        "state": pkg.state,
    }
    resource = model_dictize.resource_dictize(res, {"model": model, "session": model.Session})
    return package, resource


def require_document(target: Target) -> db.BudgetDocumentRecord:
    if target.record is None:
        tk.abort(404, tk._("This resource is not a processed budget document."))
    return target.record


def protect_form() -> None:
    """Refuse a form POST without a valid CSRF token, even where CKAN exempts extension
    pages from its check (``ckan.csrf_protection.ignore_extensions``, on by default in
    2.11). Requests authenticated by an API token are not forms and carry no token."""
    if tk.g.get("login_via_auth_header") or not current_app.config.get("WTF_CSRF_ENABLED"):
        return
    csrf = current_app.extensions.get("csrf")
    if csrf is not None:
        csrf.protect()
