"""PostgreSQL stopped or restarted around an upload, on a real portal (a web server
subprocess on a private PostgreSQL cluster, driven over HTTP with the API).

Whatever the moment, the upload is refused with HTTP 503 and a message that says nothing
was saved and to try again (in the request's language); no resource points to a missing
or foreign file, no file is left behind; once the database is back, the portal works
and the same upload succeeds. Documents carry synthetic personal names, which are then
looked for in the storage, the database, Redis, the server's log and every response.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from ...fixtures.privacy import make_document_with_personal_data
from .conftest import Portal

UTF8 = make_document_with_personal_data("UTF-8")
LATIN1 = make_document_with_personal_data("ISO-8859-1")
CFU = make_document_with_personal_data("ISO-8859-1", cfu=True)


def new_dataset(portal: Portal, name: str) -> dict[str, Any]:
    organization = portal.post("organization_show", id="faults")
    if organization.status_code != 200:
        portal.result("organization_create", name="faults")
    return portal.result("package_create", name=name, owner_org="faults")


def assert_refused_for_the_database(response: requests.Response, lang: str = "en") -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    error = response.json()["error"]
    expected = {
        "en": ("cannot reach its database", "nothing was saved", "Try again"),
        "fr": ("base de données", "rien n'a été enregistré", "Réessayez"),
    }[lang]
    assert all(words in error["message"] for words in expected), error


def upload_while_paused(portal: Portal, action: str, pause: Any, **fields: Any) -> Any:
    """Send an upload, run ``pause`` while it waits with its file written and its
    transaction open, then let it go on; its response."""
    portal.server.arm_gate()
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(portal.upload, action, **fields)
        portal.server.wait_at_gate()
        pause()
        portal.server.release_gate()
        return sent.result(timeout=120)


def test_an_upload_while_the_database_is_down_is_refused_and_succeeds_once_it_is_back(
    portal: Portal,
) -> None:
    dataset = new_dataset(portal, "stopped-before")
    files_before = portal.resource_files()
    portal.postgres.stop()

    refused = portal.upload("resource_create", UTF8, "ca.xml", package_id=dataset["id"])
    assert_refused_for_the_database(refused)
    in_french = portal.upload("resource_create", UTF8, "ca.xml", "fr", package_id=dataset["id"])
    assert_refused_for_the_database(in_french, "fr")
    page = requests.get(f"{portal.server.url}/dataset/{dataset['name']}", timeout=30)
    assert page.status_code == 503 and "nothing was saved" in page.text

    portal.postgres.start()
    assert portal.resource_files() == files_before
    assert portal.result("package_show", id=dataset["id"])["resources"] == []
    created = portal.result("resource_create", package_id=dataset["id"])  # a link, no file
    assert created["id"]
    retried = portal.upload("resource_create", UTF8, "ca.xml", package_id=dataset["id"])
    assert retried.status_code == 200, retried.text
    document = portal.result("budget_document_show", id=retried.json()["result"]["id"])
    assert document["status"] == "done"
    assert portal.personal_data_found() == {}


def test_the_database_stopping_after_the_file_is_written_leaves_no_file_behind(
    portal: Portal,
) -> None:
    dataset = new_dataset(portal, "stopped-during-create")
    files_before = portal.resource_files()

    response = upload_while_paused(
        portal,
        "resource_create",
        portal.postgres.stop,
        data=LATIN1,
        filename="ca.xml",
        package_id=dataset["id"],
    )

    assert_refused_for_the_database(response)
    assert portal.resource_files() == files_before  # the new file was removed
    portal.postgres.start()
    assert portal.result("package_show", id=dataset["id"])["resources"] == []
    retried = portal.upload("resource_create", LATIN1, "ca.xml", package_id=dataset["id"])
    assert retried.status_code == 200, retried.text
    assert len(portal.resource_files()) == len(files_before) + 1
    assert portal.personal_data_found() == {}


def test_a_database_restart_during_an_update_keeps_the_previous_file_and_results(
    portal: Portal,
) -> None:
    dataset = new_dataset(portal, "restarted-during-update")
    first = portal.upload("resource_create", UTF8, "ca.xml", package_id=dataset["id"])
    resource_id = first.json()["result"]["id"]
    before = portal.result("budget_document_show", id=resource_id)
    lines_before = portal.result("budget_lines", id=resource_id, limit=0)["total"]
    files_before = portal.resource_files()

    def restart() -> None:
        portal.postgres.stop()
        portal.postgres.start()

    response = upload_while_paused(
        portal, "resource_update", restart, data=CFU, filename="cfu.xml", id=resource_id
    )

    assert_refused_for_the_database(response)
    assert portal.resource_files() == files_before
    (stored,) = [data for name, data in files_before.items() if name.endswith(resource_id[6:])]
    document = portal.result("budget_document_show", id=resource_id)
    assert document["content_sha256"] == hashlib.sha256(stored).hexdigest()
    assert document == before
    assert portal.result("budget_lines", id=resource_id, limit=0)["total"] == lines_before

    retried = portal.upload("resource_update", CFU, "cfu.xml", id=resource_id)
    assert retried.status_code == 200, retried.text
    after = portal.result("budget_document_show", id=resource_id)
    assert after["content_sha256"] != before["content_sha256"]
    assert after["header"]["is_cfu"] is True
    assert portal.personal_data_found() == {}
