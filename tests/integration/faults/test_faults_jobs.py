"""Background processing when Redis is down or the worker is killed in the middle of a
job: no document stays "waiting" or "being processed" forever, none is lost.

- Redis stopped (a private redis-server): a document to process in the background is
  stored, then shown failed with a reason that says to run it again; running
  it again while Redis is still down says so; once Redis is back it is processed.
- A real ``ckan jobs worker`` killed (``kill -9``) with its work horse while it
  processes a document: the document is shown failed ("interrupted") with the re-run
  button, instead of "being processed" for ever; run again, a new worker processes it.
- Jobs are queued once the document is committed, so a worker always finds it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
import rq
import sqlalchemy as sa
from ckan import model
from ckan.lib import jobs
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget import settings
from ckanext.budget.docbudg import reader
from ckanext.budget.documents import model as db
from ckanext.budget.documents import storage

from ...fixtures.privacy import make_document_with_personal_data
from ..budget_uploads import sample_bytes, upload_resource
from ..test_upload_privacy import database_dump, leaks
from ..test_upload_privacy import redis_blob as shared_redis_blob
from .conftest import redis_blob
from .services import Worker, ckan_env, wait_until

pytestmark = pytest.mark.usefixtures("clean_db")

MOHON = sample_bytes("mohon/Mohon_CFU_2023.xml.gz")  # 1.7 MB, with personal names


def written_since(start: float) -> bytes:
    """The storage's files written since ``start`` (it keeps every earlier test's)."""
    root = Path(tk.config["ckan.storage_path"])
    return b"".join(
        p.read_bytes() for p in root.rglob("*") if p.is_file() and p.stat().st_mtime >= start
    )


def run_jobs() -> None:
    queue = jobs.get_queue()
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.remove()


def status(resource_id: str) -> str:
    model.Session.remove()
    return db.get_document(resource_id).status


def resource_page(app: Any, resource: dict[str, Any], user: dict[str, Any]) -> str:
    url = tk.url_for("resource.read", id=resource["package_id"], resource_id=resource["id"])
    return app.get(url, headers={"Authorization": user["token"]}).get_data(as_text=True)


@pytest.fixture(autouse=True)
def every_document_in_a_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below ``async_threshold_mb`` (at least 1) a document is processed in the request."""
    monkeypatch.setattr(settings, "async_threshold_bytes", lambda: 0)


@pytest.fixture
def dataset(sysadmin: dict[str, Any]) -> dict[str, Any]:
    return factories.Dataset(owner_org=factories.Organization()["id"])


def test_with_redis_down_a_document_is_stored_and_failed_until_run_again(
    app: Any,
    redis_queue: Any,
    dataset: dict[str, Any],
    sysadmin: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    start = time.time() - 1
    redis_queue.stop()

    resource = upload_resource(dataset["id"], make_document_with_personal_data("UTF-8"), "ca.xml")

    assert call_action("resource_show", id=resource["id"])["budget_status"] == "failed"
    shown = call_action("budget_document_show", id=resource["id"])
    assert shown["status"] == "failed"
    assert "queue is unavailable" in shown["status_reason"]["en"]
    assert "Run the processing again" in shown["status_reason"]["en"]
    assert "file des traitements" in shown["status_reason"]["fr"]
    page = resource_page(app, resource, sysadmin)
    assert "queue is unavailable" in page and "Process again" in page
    again = call_action("budget_reprocess", id=resource["id"])
    assert again["documents"][0]["status"] == "failed"  # still down: not left waiting

    redis_queue.start()
    again = call_action("budget_reprocess", id=resource["id"])
    assert again["documents"][0]["status"] == "pending"
    run_jobs()
    assert status(resource["id"]) == db.STATUS_DONE
    assert leaks(written_since(start)) == []
    assert leaks(database_dump()) == []
    assert leaks(redis_blob(redis_queue.url)) == []
    assert leaks("\n".join(r.getMessage() for r in caplog.records).encode()) == []


@pytest.mark.usefixtures("clean_queues")
def test_a_worker_killed_mid_job_leaves_the_document_failed_with_a_rerun(
    app: Any, dataset: dict[str, Any], sysadmin: dict[str, Any], tmp_path: Path
) -> None:
    assert leaks(MOHON) != []  # the sample carries synthetic personal names
    start = time.time() - 1
    resource = upload_resource(dataset["id"], MOHON, "cfu2023.xml")
    assert status(resource["id"]) == db.STATUS_PENDING
    worker = Worker(ckan_env(), tmp_path / "worker.log")
    try:
        wait_until(lambda: status(resource["id"]) != db.STATUS_PENDING, 90, "job started")
    finally:
        worker.kill()  # kill -9 of the worker and its work horse
    assert status(resource["id"]) == db.STATUS_RUNNING  # killed in the middle

    shown = call_action("budget_document_show", id=resource["id"])
    assert shown["status"] == "failed", shown
    assert "interrupted" in shown["status_reason"]["en"]
    assert "interrompu" in shown["status_reason"]["fr"]
    page = resource_page(app, resource, sysadmin)
    assert "Processing was interrupted" in page and "Process again" in page

    call_action("budget_reprocess", id=resource["id"])
    run_jobs()  # a new worker
    assert status(resource["id"]) == db.STATUS_DONE
    stored = reader.read_document(storage.stored_bytes(resource["id"]), settings.limits())
    assert call_action("budget_lines", id=resource["id"], limit=0)["total"] == len(
        stored.detail_lines
    )
    worker_log = (tmp_path / "worker.log").read_bytes()
    for place in (written_since(start), database_dump(), shared_redis_blob(), worker_log):
        assert leaks(place) == []


@pytest.mark.usefixtures("clean_queues")
def test_a_job_is_queued_only_once_its_document_is_committed(
    dataset: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker must find the document it is given (CKAN 2.12 saves datasets in a
    savepoint, whose end is not the commit)."""
    seen_by_a_worker = []
    enqueue = tk.enqueue_job

    def spy(function: Any, args: list[Any], **kwargs: Any) -> Any:
        with model.meta.engine.connect() as connection:
            seen_by_a_worker.append(
                connection.execute(
                    sa.select(db.BudgetDocumentRecord.__table__.c.job_id).where(
                        db.BudgetDocumentRecord.__table__.c.resource_id == args[0]
                    )
                ).scalar()
            )
        return enqueue(function, args, **kwargs)

    monkeypatch.setattr(tk, "enqueue_job", spy)
    resource = upload_resource(dataset["id"], make_document_with_personal_data(), "ca.xml")
    assert seen_by_a_worker == [db.get_document(resource["id"]).job_id]
