"""Documents above ``ckanext.budget.async_threshold_mb`` are processed by a background job:
run here by a real RQ worker (burst mode) on the test queue. What the API shows follows
the job: pending, then done with the lines stored; a failing document ends ``failed``
with a reason, and can be processed again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import rq
from ckan import model
from ckan.lib import jobs, uploader
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db

from .budget_uploads import sample_bytes, upload_resource

pytestmark = [
    pytest.mark.usefixtures("clean_db", "clean_queues", "clean_index"),
    pytest.mark.ckan_config("ckanext.budget.async_threshold_mb", 1),
]

MONTREUIL_2018 = "montreuil/Montreuil_CA_2018.xml.gz"  # 3.5 MB of XML


def run_jobs() -> None:
    queue = jobs.get_queue()
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.expire_all()


def shown_status(resource: dict[str, Any]) -> tuple[str, str | None]:
    shown = call_action("resource_show", id=resource["id"])
    return shown["budget_status"], shown["budget_validation_status"]


def validation_facet() -> dict[str, int]:
    result = call_action("package_search", **{"facet.field": '["budget_validation_status"]'})
    return result["facets"].get("budget_validation_status", {})


@pytest.fixture
def uploaded() -> dict[str, Any]:
    dataset = factories.Dataset(type="budget", owner_org=factories.Organization()["id"])
    return upload_resource(dataset["id"], sample_bytes(MONTREUIL_2018), "Montreuil_2018.xml")


def test_a_large_document_goes_from_pending_to_done(uploaded: dict[str, Any]) -> None:
    assert shown_status(uploaded) == ("pending", None)
    assert call_action("budget_lines", id=uploaded["id"])["total"] == 0
    assert validation_facet() == {}

    run_jobs()

    status, validation = shown_status(uploaded)
    assert status == "done" and validation in ("valid", "warnings")
    assert call_action("budget_lines", id=uploaded["id"], limit=0)["total"] == 1431
    # the dataset's index entry was refreshed: the search shows the new status too
    assert validation_facet() == {validation: 1}
    dataset = call_action("package_show", id=uploaded["package_id"])
    assert dataset["resources"][0]["budget_status"] == "done"
    assert dataset["collectivite"] == "VILLE DE MONTREUIL"


def test_a_failing_document_ends_failed_with_a_reason_and_can_be_reprocessed(
    uploaded: dict[str, Any],
) -> None:
    path = Path(uploader.get_resource_uploader(uploaded).get_path(uploaded["id"]))
    stored = path.read_bytes()
    path.write_bytes(stored[: len(stored) // 2])  # the stored file got damaged

    run_jobs()

    record = call_action("budget_document_show", id=uploaded["id"])
    assert record["status"] == "failed"
    assert record["status_reason"]["fr"] and record["status_reason"]["en"]
    assert shown_status(uploaded)[0] == "failed"

    path.write_bytes(stored)  # repaired
    queued = call_action("budget_reprocess", id=uploaded["id"])
    assert queued["documents"][0]["status"] == "pending"
    run_jobs()

    assert shown_status(uploaded)[0] == "done"
    assert db.get_document(uploaded["id"]).status_reason is None
