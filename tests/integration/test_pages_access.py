"""Budget pages follow the dataset's visibility: a private dataset's documents, reports
and derived files are for its organisation's members only."""

from __future__ import annotations

from typing import Any

import pytest
from ckan.tests import factories

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def members() -> dict[str, dict[str, Any]]:
    return {role: factories.UserWithToken() for role in ("editor", "member", "outsider")}


@pytest.fixture
def private_document(members: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    org = factories.Organization(
        users=[
            {"name": members["editor"]["name"], "capacity": "editor"},
            {"name": members["member"]["name"], "capacity": "member"},
        ]
    )
    dataset = factories.Dataset(owner_org=org["id"], private=True)
    data = sample_bytes("crach/Crach_principal_CA_2021.xml")
    return dataset, upload_resource(dataset["id"], data, "ca.xml")


def urls(dataset: dict[str, Any], resource: dict[str, Any]) -> list[str]:
    base = f"/dataset/{dataset['name']}/resource/{resource['id']}"
    return [
        base,
        f"{base}/budget/report",
        f"{base}/budget/report.json",
        f"{base}/budget/files/scdl-budget.csv",
        f"{base}/budget/files/lines.json",
    ]


def test_anonymous_and_outsiders_cannot_see_a_private_document(
    app: Any, private_document: tuple[dict[str, Any], dict[str, Any]], members: dict[str, Any]
) -> None:
    dataset, resource = private_document
    outsider = {"Authorization": members["outsider"]["token"]}
    for url in urls(dataset, resource):
        assert app.get(url).status_code == 404, url
        assert app.get(url, headers=outsider).status_code == 404, url
        by_id = url.replace(dataset["name"], dataset["id"])
        assert app.get(by_id, headers=outsider).status_code == 404, by_id


def test_members_see_it_and_only_editors_may_process_again(
    app: Any, private_document: tuple[dict[str, Any], dict[str, Any]], members: dict[str, Any]
) -> None:
    dataset, resource = private_document
    for role in ("member", "editor"):
        headers = {"Authorization": members[role]["token"]}
        for url in urls(dataset, resource):
            assert app.get(url, headers=headers).status_code == 200, (role, url)
    reprocess = f"/dataset/{dataset['name']}/resource/{resource['id']}/budget/reprocess"
    member = {"Authorization": members["member"]["token"]}
    page = app.get(urls(dataset, resource)[0], headers=member).get_data(as_text=True)
    assert "Process again" not in page
    assert app.post(reprocess, headers=member).status_code == 403
    editor = {"Authorization": members["editor"]["token"]}
    page = app.get(urls(dataset, resource)[0], headers=editor).get_data(as_text=True)
    assert "Process again" in page
    assert app.post(reprocess, headers=editor).status_code == 200
    assert (
        app.post(reprocess, headers={"Authorization": members["outsider"]["token"]}).status_code
        == 404
    )
