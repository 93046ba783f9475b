"""The storage disk full or read-only: a real small tmpfs (or, where mounting is refused,
writes sent to ``/dev/full`` and EROFS at CKAN's uploader). The upload is refused with a
message saying what happened and what to do; nothing is created, an update keeps its
previous file and results, no partial or temporary file stays; once the disk is usable
again the same upload succeeds. No personal name reaches a file, a message or a log."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.lib import uploader
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db

from ...fixtures.privacy import make_document_with_personal_data
from ..budget_uploads import update_resource, upload_resource
from ..test_upload_privacy import database_dump, leaks, redis_blob
from .conftest import files_under

pytestmark = pytest.mark.usefixtures("clean_db")

UTF8 = make_document_with_personal_data("UTF-8")
CFU = make_document_with_personal_data("ISO-8859-1", cfu=True)
MESSAGES = {
    ("full", "en"): "file storage is full: the document was not saved and nothing was changed",
    ("full", "fr"): "stockage des fichiers du portail est plein : le document n'a pas été",
    ("ro", "en"): "file storage is read-only: the document was not saved and nothing was",
    ("ro", "fr"): "stockage des fichiers du portail est en lecture seule",
}


@pytest.fixture
def dataset() -> dict[str, Any]:
    return factories.Dataset(owner_org=factories.Organization()["id"])


def refusal(upload: Any) -> str:
    with pytest.raises(tk.ValidationError) as info:
        upload()
    model.Session.rollback()
    return info.value.error_dict["upload"][0]


def stored_file(resource_id: str) -> Path:
    resource = call_action("resource_show", id=resource_id)
    return Path(uploader.get_resource_uploader(resource).get_path(resource_id))


def assert_consistent(dataset: dict[str, Any]) -> None:
    """Every uploaded resource has its file, described by its document record."""
    for resource in call_action("package_show", id=dataset["id"])["resources"]:
        path = stored_file(resource["id"])
        record = db.get_document(resource["id"])
        assert record.content_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(root: Path) -> list[str]:
    """Temporary or set-aside files: a partial write or an unfinished replacement."""
    return [name for name in files_under(root) if "~" in name]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_full_disk_refuses_the_upload_and_keeps_the_previous_document(
    small_disk: Any,
    dataset: dict[str, Any],
    lang: str,
    ckan_config: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    resource = upload_resource(dataset["id"], UTF8, "ca.xml")
    previous = stored_file(resource["id"]).read_bytes()
    lines = db.query_lines(resource["id"], limit=0)[0]
    small_disk.fill()

    monkeypatch.setitem(ckan_config, "ckan.locale_default", lang)
    created = refusal(lambda: upload_resource(dataset["id"], CFU, "cfu.xml"))
    updated = refusal(lambda: update_resource(resource["id"], CFU, "cfu.xml"))

    assert MESSAGES["full", lang] in created and MESSAGES["full", lang] in updated
    assert [r["id"] for r in call_action("package_show", id=dataset["id"])["resources"]] == [
        resource["id"]
    ]
    assert stored_file(resource["id"]).read_bytes() == previous
    assert db.query_lines(resource["id"], limit=0)[0] == lines
    assert_consistent(dataset)
    assert leftovers(small_disk.path) == []

    small_disk.free()
    update_resource(resource["id"], CFU, "cfu.xml")
    assert db.get_document(resource["id"]).header["is_cfu"] is True
    assert_consistent(dataset)
    blobs = b"".join(files_under(small_disk.path).values()) + (created + updated).encode()
    logs = "\n".join(r.getMessage() for r in caplog.records).encode()
    for place in (blobs, logs, database_dump(), redis_blob()):
        assert leaks(place) == []


def test_a_read_only_disk_refuses_uploads_until_it_is_writable_again(
    small_disk: Any, dataset: dict[str, Any]
) -> None:
    resource = upload_resource(dataset["id"], UTF8, "ca.xml")
    previous = stored_file(resource["id"]).read_bytes()
    small_disk.remount("ro")

    created = refusal(lambda: upload_resource(dataset["id"], CFU, "cfu.xml"))
    updated = refusal(lambda: update_resource(resource["id"], CFU, "cfu.xml"))

    assert MESSAGES["ro", "en"] in created and MESSAGES["ro", "en"] in updated
    assert len(call_action("package_show", id=dataset["id"])["resources"]) == 1
    assert stored_file(resource["id"]).read_bytes() == previous
    assert_consistent(dataset)
    small_disk.remount("rw")
    assert leftovers(small_disk.path) == []
    upload_resource(dataset["id"], CFU, "cfu.xml")
    assert len(call_action("package_show", id=dataset["id"])["resources"]) == 2
    assert_consistent(dataset)
