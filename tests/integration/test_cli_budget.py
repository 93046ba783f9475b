"""``ckan budget reprocess`` and ``ckan budget status``, run through CKAN's CLI."""

from __future__ import annotations

from typing import Any

import pytest
from ckan import model
from ckan.cli.cli import ckan
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")


@pytest.fixture
def documents() -> list[dict[str, Any]]:
    org = factories.Organization()
    first = factories.Dataset(type="budget", name="crach-principal", owner_org=org["id"])
    second = factories.Dataset(type="budget", name="crach-lotissement", owner_org=org["id"])
    return [
        upload_resource(first["id"], sample_bytes("crach/Crach_principal_DM2_2021.xml"), "a.xml"),
        upload_resource(first["id"], sample_bytes("crach/Crach_principal_DM3_2021.xml"), "b.xml"),
        upload_resource(second["id"], sample_bytes("crach/Crach_lotissement_CA_2021.xml"), "c.xml"),
    ]


def invoke(cli: Any, *args: str) -> Any:
    result = cli.invoke(ckan, ["budget", *args])
    model.Session.expire_all()
    return result


def queued_titles() -> list[str]:
    return sorted(job["title"] for job in call_action("job_list"))


def test_reprocess_a_dataset_now(cli: Any, documents: list[dict[str, Any]]) -> None:
    before = {d["id"]: db.get_document(d["id"]).processed for d in documents}
    result = invoke(cli, "reprocess", "crach-principal", "--sync")
    assert result.exit_code == 0, result.output
    assert "2 document(s) processed" in result.output
    after = {d["id"]: db.get_document(d["id"]).processed for d in documents}
    assert [after[d["id"]] > before[d["id"]] for d in documents] == [True, True, False]
    assert all(db.get_document(d["id"]).status == "done" for d in documents)
    assert queued_titles() == []


def test_reprocess_a_resource_queues_one_job(cli: Any, documents: list[dict[str, Any]]) -> None:
    result = invoke(cli, "reprocess", documents[2]["id"])
    assert result.exit_code == 0, result.output
    assert db.get_document(documents[2]["id"]).status == "pending"
    assert queued_titles() == [f"ckanext-budget: process resource {documents[2]['id']}"]


def test_reprocess_all_queues_a_job_per_document(cli: Any, documents: list[dict[str, Any]]) -> None:
    result = invoke(cli, "reprocess", "--all")
    assert result.exit_code == 0, result.output
    assert "3 document(s) queued" in result.output
    assert len(queued_titles()) == 3


@pytest.mark.parametrize("args", [[], ["--all", "crach-principal"], ["no-such-dataset"]])
def test_reprocess_refuses_a_missing_or_unknown_target(
    cli: Any, documents: list[dict[str, Any]], args: list[str]
) -> None:
    result = invoke(cli, "reprocess", *args)
    assert result.exit_code != 0
    assert queued_titles() == []


def test_status_lists_documents_and_statuses(cli: Any, documents: list[dict[str, Any]]) -> None:
    result = invoke(cli, "status")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines() if "\t" in line]
    assert sorted((row[0], row[1], row[4]) for row in rows) == sorted(
        [
            ("crach-principal", documents[0]["id"], "done"),
            ("crach-principal", documents[1]["id"], "done"),
            ("crach-lotissement", documents[2]["id"], "done"),
        ]
    )
    one = invoke(cli, "status", "crach-lotissement")
    assert "1 document(s)." in one.output and documents[2]["id"] in one.output
