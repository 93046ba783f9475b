"""Request-time handling of uploaded files: the privacy gate.

Every resource upload in CKAN (``resource_create``, ``resource_update``,
``package_create``/``package_update`` with files, the web forms) asks the ``IUploader``
plugins for an uploader. The ``budget`` plugin answers by calling :func:`intercept`,
which gives every uploaded file, whatever the dataset type, to the core's one document
path (``pipeline.process_any_file``):

1. a file that holds no budget document is left as it is (a ``budget`` dataset refuses
   it, see ``documents/validators``);
2. a file that holds one — in whichever form the reader accepts, or nested, or that
   cannot be read — is refused with a clear form/API error (nothing is created and an
   updated resource keeps its file), or anonymised and verified in memory: CKAN's
   uploader is handed **only the published bytes**; the original stream is wiped, so it
   never reaches the storage path, the database, a job queue, a log line or an error
   message;
3. what the request learnt (header, anonymisation counts, and when the document is small
   enough or must be rejected on errors, the validation and exports) waits in a
   short-lived registry keyed by the published content's hash, which the after-save
   hook picks up.

It returns nothing, so the portal's own uploader (local storage, or a cloud storage
plugin listed after ``budget``) stores the file as usual.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import PurePosixPath
from typing import Any, BinaryIO

import cachetools
from ckan.plugins import toolkit as tk
from werkzeug.datastructures import FileStorage

from .. import settings
from ..docbudg import errors, pipeline
from ..docbudg.model import DocumentHeader
from ..docbudg.pipeline import PipelineResult
from ..docbudg.validation import ValidationReport
from .labels import dm_number, in_language, stage_label

log = logging.getLogger(__name__)

SHA_FIELD = "budget_sha256"
PENDING_TTL_SECONDS = 600
PENDING_MAX = 64


class _Pending:
    """Published documents waiting for their resource to be saved, by content hash."""

    def __init__(self) -> None:
        self._items: cachetools.TTLCache[str, PipelineResult] = cachetools.TTLCache(
            PENDING_MAX, PENDING_TTL_SECONDS
        )
        self._lock = threading.Lock()

    def put(self, result: PipelineResult) -> None:
        with self._lock:
            self._items[result.sha256] = result

    def pop(self, sha256: str) -> PipelineResult | None:
        with self._lock:
            return self._items.pop(sha256, None)

    def peek(self, sha256: str) -> PipelineResult | None:
        """The document, left in place (dataset fields filled from it)."""
        with self._lock:
            return self._items.get(sha256)


pending = _Pending()


def _wipe(upload: FileStorage) -> None:
    """Overwrite the original upload's buffer (memory or spooled temporary file)."""
    stream = upload.stream
    try:
        stream.seek(0)
        stream.truncate()
    except (OSError, ValueError, AttributeError):
        log.debug("upload stream of type %s cannot be truncated", type(stream).__name__)


def stored_filename(filename: str | None, header: DocumentHeader) -> str:
    """The stored file's name: the uploaded name without ``.gz`` (content is plain XML)."""
    name = PurePosixPath(filename or "").name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    if not name.lower().endswith(".xml"):
        stem = "-".join(str(part) for part in (header.siren, header.exer, header.nat_dec) if part)
        name = f"{stem or 'document-budgetaire'}.xml"
    return name


def default_name(header: DocumentHeader, lang: str) -> str:
    """A readable resource name in ``lang`` (a stored name is in the portal's language,
    whatever the uploader's): "Compte administratif 2021 — Budget principal"."""
    with in_language(lang):
        stage = header.stage
        title = tk._("Budget document") if stage is None else stage_label(stage)
        if stage is not None and header.nat_dec == "02" and header.num_dec not in (None, "", "0"):
            title += " " + dm_number(header.num_dec)
        if header.exer:
            title += f" {header.exer}"
        if header.is_principal:
            budget = tk._("Main budget")
        else:
            budget = (header.libelle_etab or "").strip() or tk._("Ancillary budget")
    return f"{title} — {budget}"


def _reject(error: errors.BudgetDocError | tk.ValidationError | str) -> tk.ValidationError:
    lang = settings.current_language()
    message = error.text_with_hint(lang) if isinstance(error, errors.BudgetDocError) else str(error)
    return tk.ValidationError({"upload": [message]})


def _validation_rejection(report: ValidationReport) -> tk.ValidationError:
    lang = settings.current_language()
    first = [f.message.text(lang) for f in report.errors[:5]]
    more = len(report.errors) - len(first)
    intro = tk._(
        "The document has validation errors and this portal refuses invalid documents. "
        "Fix them and upload it again"
    )
    if more > 0:
        first.append(f"(+{more})")
    return tk.ValidationError({"upload": [f"{intro} : " + " ; ".join(first)]})


def prepare(
    source: bytes | BinaryIO, *, complete: bool | None = None, any_file: bool = False
) -> PipelineResult | None:
    """The published document of ``source`` (see ``pipeline``); validated and exported
    when ``complete``, by default when it is small enough or invalid documents are
    refused. ``any_file``: ``None`` for a file that holds no budget document, instead of
    an error. Raises ``BudgetDocError``."""
    path = pipeline.process_any_file if any_file else pipeline.process
    result = path(
        source,
        policy=settings.anonymisation_policy(),
        limits=settings.limits(),
        plans_dir=settings.plans_dir(),
        complete=False,
    )
    if result is None:
        return None
    if complete is None:
        complete = settings.reject_invalid() or result.size <= settings.async_threshold_bytes()
    if complete:
        result.complete(plans_dir=settings.plans_dir())
    return result


def intercept(resource: dict[str, Any]) -> None:
    """Anonymise an uploaded budget document in place of the original (see module doc)."""
    upload = resource.get("upload")
    if not isinstance(upload, FileStorage) or not upload:
        return
    start = upload.stream.tell()
    try:
        prepared = prepare(upload.stream, any_file=True)
    except errors.BudgetDocError as error:
        _wipe(upload)
        log.info("budget document refused before storage: %s", error.code)
        raise _reject(error) from None
    if prepared is None:
        upload.stream.seek(start)  # another file: stored as it is
        resource[SHA_FIELD] = ""
        return
    filename = stored_filename(upload.filename, prepared.header)
    _wipe(upload)
    if settings.reject_invalid() and prepared.validation and prepared.validation.errors:
        raise _validation_rejection(prepared.validation)
    resource["upload"] = FileStorage(
        stream=io.BytesIO(prepared.anonymised),
        filename=filename,
        content_type="application/xml",
    )
    resource[SHA_FIELD] = prepared.sha256
    if not resource.get("format"):
        resource["format"] = "XML"
    if not resource.get("name"):
        resource["name"] = default_name(prepared.header, settings.portal_language())
    if not resource.get("mimetype"):
        resource["mimetype"] = "application/xml"
    pending.put(prepared)
