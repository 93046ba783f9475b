"""Several documents uploaded to one dataset at the same time all end up stored and
processed: CKAN's resource actions read the dataset, change its resource list and save
it whole, so concurrent calls must not overwrite each other's resources."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db

from .budget_uploads import file_storage, sample_bytes

pytestmark = pytest.mark.usefixtures("clean_db")

DOCUMENTS = [
    "crach/Crach_principal_CA_2021.xml",
    "crach/Crach_principal_BP_2022.xml",
    "crach/Crach_principal_DM2_2021.xml",
    "crach/Crach_principal_DM3_2021.xml",
    "crach/Crach_lotissement_BP_2022.xml",
    "crach/Crach_lotissement_CA_2021.xml",
]


def run_at_once(app: Any, calls: list[Any]) -> list[Any]:
    """Run each call in its own thread, with its own app context and database session,
    all released together; returns results (or raised exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int) -> None:
        with app.flask_app.test_request_context():
            try:
                barrier.wait()
                results[index] = calls[index]()
            except Exception as error:  # reported by the test, not lost in the thread
                results[index] = error
            finally:
                model.Session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_concurrent_uploads_to_one_dataset_all_end_processed(app: Any) -> None:
    dataset = factories.Dataset(type="budget", owner_org=factories.Organization()["id"])
    payloads = {fixture: sample_bytes(fixture) for fixture in DOCUMENTS}

    def upload(fixture: str) -> Any:
        name = fixture.rsplit("/", 1)[-1]
        return lambda: call_action(
            "resource_create",
            package_id=dataset["id"],
            upload=file_storage(payloads[fixture], name),
        )

    results = run_at_once(app, [upload(fixture) for fixture in DOCUMENTS])

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    model.Session.expire_all()
    shown = call_action("package_show", id=dataset["id"])
    assert sorted(r["id"] for r in shown["resources"]) == sorted(r["id"] for r in results)
    for resource in shown["resources"]:
        record = db.get_document(resource["id"])
        assert record is not None and record.status == db.STATUS_DONE
        assert record.package_id == dataset["id"]
        assert db.query_lines(resource["id"], limit=1)[0] > 0
