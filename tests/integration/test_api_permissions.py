"""Who may call the budget API actions: reads follow the dataset's visibility (a private
dataset's budget data is for its organisation's members only), re-processing needs the
right to edit the dataset, a dry-run validation the right to publish somewhere."""

from __future__ import annotations

from typing import Any

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .budget_uploads import file_storage, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

ROLES = ("anonymous", "other", "member", "editor", "sysadmin")
READS = ("budget_document_show", "budget_validation_show", "budget_lines")
DOCUMENT = "crach/Crach_principal_DM2_2021.xml"


@pytest.fixture
def portal() -> dict[str, Any]:
    users = {role: factories.User() for role in ("other", "member", "editor")}
    users["sysadmin"] = factories.Sysadmin()
    org = factories.Organization(
        users=[
            {"name": users["member"]["name"], "capacity": "member"},
            {"name": users["editor"]["name"], "capacity": "editor"},
        ]
    )
    resources = {}
    for visibility in ("public", "private"):
        dataset = factories.Dataset(
            type="budget", owner_org=org["id"], private=visibility == "private"
        )
        resource = upload_resource(dataset["id"], sample_bytes(DOCUMENT), "dm2.xml")
        resources[visibility] = resource
    return {"users": users, "resources": resources}


def call_as(portal: dict[str, Any], role: str, action: str, **data: Any) -> Any:
    user = "" if role == "anonymous" else portal["users"][role]["name"]
    return call_action(action, context={"user": user, "ignore_auth": False}, **data)


def allowed(portal: dict[str, Any], role: str, action: str, **data: Any) -> bool:
    try:
        call_as(portal, role, action, **data)
    except tk.NotAuthorized:
        return False
    return True


@pytest.mark.parametrize("action", READS)
def test_reads_follow_the_dataset_visibility(portal: dict[str, Any], action: str) -> None:
    public, private = portal["resources"]["public"], portal["resources"]["private"]
    assert {role: allowed(portal, role, action, id=public["id"]) for role in ROLES} == {
        "anonymous": True,
        "other": True,
        "member": True,
        "editor": True,
        "sysadmin": True,
    }
    assert {role: allowed(portal, role, action, id=private["id"]) for role in ROLES} == {
        "anonymous": False,
        "other": False,
        "member": True,
        "editor": True,
        "sysadmin": True,
    }


@pytest.mark.parametrize("visibility", ["public", "private"])
@pytest.mark.parametrize("by", ["id", "package_id"])
def test_reprocessing_needs_the_right_to_edit_the_dataset(
    portal: dict[str, Any], visibility: str, by: str
) -> None:
    resource = portal["resources"][visibility]
    target = {"id": resource["id"]} if by == "id" else {"package_id": resource["package_id"]}
    assert {role: allowed(portal, role, "budget_reprocess", **target) for role in ROLES} == {
        "anonymous": False,
        "other": False,
        "member": False,
        "editor": True,
        "sysadmin": True,
    }


def test_dry_run_validation_needs_the_right_to_publish(portal: dict[str, Any]) -> None:
    data = sample_bytes(DOCUMENT)

    def validate(role: str) -> bool:
        return allowed(portal, role, "budget_validate", upload=file_storage(data, "dm2.xml"))

    assert {role: validate(role) for role in ROLES} == {
        "anonymous": False,
        "other": False,
        "member": False,
        "editor": True,
        "sysadmin": True,
    }


def test_the_http_api_refuses_private_budget_lines_to_anonymous_users(
    app: Any, portal: dict[str, Any]
) -> None:
    private = portal["resources"]["private"]
    response = app.get("/api/3/action/budget_lines", query_string={"id": private["id"]}, status=403)
    assert response.json["success"] is False
    assert "lines" not in response.json.get("result", {})
