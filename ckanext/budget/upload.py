"""Request-time handling of uploaded budget documents: the privacy gate.

Every resource upload in CKAN (``resource_create``, ``resource_update``,
``package_create``/``package_update`` with files, the web forms) asks the ``IUploader``
plugins for an uploader. The ``budget`` plugin answers by calling :func:`intercept`,
which, for a file that is a budget document by its content:

1. reads it within the configured size (gzip included) and refuses a structural problem
   with a clear form/API error — nothing is created and an updated resource keeps its file;
2. anonymises it in memory and hands CKAN's uploader **only the anonymised bytes**; the
   original stream is wiped, so it never reaches the storage path, the database, a job
   queue, a log line or an error message;
3. leaves what it learnt (header, anonymisation counts, and when the document is small
   enough or must be rejected on errors, the validation and exports) in a short-lived
   registry keyed by the anonymised content's hash, which the after-save hook picks up.

It returns nothing, so the portal's own uploader (local storage, or a cloud storage
plugin listed after ``budget``) stores the file as usual.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ckan.plugins import toolkit as tk
from werkzeug.datastructures import FileStorage

from . import settings
from .docbudg import errors, reader
from .docbudg.anonymisation import AnonymisationReport, anonymise
from .docbudg.export import ExportError, ExportResult
from .docbudg.model import BudgetDocument, DocumentHeader
from .docbudg.pipeline import run_exports
from .docbudg.validation import ValidationReport, validate

log = logging.getLogger(__name__)

CHUNK = 1 << 20
BUDGET_ROOTS = ("DocumentBudgetaire", "CompteFinancierUnique")
ROOT_MARKERS = tuple(
    name.encode(codec) for name in BUDGET_ROOTS for codec in ("utf-8", "utf-16-le", "utf-16-be")
)
MARKER_OVERLAP = 64
SHA_FIELD = "budget_sha256"
PENDING_TTL_SECONDS = 600
PENDING_MAX = 64


@dataclass
class PreparedDocument:
    """What the request learnt about an uploaded document; only anonymised content."""

    sha256: str
    size: int
    header: DocumentHeader
    anonymised: bytes
    anonymisation: AnonymisationReport
    validation: ValidationReport | None = None
    exports: dict[str, ExportResult] = field(default_factory=dict)
    export_errors: dict[str, ExportError] = field(default_factory=dict)
    line_count: int = 0
    annex_counts: dict[str, int] = field(default_factory=dict)
    document: BudgetDocument | None = None
    created: float = field(default_factory=time.monotonic)

    @property
    def processed(self) -> bool:
        return self.validation is not None


class _Pending:
    """Prepared documents waiting for their resource to be saved, by content hash."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, PreparedDocument] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, prepared: PreparedDocument) -> None:
        with self._lock:
            now = time.monotonic()
            for key in [k for k, v in self._items.items() if now - v.created > PENDING_TTL_SECONDS]:
                del self._items[key]
            self._items[prepared.sha256] = prepared
            while len(self._items) > PENDING_MAX:
                self._items.popitem(last=False)

    def pop(self, sha256: str) -> PreparedDocument | None:
        with self._lock:
            return self._items.pop(sha256, None)

    def peek(self, sha256: str) -> PreparedDocument | None:
        """The prepared document, left in place (dataset fields filled from it)."""
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


def _chunks(stream: Any, limit: int) -> Iterator[bytes]:
    """The upload's content in chunks, decompressed if gzip, at most ``limit`` bytes."""
    first = stream.read(CHUNK)
    if not first.startswith(reader.GZIP_MAGIC):
        produced = 0
        chunk = first
        while chunk and produced <= limit:
            yield chunk
            produced += len(chunk)
            chunk = stream.read(CHUNK)
        return
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    produced = 0
    pending = first
    while pending and produced <= limit:
        try:
            out = decompressor.decompress(pending, CHUNK)
        except zlib.error:
            return
        produced += len(out)
        yield out
        pending = decompressor.unconsumed_tail or stream.read(CHUNK)


def _looks_like_xml(head: bytes) -> bool:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        head = head.removeprefix(bom)
    return head.lstrip(b" \t\r\n\x00").startswith(b"<")


def _is_budget_document(upload: FileStorage) -> bool:
    """Whether an upload is XML naming a budget document's root anywhere in it.

    The whole content is scanned (within the size limit), not just its first bytes: a
    long comment or prolog must not let a document slip past anonymisation.
    """
    stream = upload.stream
    start = stream.tell()
    try:
        tail = b""
        for index, chunk in enumerate(_chunks(stream, settings.limits().max_bytes)):
            if index == 0 and not _looks_like_xml(chunk[:1024]):
                return False
            window = tail + chunk
            if any(marker in window for marker in ROOT_MARKERS):
                return True
            tail = window[-MARKER_OVERLAP:]
        return False
    finally:
        stream.seek(start)


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
    """A readable resource name: "Compte administratif 2021 — Budget principal"."""
    stage = header.stage
    if stage is None:
        title = "Document budgétaire" if lang == "fr" else "Budget document"
    else:
        label = stage.label_fr if lang == "fr" else stage.label_en
        title = label[:1].upper() + label[1:]
        if header.nat_dec == "02" and header.num_dec and header.num_dec != "0":
            title += f" n° {header.num_dec}" if lang == "fr" else f" no. {header.num_dec}"
    if header.exer:
        title += f" {header.exer}"
    if header.is_principal:
        budget = "Budget principal" if lang == "fr" else "Main budget"
    else:
        budget = (header.libelle_etab or "").strip() or (
            "Budget annexe" if lang == "fr" else "Ancillary budget"
        )
    return f"{title} — {budget}"


def _reject(error: errors.BudgetDocError | tk.ValidationError | str) -> tk.ValidationError:
    lang = settings.current_language()
    message = error.text(lang) if isinstance(error, errors.BudgetDocError) else str(error)
    return tk.ValidationError({"upload": [message]})


def _validation_rejection(report: ValidationReport) -> tk.ValidationError:
    lang = settings.current_language()
    first = [f.message.text(lang) for f in report.errors[:5]]
    more = len(report.errors) - len(first)
    intro = (
        "Le document comporte des erreurs de validation et le portail refuse les documents "
        "invalides. Corrigez-les puis déposez-le à nouveau"
        if lang == "fr"
        else "The document has validation errors and this portal refuses invalid "
        "documents. Fix them and upload it again"
    )
    if more > 0:
        first.append(f"(+{more})")
    return tk.ValidationError({"upload": [f"{intro} : " + " ; ".join(first)]})


def prepare(data: bytes | io.IOBase, *, validate_now: bool | None = None) -> PreparedDocument:
    """Read, anonymise and, when asked or when the document is small enough (or invalid
    documents are refused), validate and export it. Raises ``BudgetDocError``."""
    limits = settings.limits()
    original = reader.load_bytes(data, limits)
    doc = reader.parse_bytes(original, limits)
    report = anonymise(doc, settings.anonymisation_policy())
    # Nothing to occult: publish the authority's bytes as they are, so its seal
    # (Scellement) stays true; otherwise the re-serialised, anonymised document.
    anonymised = doc.to_bytes() if report.changed else original
    del original
    prepared = PreparedDocument(
        sha256=hashlib.sha256(anonymised).hexdigest(),
        size=len(anonymised),
        header=doc.header,
        anonymised=anonymised,
        anonymisation=report,
        line_count=len(doc.lines),
        annex_counts=doc.annex_blocks(),
    )
    if validate_now is None:
        validate_now = settings.reject_invalid() or (
            prepared.size <= settings.async_threshold_bytes()
        )
    if validate_now:
        complete(prepared, doc)
    return prepared


def complete(prepared: PreparedDocument, doc: BudgetDocument) -> None:
    """Validation and exports of an already anonymised document."""
    plans_dir = settings.plans_dir()
    prepared.validation = validate(doc, plans_dir=plans_dir)
    prepared.exports, prepared.export_errors = run_exports(doc, plans_dir=plans_dir)
    prepared.document = doc


def intercept(resource: dict[str, Any]) -> None:
    """Anonymise an uploaded budget document in place of the original (see module doc)."""
    upload = resource.get("upload")
    if not isinstance(upload, FileStorage) or not upload:
        return
    if not _is_budget_document(upload):
        resource[SHA_FIELD] = ""
        return
    try:
        prepared = prepare(upload.stream)
    except errors.NotABudgetDocument as error:
        root = str(error.params.get("root", "")).rsplit("}", 1)[-1]
        if isinstance(error, errors.MissingBudgetPart) or root in BUDGET_ROOTS:
            _wipe(upload)
            raise _reject(error) from None
        upload.stream.seek(0)  # another XML document that only mentions the name
        resource[SHA_FIELD] = ""
        return
    except errors.BudgetDocError as error:
        _wipe(upload)
        log.info("budget document refused before storage: %s", error.code)
        raise _reject(error) from None
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
