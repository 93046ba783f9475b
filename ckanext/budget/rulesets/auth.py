"""Who may read and change aggregation rule sets, and read aggregations.

Writing and publishing: editors and admins of the owning organisation (sysadmins always
pass before these functions run). Reading a rule set: whoever can see the organisation (a
dataset override: whoever can see the dataset), its published versions only; drafts and
deleted ones (kept to be restored): its editors (``actions.visible_version``).
Aggregations follow the dataset's visibility.
"""

from __future__ import annotations

from typing import Any

from ckan import authz
from ckan.plugins import toolkit as tk

from . import service

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

EDIT_PERMISSION = "update_dataset"
"""Held by an organisation's editors and admins, not by its members."""


def _denied() -> dict[str, Any]:
    return {"success": False, "msg": tk._("Not authorized to edit the rules of this organization")}


def _can_edit(context: Any, owner_org: str | None) -> dict[str, Any]:
    user = context.get("user")
    if (
        owner_org
        and user
        and authz.has_user_permission_for_group_or_org(owner_org, user, EDIT_PERMISSION)
    ):
        return {"success": True}
    return _denied()


def _edit_existing(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    record = service.get(str(data_dict.get("id") or ""))
    return _can_edit(context, record.owner_org if record else None)


def _read_existing(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    record = service.get(str(data_dict.get("id") or ""))
    if record is None:
        return {"success": False}
    if record.deleted is not None:
        return _can_edit(context, record.owner_org)
    if record.package_id:
        return authz.is_authorized("package_show", context, {"id": record.package_id})
    return authz.is_authorized("organization_show", context, {"id": record.owner_org})


def budget_ruleset_create(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _can_edit(context, data_dict.get("owner_org"))


def budget_ruleset_update(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _edit_existing(context, data_dict)


def budget_ruleset_publish(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _edit_existing(context, data_dict)


def budget_ruleset_delete(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _edit_existing(context, data_dict)


def budget_ruleset_restore(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _edit_existing(context, data_dict)


def budget_ruleset_undelete(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _edit_existing(context, data_dict)


@tk.auth_allow_anonymous_access
def budget_ruleset_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _read_existing(context, data_dict)


@tk.auth_allow_anonymous_access
def budget_ruleset_history(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return _read_existing(context, data_dict)


@tk.auth_allow_anonymous_access
def budget_ruleset_list(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return authz.is_authorized("organization_show", context, {"id": data_dict.get("organization")})


@tk.auth_allow_anonymous_access
def budget_aggregate(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    if data_dict.get("package_id"):
        return authz.is_authorized("package_show", context, {"id": data_dict["package_id"]})
    return authz.is_authorized("resource_show", context, {"id": data_dict.get("id")})
