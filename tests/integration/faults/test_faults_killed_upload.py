"""A web server killed (``kill -9``) in the middle of uploads, then ``ckan budget sweep``
or a job worker starting: every file is back to what the database describes.

A second web server on the portal's database and storage is killed while uploads wait at
each moment (``serve.py``'s holds): a new resource's file written, not committed (an
orphan); an update's file written, not committed (the previous file aside, for a budget
document and a plain CSV); an update stopped while CKAN writes its temporary ``~`` file;
an update committed whose copy aside was not yet removed. The real command (a subprocess)
removes the orphan, the temporaries and the copies no longer described, puts back the
previous files the database still describes, and the portal serves them.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from ckanext.budget.documents.sweep import CLOCK_MARGIN

from ...fixtures.privacy import make_document_with_personal_data
from .conftest import Portal
from .services import BIN, ROOT, CkanServer, wait_until

UTF8 = make_document_with_personal_data("UTF-8")
LATIN1 = make_document_with_personal_data("ISO-8859-1")
CFU = make_document_with_personal_data("ISO-8859-1", cfu=True)
CSV_BEFORE = b"annee;montant\n2023;1250.00\n"
CSV_AFTER = b"annee;montant\n2023;1250.00\n2024;1310.50\n"


def new_dataset(portal: Portal, name: str) -> dict[str, Any]:
    if portal.post("organization_show", id="faults").status_code != 200:
        portal.result("organization_create", name="faults")
    return portal.result("package_create", name=name, owner_org="faults")


def with_file(portal: Portal, name: str, data: bytes, filename: str) -> dict[str, Any]:
    """A dataset with one uploaded resource; the resource."""
    dataset = new_dataset(portal, name)
    response = portal.upload("resource_create", data, filename, package_id=dataset["id"])
    assert response.status_code == 200, response.text
    return response.json()["result"]


def relative(resource_id: str) -> str:
    """Where CKAN keeps a resource's file, under ``<storage>/resources``."""
    return f"{resource_id[:3]}/{resource_id[3:6]}/{resource_id[6:]}"


def download(portal: Portal, resource_id: str) -> bytes:
    url = portal.result("resource_show", id=resource_id)["url"]
    response = requests.get(url.replace("http://test.ckan.net", portal.server.url), timeout=30)
    assert response.status_code == 200, url
    return response.content


def recorded_sha256(portal: Portal, resource_id: str) -> str:
    return portal.result("budget_document_show", id=resource_id)["content_sha256"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def doomed(portal: Portal, tmp_path: Path) -> Iterator[CkanServer]:
    """A second web server of the portal, to be killed."""
    server = CkanServer(portal.env, tmp_path)
    yield server
    if server.process.poll() is None:
        server.kill()


def send(
    pool: ThreadPoolExecutor,
    server: CkanServer,
    portal: Portal,
    action: str,
    data: bytes,
    filename: str,
    **fields: str,
) -> None:
    """An upload to ``server``, answered or not (the server is killed)."""
    pool.submit(
        requests.post,
        f"{server.url}/api/3/action/{action}",
        data=fields,
        files={"upload": (filename, data, "application/octet-stream")},
        headers={"Authorization": portal.token},
        timeout=120,
    )


def kill_while_held(
    server: CkanServer,
    portal: Portal,
    uploads: dict[str, list[Any]],
    meanwhile: dict[str, Callable[[], None]] | None = None,
) -> None:
    """Send ``uploads`` (by the point they stop at), wait for each to stop (then run what
    is ``meanwhile`` for that point), ``kill -9``."""
    with ThreadPoolExecutor(8) as pool:
        for point, sent in uploads.items():
            server.hold(point)
            for action, data, filename, fields in sent:
                send(pool, server, portal, action, data, filename, **fields)
            server.wait_held(point, len(sent))
            (meanwhile or {}).get(point, lambda: None)()
        server.kill()
    # The killed server's sessions end (their locks are released) once PostgreSQL sees
    # their connections closed.
    wait_until(lambda: open_sessions(portal) == 0, 30, "sessions of the killed server ended")
    # Files modified in the last CLOCK_MARGIN seconds are never taken as older than a
    # transaction: a sweep started right away (not so after a restart) would leave them.
    files = (portal.storage / "resources").rglob("*")
    newest = max(path.stat().st_mtime for path in files if path.is_file())
    time.sleep(max(0.0, newest + CLOCK_MARGIN - time.time()))


def open_sessions(portal: Portal) -> int:
    """Transactions still open, or advisory locks still held, in the portal's database."""
    query = (
        "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = 'ckan'"
        " AND xact_start IS NOT NULL AND pid <> pg_backend_pid())"
        " + (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory')"
    )
    output = subprocess.run(
        ["psql", portal.postgres.url(), "-Atc", query], check=True, capture_output=True
    ).stdout
    return int(output)


def leftovers(files: dict[str, bytes]) -> list[str]:
    return sorted(name for name in files if "~" in name)


def ckan(portal: Portal, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ckan"), "-c", str(ROOT / "test.ini"), *args],
        env=portal.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_sweep_after_a_killed_server_puts_every_file_back_as_the_database_describes(
    portal: Portal, doomed: CkanServer
) -> None:
    empty = new_dataset(portal, "killed-create")
    document = with_file(portal, "killed-update", UTF8, "ca.xml")
    csv = with_file(portal, "killed-update-csv", CSV_BEFORE, "montants.csv")
    writing = with_file(portal, "killed-writing", UTF8, "ca.xml")
    committed = with_file(portal, "killed-committed", UTF8, "ca.xml")
    before = portal.resource_files()

    def a_sweep_leaves_uploads_in_progress() -> None:
        files = portal.resource_files()
        during = ckan(portal, "budget", "sweep", "--older-than", "0", "--lang", "en")
        assert during.returncode == 0, during.stdout + during.stderr
        assert "0 file(s) removed, 0 put back, 8 left for later" in during.stdout, during.stdout
        assert during.stdout.count(": an upload of the resource is in progress") == 8
        assert portal.resource_files() == files

    kill_while_held(
        doomed,
        portal,
        {
            "written": [
                ("resource_create", LATIN1, "ca.xml", {"package_id": empty["id"]}),
                ("resource_update", CFU, "cfu.xml", {"id": document["id"]}),
                ("resource_update", CSV_AFTER, "montants.csv", {"id": csv["id"]}),
            ],
            "writing": [("resource_update", CFU, "cfu.xml", {"id": writing["id"]})],
            "committed": [("resource_update", CFU, "cfu.xml", {"id": committed["id"]})],
        },
        meanwhile={"writing": a_sweep_leaves_uploads_in_progress},
    )

    killed = portal.resource_files()
    (orphan,) = set(killed) - set(before) - set(leftovers(killed))
    for resource in (document, csv, committed):
        assert killed[relative(resource["id"])] != before[relative(resource["id"])]
    assert [name.split("~")[0] for name in leftovers(killed)] == sorted(
        [relative(r["id"]) for r in (document, csv, writing, committed)] + [relative(writing["id"])]
    )
    replaced = killed[relative(committed["id"])]
    assert recorded_sha256(portal, committed["id"]) == sha256(replaced)  # its commit landed

    swept = ckan(portal, "budget", "sweep", "--lang", "en")

    assert swept.returncode == 0, swept.stdout + swept.stderr
    output = swept.stdout
    assert output.count("put back: ") == 2, output
    assert f"removed: {portal.storage / 'resources' / orphan}: no resource" in output
    assert "temporary file of an interrupted write" in output
    assert "the database describes the file in place" in output
    assert "4 file(s) removed, 2 put back, 0 left for later, 0 kept as undecided." in output, output
    after = portal.resource_files()
    assert after == {**before, relative(committed["id"]): replaced}
    assert leftovers(after) == []

    assert portal.result("package_show", id=empty["id"])["resources"] == []
    for resource in (document, writing, committed):
        served = download(portal, resource["id"])
        assert served == after[relative(resource["id"])]
        assert recorded_sha256(portal, resource["id"]) == sha256(served)
    assert download(portal, csv["id"]) == CSV_BEFORE
    assert portal.result("resource_show", id=csv["id"])["size"] == len(CSV_BEFORE)
    assert portal.personal_data_found() == {}


def test_a_job_worker_sweeps_the_storage_as_it_starts(
    portal: Portal, doomed: CkanServer, tmp_path: Path
) -> None:
    empty = new_dataset(portal, "killed-create-worker")
    document = with_file(portal, "killed-update-worker", UTF8, "ca.xml")
    before = portal.resource_files()
    kill_while_held(
        doomed,
        portal,
        {
            "written": [
                ("resource_create", LATIN1, "ca.xml", {"package_id": empty["id"]}),
                ("resource_update", CFU, "cfu.xml", {"id": document["id"]}),
            ]
        },
    )
    assert portal.resource_files() != before

    worker = ckan(portal, "jobs", "worker", "--burst")

    assert worker.returncode == 0, worker.stderr
    assert "storage sweep: put back: " in worker.stderr, worker.stderr
    assert "storage sweep: 1 file(s) removed, 1 put back" in worker.stderr
    assert portal.resource_files() == before
    assert recorded_sha256(portal, document["id"]) == sha256(download(portal, document["id"]))
    assert portal.result("package_show", id=empty["id"])["resources"] == []
