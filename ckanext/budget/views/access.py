"""Who may see what: every page loads its dataset and resource the way CKAN's own
resource page does, so budget pages follow the dataset's visibility exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ckan.plugins import toolkit as tk
from flask import current_app

from .. import db


@dataclass
class Target:
    package: dict[str, Any]
    resource: dict[str, Any]
    record: db.BudgetDocumentRecord | None
    context: dict[str, Any]


def context() -> dict[str, Any]:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}


def load(package_id: str, resource_id: str, auth: str) -> Target:
    """The dataset and resource, checked with ``auth`` (a ``budget_*`` auth function).

    Like CKAN's resource page, a dataset the user may not see is "not found" (404): the
    page does not reveal that a private dataset exists. A refused action is a 403.
    """
    ctx = context()
    try:
        package = tk.get_action("package_show")(dict(ctx), {"id": package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        tk.abort(404, tk._("Dataset not found"))
    resource = next((r for r in package.get("resources", []) if r["id"] == resource_id), None)
    if resource is None:
        tk.abort(404, tk._("Resource not found"))
    try:
        tk.check_access(auth, dict(ctx), {"id": resource_id})
    except tk.NotAuthorized:
        tk.abort(403, tk._("You are not allowed to do this."))
    return Target(package, resource, db.get_document(resource_id), ctx)


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
