"""The extension's configuration, read from CKAN's config (declared in
``config_declaration.yaml``) and turned into the core library's settings objects."""

from __future__ import annotations

from ckan.plugins import toolkit as tk

from .docbudg.anonymisation import AnonymisationPolicy
from .docbudg.reader import Limits

MB = 1 << 20


def limits() -> Limits:
    return Limits(max_bytes=tk.config.get("ckanext.budget.max_upload_mb") * MB)


def anonymisation_policy() -> AnonymisationPolicy:
    return AnonymisationPolicy(
        replacement=tk.config.get("ckanext.budget.anonymisation.replacement"),
        strict_beneficiaries=tk.config.get("ckanext.budget.anonymisation.strict"),
    )


def plans_dir() -> str | None:
    return tk.config.get("ckanext.budget.plans_dir") or None


def async_threshold_bytes() -> int:
    return tk.config.get("ckanext.budget.async_threshold_mb") * MB


def reject_invalid() -> bool:
    return tk.config.get("ckanext.budget.on_invalid") == "reject"


def current_language() -> str:
    """``fr`` or ``en``: the request's language, else the portal's default (French first)."""
    try:
        lang = tk.h.lang() or ""
    except (RuntimeError, AttributeError, TypeError):
        lang = ""
    lang = lang or tk.config.get("ckan.locale_default") or "fr"
    return "en" if lang.startswith("en") else "fr"


def portal_language() -> str:
    """Language of stored texts (resource names): the portal's default locale."""
    lang = tk.config.get("ckan.locale_default") or "fr"
    return "en" if lang.startswith("en") else "fr"


def display_timezone() -> str:
    """CKAN's ``ckan.display_timezone`` (UTC by default; ``server`` is the host's zone)."""
    return tk.config.get("ckan.display_timezone") or "UTC"
