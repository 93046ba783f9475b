"""Personal data of natural persons never reaches the storage, the database, the job queue,
the logs or an error message: documents carrying synthetic names are uploaded through the
real path, then every one of those places is searched for the names."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ckan.lib import uploader
from ckan.lib.redis import connect_to_redis
from ckan.plugins import toolkit as tk
from ckan.tests import factories

from ckanext.budget.documents import jobs
from ckanext.budget.documents import model as db

from ..fixtures.privacy import SYNTHETIC_PERSON_NAMES, make_document_with_personal_data
from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")


def encodings_of(name: str) -> list[bytes]:
    forms = {name.encode("utf-8"), name.encode("latin-1", "ignore"), name.upper().encode()}
    forms |= {name.encode("utf-16-le")}
    return [form for form in forms if len(form) >= 6]


def leaks(blob: bytes) -> list[str]:
    """The names found in ``blob``, also as the hexadecimal ``pg_dump`` writes ``bytea`` in."""
    return [
        name
        for name in SYNTHETIC_PERSON_NAMES
        if any(f in blob or f.hex().encode() in blob for f in encodings_of(name))
    ]


def _storage_files() -> dict[Path, int]:
    root = Path(tk.config["ckan.storage_path"])
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def storage_blob() -> Callable[[], bytes]:
    """The files of the storage folder written (or rewritten) since the test began, as one
    blob: the folder keeps every earlier test's files, gigabytes by the end of a run."""
    before = _storage_files()

    def written() -> bytes:
        return b"".join(
            path.read_bytes()
            for path, mtime in _storage_files().items()
            if before.get(path) != mtime
        )

    return written


def database_dump() -> bytes:
    url = tk.config["sqlalchemy.url"]
    return subprocess.run(
        ["pg_dump", "--data-only", "--no-owner", url], check=True, capture_output=True
    ).stdout


def redis_blob() -> bytes:
    """Every Redis key and value, RQ's zlib-compressed job data inflated too."""
    redis = connect_to_redis()
    parts = []
    for key in redis.scan_iter():
        kind = redis.type(key)
        parts.append(key)
        if kind == b"string":
            parts.append(redis.get(key) or b"")
        elif kind == b"hash":
            parts.extend(v for pair in redis.hgetall(key).items() for v in pair)
        elif kind == b"list":
            parts.extend(redis.lrange(key, 0, -1))
        elif kind in (b"set", b"zset"):
            parts.extend(redis.zrange(key, 0, -1) if kind == b"zset" else redis.smembers(key))
    for value in list(parts):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(value))
    return b"\n".join(parts)


@pytest.fixture
def dataset() -> dict[str, Any]:
    return factories.Dataset(owner_org=factories.Organization()["id"])


def test_documents_with_personal_data_leave_no_trace_anywhere(
    dataset: dict[str, Any], storage_blob: Callable[[], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    documents = {
        "mohon.xml": sample_bytes("mohon/Mohon_CFU_2023.xml.gz"),
        "crach.xml": sample_bytes("crach/Crach_principal_CA_2021.xml"),
        "planted-latin1.xml": make_document_with_personal_data("ISO-8859-1"),
        "planted-utf8.xml": make_document_with_personal_data("UTF-8"),
        "planted-cfu.xml": make_document_with_personal_data("ISO-8859-1", cfu=True),
    }
    # The inputs really carry the names, or this test would prove nothing.
    assert all(leaks(data) for data in documents.values())
    for filename, data in documents.items():
        resource = upload_resource(dataset["id"], data, filename)
        assert db.get_document(resource["id"]).status == db.STATUS_DONE, filename

    assert leaks(storage_blob()) == []
    assert leaks(database_dump()) == []
    assert leaks(redis_blob()) == []
    assert leaks("\n".join(r.getMessage() for r in caplog.records).encode()) == []


@pytest.mark.ckan_config("ckanext.budget.async_threshold_mb", 1)
def test_background_processing_queues_only_anonymised_references(
    dataset: dict[str, Any],
) -> None:
    data = make_document_with_personal_data("UTF-8")
    # Whitespace (kept by the anonymiser) makes the document larger than 1 MB.
    padding = b"\n" + b" " * (1 << 20)
    data = data.replace(b"</DocumentBudgetaire>", padding + b"</DocumentBudgetaire>", 1)
    resource = upload_resource(dataset["id"], data, "m.xml")
    record = db.get_document(resource["id"])
    assert record.status == db.STATUS_PENDING
    queued = redis_blob()
    assert resource["id"].encode() in queued
    assert leaks(queued) == []


def test_a_long_prolog_does_not_let_a_document_skip_anonymisation(
    dataset: dict[str, Any],
    storage_blob: Callable[[], bytes],
) -> None:
    data = make_document_with_personal_data("UTF-8")
    declaration_end = data.index(b"?>") + 2
    data = data[:declaration_end] + b"<!--" + b" " * 200_000 + b"-->" + data[declaration_end:]
    resource = upload_resource(dataset["id"], data, "prolog.xml")
    assert db.get_document(resource["id"]).status == db.STATUS_DONE
    assert leaks(storage_blob()) == []


def test_refused_upload_error_quotes_no_personal_data(dataset: dict[str, Any]) -> None:
    data = make_document_with_personal_data("UTF-8")
    broken = data[: len(data) // 2]
    with pytest.raises(tk.ValidationError) as info:
        upload_resource(dataset["id"], broken, "broken.xml")
    assert leaks(str(info.value.error_dict).encode()) == []


def test_reprocessing_replaces_a_stored_file_that_still_holds_personal_data(
    dataset: dict[str, Any],
    storage_blob: Callable[[], bytes],
) -> None:
    """A file stored by an earlier version, before the policy occulted what it holds, is
    replaced by its anonymised version when it is processed again."""
    resource = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_lotissement_BP_2022.xml"), "bp.xml"
    )
    path = Path(uploader.get_resource_uploader(resource).get_path(resource["id"]))
    path.write_bytes(make_document_with_personal_data("ISO-8859-1"))
    assert leaks(storage_blob())

    jobs.reprocess(resource["id"], in_background=False)

    assert leaks(storage_blob()) == []
    record = db.get_document(resource["id"])
    assert record.status == db.STATUS_DONE
    assert record.header["libelle_coll"] == "COMMUNE EXEMPLE"
    assert record.content_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
