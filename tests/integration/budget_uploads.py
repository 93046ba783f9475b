"""Helpers to upload budget documents through CKAN's actions, as the web form and the API
do (a werkzeug ``FileStorage`` in the ``upload`` field)."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path
from typing import Any

from ckan.tests.helpers import call_action
from werkzeug.datastructures import FileStorage

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"


def sample_bytes(relative: str) -> bytes:
    """A fixture's XML bytes (decompressed when stored as ``.xml.gz``)."""
    path = SAMPLES / relative
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def warnings_sample_bytes() -> bytes:
    """Montreuil's CA 2021 listing 10 of its 300 grants: the CONCOURS annex then totals less
    than the grants paid (a validation warning); the real samples have none."""
    data = sample_bytes("montreuil/Montreuil_CA_2021.xml.gz")
    return re.sub(rb"<CONCOURS>.*?</CONCOURS>\s*", b"", data, count=290, flags=re.S)


def file_storage(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def upload_resource(
    package_id: str, data: bytes, filename: str, user: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    context = {"user": user["name"]} if user else {}
    return call_action(
        "resource_create",
        context=context,
        package_id=package_id,
        upload=file_storage(data, filename),
        **fields,
    )


def update_resource(resource_id: str, data: bytes, filename: str, **fields: Any) -> dict:
    return call_action(
        "resource_patch", id=resource_id, upload=file_storage(data, filename), **fields
    )
