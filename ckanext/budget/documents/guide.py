"""« Publier mon budget »: the steps from the finance software's export to the published
explorer, for producers, with this portal's own limits and rules (read from its
configuration, so the page never promises what the portal does not do)."""

from __future__ import annotations

from dataclasses import dataclass

from ckan.plugins import toolkit as tk
from flask import Blueprint

from .. import settings

blueprint = Blueprint("budget_guide", __name__)


@dataclass(frozen=True)
class PortalRules:
    """What this portal accepts and does with a budget document."""

    max_upload_mb: int
    """Largest budget document, after gzip decompression (``ckanext.budget.max_upload_mb``)."""
    max_resource_mb: int
    """Largest file CKAN takes in any upload (``ckan.max_resource_size``)."""
    background_from_mb: int
    """Larger documents are processed by the background worker."""
    reject_invalid: bool
    strict_anonymisation: bool
    replacement: str


def portal_rules() -> PortalRules:
    policy = settings.anonymisation_policy()
    return PortalRules(
        max_upload_mb=settings.limits().max_bytes // settings.MB,
        max_resource_mb=tk.config.get("ckan.max_resource_size"),
        background_from_mb=settings.async_threshold_bytes() // settings.MB,
        reject_invalid=settings.reject_invalid(),
        strict_anonymisation=policy.strict_beneficiaries,
        replacement=policy.replacement,
    )


def publish() -> str:
    """Open to everyone: producers read it before they have an account."""
    return tk.render("budget/guide.html", {"rules": portal_rules()})


blueprint.add_url_rule("/budget-publish", view_func=publish)
