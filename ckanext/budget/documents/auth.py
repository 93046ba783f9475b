"""Who may read and act on budget results: the same people as for the resource itself.

Reads follow the dataset's visibility (``resource_show``: a private dataset's budget data
is only for its organisation's members); re-processing follows ``resource_update``;
checking a file before publishing needs the right to create datasets somewhere.
"""

from __future__ import annotations

from typing import Any

from ckan import authz
from ckan.plugins import toolkit as tk

__all__ = [
    "budget_document_show",
    "budget_lines",
    "budget_reprocess",
    "budget_validate",
    "budget_validation_show",
]


def _resource_auth(action: str, context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    resource_id = data_dict.get("id") or data_dict.get("resource_id")
    return authz.is_authorized(action, context, {"id": resource_id})


@tk.auth_allow_anonymous_access
def budget_document_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _resource_auth("resource_show", context, data_dict)


@tk.auth_allow_anonymous_access
def budget_validation_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _resource_auth("resource_show", context, data_dict)


@tk.auth_allow_anonymous_access
def budget_lines(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _resource_auth("resource_show", context, data_dict)


def budget_reprocess(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    if data_dict.get("package_id") and not data_dict.get("id"):
        return authz.is_authorized("package_update", context, {"id": data_dict["package_id"]})
    return _resource_auth("resource_update", context, data_dict)


def budget_validate(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """A dry run stores nothing, but it parses an uploaded file: editors only."""
    return authz.is_authorized("package_create", context, {})
