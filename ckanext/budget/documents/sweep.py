"""Files left by uploads whose web process was killed, removed or put back: ``ckan budget
sweep``, and every ``ckan jobs worker`` as it starts.

:mod:`storage` makes an upload's file follow its transaction, but a process killed
(``kill -9``, out of memory, a machine stopping) between writing the file and the commit
runs no undo: a new resource's file stays with no resource, a replaced file stays while the
database still describes the previous one (kept aside as ``<path>~previous-<hex>``), and
CKAN's temporary ``<path>~`` stays. The sweep decides each file by what the database
records, and keeps, and reports, what it cannot decide (never the only copy of what the
database describes):

- ``<path>~`` (CKAN writing a file): removed;
- any file of a resource with no row: removed (an upload that never committed, or a
  purged resource); a deleted resource's file is kept, since CKAN can restore it;
- ``<path>~previous-<hex>``: removed when the current file is what the database records
  (the commit landed) or the resource no longer has an uploaded file; put back in place
  when it is the copy the database records (the commit never happened); else kept.

What the database records of a file: its sha256 for a budget document (the resource extra
``budget_sha256``, ``budget_document.content_sha256``) and its size (the resource's
``size``, ``budget_document.size_bytes``). A file matches when it agrees with all of them;
two different files that both match (equal sizes, no hash) cannot be told apart.

An upload in progress is never touched: each holds its resource's upload lock until its
transaction ends (:data:`storage.UPLOAD_LOCK`), and the files of a resource are looked at
only once they are older than the grace period, or older than every transaction still
open in the database (an upload opens its transaction before it writes).

Local storage only: the sweep looks at ``<ckan.storage_path>/resources``, where CKAN's own
uploader keeps files. A portal whose resources live in an object storage (an
``IUploader`` plugin such as ckanext-s3filestore) writes nothing there, and the sweep
never looks at its objects (see ``storage``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk

from ..docbudg.messages import Message
from . import model as db
from .storage import PREVIOUS_MARK, UPLOAD_LOCK
from .upload import SHA_FIELD

log = logging.getLogger(__name__)

GRACE_MINUTES = 5.0
"""Files younger than this are left, unless the database shows no upload still open."""
CLOCK_MARGIN = 2.0
"""Seconds between a file's time and a transaction's start that still count as "before"."""
TEMPORARY_MARK = "~"
BATCH = 500

REMOVE, RESTORE, LATER, KEEP = "remove", "restore", "later", "keep"

TEMPORARY = Message(
    "fichier temporaire d'une écriture interrompue", "temporary file of an interrupted write"
)
NO_RESOURCE = Message(
    "aucune ressource {id} dans la base : un dépôt jamais enregistré, ou une ressource "
    "supprimée définitivement",
    "no resource {id} in the database: an upload that was never saved, or a purged resource",
)
COMMITTED = Message(
    "copie de l'ancien fichier ; la base décrit le fichier en place (le dépôt a abouti)",
    "copy of the previous file; the database describes the file in place (the upload was saved)",
)
SAME_CONTENT = Message("copie identique au fichier en place", "copy identical to the file in place")
NO_FILE_RECORDED = Message(
    "copie de l'ancien fichier ; la ressource {id} n'a plus de fichier déposé",
    "copy of the previous file; resource {id} no longer has an uploaded file",
)
RESTORED = Message(
    "la base décrit encore ce fichier : il remplace celui d'un dépôt jamais enregistré",
    "the database still describes this file: it replaces the file of an upload that was "
    "never saved",
)
SUPERSEDED = Message(
    "copie d'un fichier que la base ne décrit plus",
    "copy of a file the database no longer describes",
)
NOTHING_MATCHES = Message(
    "ni le fichier en place ni ses copies ne correspondent à ce que la base enregistre "
    "pour la ressource {id} ({recorded})",
    "neither the file in place nor its copies match what the database records for "
    "resource {id} ({recorded})",
)
NOTHING_RECORDED = Message(
    "la base n'enregistre ni taille ni empreinte de la ressource {id} : impossible de savoir "
    "quel fichier elle décrit",
    "the database records neither size nor hash of resource {id}: which file it describes "
    "cannot be told",
)
AMBIGUOUS = Message(
    "plusieurs fichiers différents correspondent à ce que la base enregistre pour la "
    "ressource {id} ({recorded})",
    "several different files match what the database records for resource {id} ({recorded})",
)
RECENT = Message(
    "modifié il y a moins de {minutes} min, et une transaction plus ancienne est (ou est "
    "peut-être) ouverte dans la base : un dépôt est peut-être en cours",
    "modified less than {minutes} min ago, and the database has (or may have) an older "
    "transaction open: an upload may be in progress",
)
BUSY = Message("un dépôt de la ressource est en cours", "an upload of the resource is in progress")
UNEXPECTED = Message(
    "pas un fichier de ressource rangé par CKAN", "not a resource file as CKAN stores them"
)
FAILED = Message("l'opération a échoué : {error}", "the operation failed: {error}")

VERBS = {
    (REMOVE, False): Message("supprimé", "removed"),
    (REMOVE, True): Message("serait supprimé", "would be removed"),
    (RESTORE, False): Message("remis en place", "put back"),
    (RESTORE, True): Message("serait remis en place", "would be put back"),
    (LATER, False): Message("laissé pour plus tard", "left for later"),
    (LATER, True): Message("laissé pour plus tard", "left for later"),
    (KEEP, False): Message("gardé, indécidable", "kept, undecided"),
    (KEEP, True): Message("gardé, indécidable", "kept, undecided"),
}
SUMMARY = Message(
    "{removed} fichier(s) supprimé(s), {restored} remis en place, {later} laissé(s) pour "
    "plus tard, {kept} gardé(s) faute de pouvoir décider.",
    "{removed} file(s) removed, {restored} put back, {later} left for later, {kept} kept "
    "as undecided.",
)
DRY_SUMMARY = Message(
    "Essai à blanc, rien n'a changé : {removed} fichier(s) seraient supprimé(s), "
    "{restored} remis en place, {later} laissé(s) pour plus tard, {kept} gardé(s) faute de "
    "pouvoir décider.",
    "Dry run, nothing changed: {removed} file(s) would be removed, {restored} put back, "
    "{later} left for later, {kept} kept as undecided.",
)
CHECK_BY_HAND = Message(
    "Des fichiers n'ont pas pu être décidés et ont été gardés : vérifiez-les (voir ci-dessus).",
    "Some files could not be decided and were kept: check them by hand (see above).",
)


@dataclass(frozen=True)
class Recorded:
    """What the database records of a resource's file."""

    uploaded: bool = True
    sizes: frozenset[int] = frozenset()
    hashes: frozenset[str] = frozenset()

    def matches(self, size: int, sha256: str) -> bool:
        return bool(self.sizes or self.hashes) and (
            self.sizes <= {size} and self.hashes <= {sha256}
        )

    def describe(self) -> str:
        sizes = ", ".join(f"{s} B" for s in sorted(self.sizes))
        return "; ".join(part for part in (sizes, ", ".join(sorted(self.hashes))) if part)


@dataclass
class ResourceFiles:
    """A resource's file (``path``), if there, and the leftovers of its uploads."""

    resource_id: str
    path: Path
    current: bool = False
    temporaries: list[Path] = field(default_factory=list)
    previous: list[Path] = field(default_factory=list)

    def all(self) -> list[Path]:
        return ([self.path] if self.current else []) + self.temporaries + self.previous


@dataclass(frozen=True)
class Step:
    """What the sweep does (or would do) with one file, and why."""

    action: str
    path: Path
    reason: Message
    into: Path | None = None

    def text(self, lang: str, dry_run: bool) -> str:
        where = f"{self.path} -> {self.into}" if self.into else str(self.path)
        return f"{VERBS[self.action, dry_run].text(lang)}: {where}: {self.reason.text(lang)}"


@dataclass
class Report:
    steps: list[Step]
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(step.action == action for step in self.steps)

    @property
    def undecided(self) -> int:
        return self.count(KEEP)

    def summary(self, lang: str) -> str:
        return (
            (DRY_SUMMARY if self.dry_run else SUMMARY)
            .with_params(
                removed=self.count(REMOVE),
                restored=self.count(RESTORE),
                later=self.count(LATER),
                kept=self.undecided,
            )
            .text(lang)
        )

    def lines(self, lang: str) -> list[str]:
        """The report in plain words: a line per file, a summary, what to do."""
        lines = [step.text(lang, self.dry_run) for step in self.steps]
        lines.append(self.summary(lang))
        if self.undecided:
            lines.append(CHECK_BY_HAND.text(lang))
        return lines


def decide(files: ResourceFiles, recorded: Recorded | None) -> list[Step]:
    """The steps that bring a resource's files back to what the database records."""
    rid = {"id": files.resource_id}
    steps = [Step(REMOVE, path, TEMPORARY) for path in files.temporaries]
    if recorded is None:
        reason = NO_RESOURCE.with_params(**rid)
        gone = ([files.path] if files.current else []) + files.previous
        return steps + [Step(REMOVE, path, reason) for path in gone]
    if not files.previous:
        return steps
    if not recorded.uploaded:
        reason = NO_FILE_RECORDED.with_params(**rid)
        return steps + [Step(REMOVE, path, reason) for path in files.previous]
    content = {path: _fingerprint(path) for path in files.all() if path not in files.temporaries}
    current = content.get(files.path) if files.current else None
    matching = {sha for size, sha in content.values() if recorded.matches(size, sha)}
    if len(matching) == 1:
        (wanted,) = matching
        if current is not None and current[1] == wanted:
            return steps + [Step(REMOVE, path, COMMITTED) for path in files.previous]
        source = next(path for path in files.previous if content[path][1] == wanted)
        steps.append(Step(RESTORE, source, RESTORED, into=files.path))
        return steps + [
            Step(REMOVE, path, SAME_CONTENT if content[path][1] == wanted else SUPERSEDED)
            for path in files.previous
            if path != source
        ]
    if current is not None and all(content[path][1] == current[1] for path in files.previous):
        return steps + [Step(REMOVE, path, SAME_CONTENT) for path in files.previous]
    if not (recorded.sizes or recorded.hashes):
        reason = NOTHING_RECORDED.with_params(**rid)
    else:
        why = AMBIGUOUS if matching else NOTHING_MATCHES
        reason = why.with_params(**rid, recorded=recorded.describe())
    return steps + [Step(KEEP, path, reason) for path in files.previous]


def _fingerprint(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


def settled(newest: float, now: float, grace: float, open_since: float | None) -> bool:
    """Whether files last modified at ``newest`` cannot belong to an upload in progress:
    older than ``grace`` seconds, or than every open transaction (``open_since``, the
    oldest one's start, or the database's clock when none is open; ``None``: unknown)."""
    if now - newest >= grace:
        return True
    return open_since is not None and newest < open_since - CLOCK_MARGIN


def scan(root: Path) -> tuple[dict[str, ResourceFiles], list[Path]]:
    """The files under ``<storage>/resources`` by resource, and those out of CKAN's
    layout (``<id[0:3]>/<id[3:6]>/<id[6:]>``)."""
    groups: dict[str, ResourceFiles] = {}
    strange: list[Path] = []
    for first in _entries(root, strange):
        for second in _entries(first, strange):
            for entry in sorted(second.iterdir()):
                name = entry.name
                if name.endswith(TEMPORARY_MARK):
                    base, kind = name[: -len(TEMPORARY_MARK)], "temporary"
                elif PREVIOUS_MARK in name:
                    base, kind = name.split(PREVIOUS_MARK, 1)[0], "previous"
                else:
                    base, kind = name, "current"
                if not base or name.startswith(".") or not _regular(entry):
                    strange.append(entry)
                    continue
                resource_id = first.name + second.name + base
                files = groups.setdefault(resource_id, ResourceFiles(resource_id, second / base))
                if kind == "temporary":
                    files.temporaries.append(entry)
                elif kind == "previous":
                    files.previous.append(entry)
                else:
                    files.current = True
    return groups, strange


def _entries(folder: Path, strange: list[Path]) -> Iterator[Path]:
    for entry in sorted(folder.iterdir()):
        if len(entry.name) == 3 and entry.is_dir() and not entry.is_symlink():
            yield entry
        else:
            strange.append(entry)


def _regular(path: Path) -> bool:
    try:
        return path.lstat().st_mode & 0o170000 == 0o100000
    except FileNotFoundError:
        return False


def _worth_a_look(files: ResourceFiles, recorded: Recorded | None) -> bool:
    """Only leftovers, or files no resource describes: a resource's own file is let be."""
    return bool(files.temporaries or files.previous or recorded is None)


def _recorded(connection: sa.engine.Connection, ids: Iterable[str]) -> dict[str, Recorded]:
    """What the database records of these resources' files."""
    resource = model.resource_table
    document = db.BudgetDocumentRecord.__table__
    query = sa.select(
        resource.c.id,
        resource.c.url_type,
        resource.c.size,
        resource.c.extras,
        document.c.content_sha256,
        document.c.size_bytes,
    ).select_from(resource.outerjoin(document, document.c.resource_id == resource.c.id))
    found = {}
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        rows = connection.execute(query.where(resource.c.id.in_(ids[start : start + BATCH])))
        for rid, url_type, size, extras, sha, size_bytes in rows:
            hashes = {h for h in ((extras or {}).get(SHA_FIELD), sha) if h}
            sizes = {s for s in (size, size_bytes) if s is not None}
            found[rid] = Recorded(
                uploaded=url_type == "upload",
                sizes=frozenset(int(s) for s in sizes),
                hashes=frozenset(str(h) for h in hashes),
            )
    return found


def _oldest_open_transaction(connection: sa.engine.Connection) -> float | None:
    """When the oldest transaction still open in the database (not this one) began, on
    this machine's clock; the database's present time when none is open; ``None`` when
    another user's sessions cannot be seen."""
    before = time.time()
    hidden, oldest, now = connection.execute(
        sa.text(
            "SELECT bool_or(query = '<insufficient privilege>'),"
            " extract(epoch FROM min(xact_start)), extract(epoch FROM clock_timestamp())"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
    ).one()
    offset = (before + time.time()) / 2 - float(now)
    if hidden:
        return None
    return float(now if oldest is None else min(oldest, now)) + offset


def sweep(
    storage_path: str | None = None,
    *,
    older_than: float = GRACE_MINUTES * 60,
    dry_run: bool = False,
) -> Report:
    """Remove or put back the files killed uploads left in the portal's storage."""
    storage = storage_path or tk.config.get("ckan.storage_path")
    root = Path(storage) / "resources" if storage else None
    if root is None or not root.is_dir():
        return Report([], dry_run)
    groups, strange = scan(root)
    steps = [Step(KEEP, path, UNEXPECTED) for path in strange]
    engine = model.meta.engine
    assert engine is not None
    with engine.connect() as connection:
        with connection.begin():
            open_since = _oldest_open_transaction(connection)
            recorded = _recorded(connection, groups)
        for rid, files in sorted(groups.items()):
            if _worth_a_look(files, recorded.get(rid)):
                steps.extend(_sweep_resource(connection, files, older_than, open_since, dry_run))
    return Report(steps, dry_run)


def _sweep_resource(
    connection: sa.engine.Connection,
    files: ResourceFiles,
    older_than: float,
    open_since: float | None,
    dry_run: bool,
) -> list[Step]:
    try:
        newest = max(path.lstat().st_mtime for path in files.all())
    except FileNotFoundError:
        return []  # another sweep, or an upload's end, got there first
    except OSError as error:
        reason = FAILED.with_params(error=os.strerror(error.errno or 0))
        return [Step(KEEP, path, reason) for path in files.all()]
    if not settled(newest, time.time(), older_than, open_since):
        reason = RECENT.with_params(minutes=f"{older_than / 60:g}")
        return [Step(LATER, path, reason) for path in files.all()]
    with connection.begin():
        locked = connection.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:lock, hashtext(:id))"),
            {"lock": UPLOAD_LOCK, "id": files.resource_id},
        ).scalar()
        if not locked:
            return [Step(LATER, path, BUSY) for path in files.all()]
        recorded = _recorded(connection, [files.resource_id]).get(files.resource_id)
        try:
            steps = decide(files, recorded)
        except OSError as error:  # a file that cannot be read: nothing is done
            reason = FAILED.with_params(error=os.strerror(error.errno or 0))
            return [Step(KEEP, path, reason) for path in files.all()]
        return steps if dry_run else [_apply(step) for step in steps]


def _apply(step: Step) -> Step:
    try:
        if step.action == REMOVE:
            step.path.unlink(missing_ok=True)
        elif step.action == RESTORE:
            assert step.into is not None
            os.replace(step.path, step.into)
    except OSError as error:
        return Step(KEEP, step.path, FAILED.with_params(error=os.strerror(error.errno or 0)))
    return step


def at_worker_start() -> None:
    """The sweep a worker runs before its first job; never stops the worker from starting."""
    try:
        model.Session.remove()  # its transaction, open since CKAN started, would look in use
        report = sweep()
    except Exception:
        log.exception("sweep of the storage at the worker's start failed; the worker starts")
        return
    for step in report.steps:
        level = logging.WARNING if step.action == KEEP else logging.INFO
        log.log(level, "storage sweep: %s", step.text("en", dry_run=False))
    if report.steps:
        log.info("storage sweep: %s", report.summary("en"))


def sweep_when_a_worker_starts() -> None:
    """Make ``ckan jobs worker`` sweep the storage before it starts working.

    CKAN has no "worker started" hook: a command line (a click context) gets its
    ``jobs worker`` command wrapped, once; the web server (no click context) is untouched.
    """
    if click.get_current_context(silent=True) is None:
        return
    if not tk.config.get("ckanext.budget.sweep_at_worker_start"):
        return
    from ckan.cli import jobs as jobs_cli

    command = jobs_cli.worker
    start = command.callback
    if start is None or getattr(start, "budget_sweep", False):
        return

    @functools.wraps(start)
    def worker(*args: Any, **kwargs: Any) -> Any:
        at_worker_start()
        return start(*args, **kwargs)

    worker.budget_sweep = True  # type: ignore[attr-defined]
    command.callback = worker
