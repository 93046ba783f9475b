"""Whose rules an editor page shows: an organisation's, or one dataset's override.

The same pages serve both, under ``/organization/<id>/budget-rules`` (blueprint
``budget_rules``) and ``/dataset/<id>/budget-rules`` (``budget_dataset_rules``): a
:class:`Scope` finds the rule set, the documents it applies to, who may edit it, and
builds the links of its own pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk
from flask import request

from ..documents import model as db
from . import service
from .model import RuleSetRecord

ORGANIZATION = "budget_rules"
DATASET = "budget_dataset_rules"


def context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user else None, "model": model}


@dataclass
class Scope:
    org: dict[str, Any]
    package: dict[str, Any] | None = None

    @property
    def blueprint(self) -> str:
        return DATASET if self.package else ORGANIZATION

    @property
    def name(self) -> str:
        """The ``<id>`` of this scope's URLs."""
        return (self.package or self.org)["name"]

    @property
    def title(self) -> str:
        owner = self.package or self.org
        return owner.get("title") or owner["name"]

    def url(self, endpoint: str, **params: Any) -> str:
        return tk.h.url_for(f"{self.blueprint}.{endpoint}", id=self.name, **params)

    def redirect(self, endpoint: str, **params: Any) -> Any:
        return tk.redirect_to(f"{self.blueprint}.{endpoint}", id=self.name, **params)

    def record(self) -> RuleSetRecord | None:
        if self.package:
            return service.for_package(self.package["id"])
        return service.for_organization(self.org["id"])

    def inherited(self) -> RuleSetRecord | None:
        """What a dataset without its own rules uses: its organisation's rule set."""
        return service.for_organization(self.org["id"]) if self.package else None

    def owner(self) -> dict[str, str]:
        """How the ``budget_ruleset_create`` action names this scope."""
        if self.package:
            return {"package_id": self.package["id"]}
        return {"organization": self.org["id"]}

    def can_edit(self) -> bool:
        try:
            tk.check_access(
                "budget_ruleset_create",
                context(),
                {
                    "owner_org": self.org["id"],
                    "package_id": self.package["id"] if self.package else None,
                },
            )
        except tk.NotAuthorized:
            return False
        return True

    def documents(self) -> list[db.BudgetDocumentRecord]:
        """Processed documents this scope's rules are shown and checked on."""
        if self.package:
            return [
                d
                for d in db.documents_for_package(self.package["id"])
                if d.status == db.STATUS_DONE
            ]
        return service.documents_of_organization(self.org["id"])


def _organization(org_id: str) -> dict[str, Any]:
    try:
        return tk.get_action("organization_show")(
            context(), {"id": org_id, "include_datasets": False}
        )
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Organization not found"))


def current(id: str) -> Scope:
    """The scope of the page being served; 404 for what the user may not see."""
    if request.blueprint != DATASET:
        return Scope(_organization(id))
    try:
        package = tk.get_action("package_show")(context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    if not package.get("owner_org"):
        return tk.abort(404, tk._("The dataset has no organization."))
    return Scope(_organization(package["owner_org"]), package)


def editor(id: str) -> Scope:
    """The scope, for a page that changes its rules (403 for others)."""
    scope = current(id)
    if not scope.can_edit():
        tk.abort(403, tk._("Not authorized to edit the rules of this organization"))
    return scope
