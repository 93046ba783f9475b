"""The portal's file storage, as the budget extension writes to it and reads it back.

Writes and reads go through the portal's uploader, the next ``IUploader`` plugin's (an
object storage such as ckanext-s3filestore) or CKAN's own: :func:`guarded_uploader` hands
it the anonymised file, :func:`stored_bytes` reads the stored file back by the uploader's
own means (:func:`open_stored`), never from a path guessed after it.

Local storage (CKAN's uploader, under ``ckan.storage_path``): files are written all or
nothing, together with the database transaction. CKAN's uploader writes a resource's file
inside ``package_update``, before the transaction commits. Left alone: if the commit then
fails (the database went away), a new resource's file stays behind with no resource, and
an updated resource's row still describes the previous file while the new one has
replaced it; a full or read-only disk ends in an internal error (HTTP 500) with a
half-written temporary file left behind.

:func:`guarded_uploader` wraps the portal's local uploader so that:

- the resource's upload lock (:data:`UPLOAD_LOCK`) is held until the transaction ends, so
  ``ckan budget sweep`` (``sweep``) never touches the files of an upload in progress;
- the budget document's row is locked before its file is replaced, so a background job
  stores results only for the file still stored (see ``jobs.run``);
- the replaced file is kept aside (a hard link) until the transaction commits; if the
  transaction ends any other way, the previous file is put back, or a new one removed;
- a write that fails (disk full, read-only, I/O error) removes its partial file and the
  upload is refused with a clear message: nothing is created, an update keeps its
  previous file and results.

A process killed before its transaction ends runs none of this: ``sweep`` (``ckan budget
sweep``, and each job worker as it starts) puts its files right afterwards.

Object storage (any other uploader) gets none of this, and the sweep never looks at it:
the uploader writes as it does on its own, so an object written by a transaction that then
fails stays (under the same name, it has replaced the previous object), and a write that
fails ends as that uploader makes it end. A job still stores results only for the object
stored: it hashes the stored object again under the document's row lock (``jobs.run``).
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

import sqlalchemy as sa
from ckan import model
from ckan.lib import uploader
from ckan.plugins import toolkit as tk
from werkzeug.datastructures import FileStorage

from .. import settings
from ..docbudg import errors, reader
from ..docbudg.messages import Message
from . import model as db

log = logging.getLogger(__name__)

_FILES_KEY = "ckanext_budget_written_files"
PREVIOUS_MARK = "~previous-"
UPLOAD_LOCK = 0x62756467
"""Class of the PostgreSQL advisory lock (``pg_advisory_xact_lock(UPLOAD_LOCK,
hashtext(resource id))``) an upload holds on its resource until its transaction ends."""

STORAGE_FULL = Message(
    "Le stockage des fichiers du portail est plein : le document n'a pas été enregistré "
    "et rien n'a été modifié. Réessayez plus tard ; si le problème persiste, prévenez "
    "l'administrateur du portail.",
    "The portal's file storage is full: the document was not saved and nothing was "
    "changed. Try again later; if the problem persists, tell the portal administrator.",
)
STORAGE_READ_ONLY = Message(
    "Le stockage des fichiers du portail est en lecture seule : le document n'a pas été "
    "enregistré et rien n'a été modifié. Prévenez l'administrateur du portail, puis "
    "déposez le document à nouveau.",
    "The portal's file storage is read-only: the document was not saved and nothing was "
    "changed. Tell the portal administrator, then upload the document again.",
)
STORAGE_ERROR = Message(
    "Le portail n'a pas pu écrire le fichier (erreur du stockage) : le document n'a pas "
    "été enregistré et rien n'a été modifié. Réessayez plus tard ; si le problème "
    "persiste, prévenez l'administrateur du portail.",
    "The portal could not write the file (storage error): the document was not saved and "
    "nothing was changed. Try again later; if the problem persists, tell the portal "
    "administrator.",
)
_MESSAGES = {
    errno.ENOSPC: STORAGE_FULL,
    errno.EDQUOT: STORAGE_FULL,
    errno.EFBIG: STORAGE_FULL,
    errno.EROFS: STORAGE_READ_ONLY,
}


_choosing = threading.local()


def choosing() -> bool:
    """Whether CKAN is being asked, from :func:`portal_uploader`, which uploader it would
    use: the ``budget`` plugin then stands aside."""
    return getattr(_choosing, "active", False)


def portal_uploader(resource: dict[str, Any]) -> Any:
    """The uploader the portal uses for ``resource`` without the ``budget`` plugin: the
    next ``IUploader`` plugin's, or CKAN's (which may create the storage folder)."""
    _choosing.active = True
    try:
        return uploader.get_resource_uploader(resource)
    finally:
        _choosing.active = False


def is_local(upload: Any) -> bool:
    """Whether ``upload`` is CKAN's own uploader writing files under ``ckan.storage_path``."""
    return isinstance(upload, uploader.ResourceUpload) and bool(upload.storage_path)


def guarded_uploader(resource: dict[str, Any]) -> Any:
    """The uploader the portal would use for ``resource``, guarded when it writes or
    removes a local file (an object storage's as it is); ``None`` (CKAN's choice stands)
    when the resource has no file to write or clear."""
    if not isinstance(resource.get("upload"), FileStorage) and not resource.get("clear_upload"):
        return None
    try:
        inner = portal_uploader(resource)
    except OSError as error:
        raise _refusal(error) from None
    return GuardedUpload(inner) if is_local(inner) else inner


class GuardedUpload:
    """A local resource uploader whose writes follow the transaction (see module doc)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def upload(self, id: str, max_size: int = 10) -> None:
        if not (self._inner.filename or self._inner.clear):
            self._inner.upload(id, max_size)
            return
        _lock_upload(id)
        _lock_document(id)
        path = self._inner.get_path(id)
        previous = _set_aside(path)
        try:
            self._inner.upload(id, max_size)
        except BaseException as error:
            _remove(path + "~")  # CKAN's temporary file, partly written
            if previous:
                _remove(previous)
            if not isinstance(error, OSError):
                raise
            raise _refusal(error) from None
        model.Session().info.setdefault(_FILES_KEY, []).append((path, previous))


def _refusal(error: OSError) -> tk.ValidationError:
    """The upload's refusal, saying what happened to the storage and what to do."""
    log.error("could not write to the storage: %s", os.strerror(error.errno or 0))
    message = _MESSAGES.get(error.errno or 0, STORAGE_ERROR)
    return tk.ValidationError({"upload": [message.text(settings.current_language())]})


def _lock_upload(resource_id: str) -> None:
    """Hold the resource's upload lock until the transaction ends: a sweep waits."""
    model.Session.execute(
        sa.text("SELECT pg_advisory_xact_lock(:lock, hashtext(:id))"),
        {"lock": UPLOAD_LOCK, "id": resource_id},
    )


def _lock_document(resource_id: str) -> None:
    """Hold the document's row until commit: a job does not store results meanwhile."""
    model.Session.execute(
        sa.select(db.BudgetDocumentRecord.resource_id)
        .where(db.BudgetDocumentRecord.resource_id == resource_id)
        .with_for_update()
    )


def _set_aside(path: str) -> str | None:
    """A second name for the current file, kept until the transaction ends."""
    if not os.path.exists(path):
        return None
    previous = f"{path}{PREVIOUS_MARK}{uuid.uuid4().hex[:12]}"
    try:
        os.link(path, previous)
    except OSError as error:
        log.warning("cannot keep the previous file aside: %s", os.strerror(error.errno))
        return None
    return previous


def _remove(path: str) -> None:
    if not os.path.lexists(path):
        return  # (asking a read-only file system to remove nothing is an error)
    try:
        os.remove(path)
    except OSError as error:
        log.error("could not remove %s: %s", path, os.strerror(error.errno or 0))


@sa.event.listens_for(model.Session, "after_commit")
def _keep_written_files(session: Any) -> None:
    if session.in_nested_transaction():
        return  # a savepoint (CKAN 2.12's package_update): wait for the real commit
    for _path, previous in session.info.pop(_FILES_KEY, []):
        if previous:
            _remove(previous)


@sa.event.listens_for(model.Session, "after_transaction_end")
def _undo_written_files(session: Any, transaction: Any) -> None:
    """The transaction ended without a commit (rollback, error, closed session): put the
    files back as the database describes them."""
    if transaction.parent is not None:
        return
    for path, previous in reversed(session.info.pop(_FILES_KEY, [])):
        try:
            if previous:
                os.replace(previous, path)
            else:
                _remove(path)
        except OSError as error:
            log.error("could not undo the file of %s: %s", path, os.strerror(error.errno))


NOT_READABLE = Message(
    "Le fichier stocké ne peut pas être relu pour le traitement : le stockage de fichiers "
    "du portail ({storage}) ne permet pas de le lire. Prévenez l'administrateur du portail.",
    "The stored file cannot be read back for processing: the portal's file storage "
    "({storage}) offers no way to read it. Tell the portal administrator.",
)


def stored_bytes(resource_id: str) -> bytes:
    """The stored (anonymised) document of a resource, within the size limit, read back
    through the portal's uploader."""
    resource = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    with open_stored(resource) as stream:
        return reader.load_bytes(stream, settings.limits())


@contextlib.contextmanager
def open_stored(resource: dict[str, Any]) -> Iterator[BinaryIO]:
    """The stored file of ``resource``, as the portal's uploader for it reads it: CKAN's
    local file, a CKAN file storage's stream (CKAN 2.12's ``ckan.files``, local or cloud),
    or an S3 uploader's object read with its own client; any other uploader is refused
    with a message (``BudgetDocError``) rather than read from a guessed place."""
    upload = portal_uploader(dict(resource))
    for read in _READERS:
        stream = read(upload, resource["id"])
        if stream is not None:
            break
    else:
        raise errors.BudgetDocError(NOT_READABLE, storage=type(upload).__name__)
    with contextlib.closing(stream):
        yield stream


def _local_file(upload: Any, resource_id: str) -> BinaryIO | None:
    """CKAN's local storage: the file at the uploader's own path."""
    if not is_local(upload):
        return None
    return open(upload.get_path(resource_id), "rb")  # closed by open_stored


def _file_storage_stream(upload: Any, resource_id: str) -> BinaryIO | None:
    """A CKAN file storage (CKAN 2.12's ``ckan.files.storage.*``): the storage's stream of
    the location the uploader gives."""
    storage = getattr(upload, "storage", None)
    if storage is None:
        return None
    try:
        import file_keeper  # CKAN 2.12 and later
    except ImportError:
        return None
    if not isinstance(storage, file_keeper.Storage):
        return None
    location = upload.get_path(resource_id)
    return _ChunkStream(storage.stream(file_keeper.FileData(location)))


def _s3_object(upload: Any, resource_id: str) -> BinaryIO | None:
    """An S3 uploader (ckanext-s3filestore's): the object under the uploader's own key,
    read with the uploader's own client (its endpoint, credentials and bucket)."""
    client_of = getattr(upload, "get_s3_client", None)
    bucket = getattr(upload, "bucket_name", None)
    if client_of is None or not bucket:
        return None
    return client_of().get_object(Bucket=bucket, Key=upload.get_path(resource_id))["Body"]


_READERS: tuple[Callable[[Any, str], BinaryIO | None], ...] = (
    _local_file,
    _file_storage_stream,
    _s3_object,
)


class _ChunkStream(io.RawIOBase):
    """A readable stream over an iterable of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            self._rest = next(self._chunks, b"")
            if not self._rest:
                return 0
        size = min(len(buffer), len(self._rest))
        buffer[:size] = self._rest[:size]
        self._rest = self._rest[size:]
        return size
