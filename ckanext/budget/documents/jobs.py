"""Processing in the background: a job per document, enqueued once the transaction that
records it commits (a worker never looks for a row that does not exist yet), carrying a
resource id only, that re-reads the *stored, anonymised* file through the core's one
document path; failures end in a state the document's page shows, with what to do.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from werkzeug.datastructures import FileStorage

from .. import settings
from ..docbudg import errors, pipeline
from ..docbudg.messages import Message
from ..docbudg.pipeline import PipelineResult
from ..web import page_cache
from . import index_fields as search
from . import jobstate, results, signals, storage
from . import model as db

log = logging.getLogger(__name__)

JOB_TIMEOUT_SECONDS = 1800

RUN_ATTEMPTS = 3

_JOBS_KEY = "ckanext_budget_jobs"

INTERNAL_ERROR = Message(
    "Le traitement du document a échoué à cause d'une erreur interne. Relancez le "
    "traitement ; si l'erreur persiste, signalez-la à l'administrateur du portail.",
    "Processing the document failed because of an internal error. Run the processing "
    "again; if the error persists, report it to the portal administrator.",
)

QUEUE_UNAVAILABLE = Message(
    "Le document est enregistré, mais la file des traitements en arrière-plan est "
    "indisponible : il n'a pas encore été traité. Relancez le traitement dans quelques "
    "minutes (bouton « Relancer le traitement », ou action d'API budget_reprocess) ; si "
    "le problème persiste, prévenez l'administrateur du portail.",
    "The document is stored, but the background processing queue is unavailable: it "
    "has not been processed yet. Run the processing again in a few minutes (the "
    "“Process again” button, or the budget_reprocess API action); if the problem "
    "persists, tell the portal administrator.",
)

INTERRUPTED = Message(
    "Le traitement a été interrompu : le processus qui le faisait en arrière-plan s'est "
    "arrêté avant la fin. Le document est bien enregistré ; relancez le traitement "
    "(bouton « Relancer le traitement », ou action d'API budget_reprocess).",
    "Processing was interrupted: the background process running it stopped before the "
    "end. The document is stored; run the processing again (the “Process again” button, "
    "or the budget_reprocess API action).",
)


def schedule(record: db.BudgetDocumentRecord) -> None:
    """Mark pending and enqueue the job once the current transaction has committed."""
    record.status = db.STATUS_PENDING
    record.status_reason = None
    record.job_id = f"budget-{record.resource_id}-{uuid.uuid4().hex[:8]}"
    session = model.Session()
    session.info.setdefault(_JOBS_KEY, []).append((record.resource_id, record.job_id))


@sa.event.listens_for(model.Session, "after_commit")
def _enqueue_after_commit(session: Any) -> None:
    if session.in_nested_transaction():
        return  # a savepoint (CKAN 2.12's package_update): the rows are not committed yet
    for resource_id, job_id in session.info.pop(_JOBS_KEY, []):
        try:
            tk.enqueue_job(
                process_resource_job,
                [resource_id],
                title=f"ckanext-budget: process resource {resource_id}",
                rq_kwargs={"job_id": job_id, "timeout": JOB_TIMEOUT_SECONDS},
            )
        except Exception as error:  # Redis down: failed with a reason, can be re-run
            log.error("could not enqueue processing of resource %s: %r", resource_id, error)
            _fail_outside(session, resource_id, job_id, QUEUE_UNAVAILABLE)


@sa.event.listens_for(model.Session, "after_rollback")
def _forget_jobs(session: Any) -> None:
    session.info.pop(_JOBS_KEY, None)


def reprocess(resource_id: str, *, in_background: bool = True) -> db.BudgetDocumentRecord:
    """Run the processing again for a stored document (re-process button, CLI, API)."""
    record = db.get_document(resource_id)
    if record is None:
        raise tk.ObjectNotFound(resource_id)
    if in_background:
        schedule(record)
        model.Session.commit()
    else:
        run(record)
    return record


def run(record: db.BudgetDocumentRecord, *, attempts: int = RUN_ATTEMPTS) -> None:
    """Process the stored, anonymised file of ``record`` and commit the outcome.

    The results are stored under the document's row lock, and only if the stored file is
    still the one processed: a file replaced meanwhile is processed again, so results
    never describe another content than the one stored.
    """
    session = model.Session
    record.status = db.STATUS_RUNNING
    session.commit()
    try:
        result = pipeline.process(
            storage.stored_bytes(record.resource_id),
            policy=settings.anonymisation_policy(),
            limits=settings.limits(),
            plans_dir=settings.plans_dir(),
            keep_document=True,
        )
        if result.anonymisation.changed:
            # Stored before the policy occulted this: the published file is replaced
            # (through the upload gate), which schedules its own processing.
            session.rollback()
            _replace_stored_file(record.resource_id, result)
            return
        record.content_sha256 = result.sha256
        record.size_bytes = result.size
        results.identity(record, result.header)
        current = _lock_stored_sha256(record.resource_id)
        if current is None:
            session.rollback()
            return  # the resource was deleted meanwhile
        if current != record.content_sha256 and attempts > 1:
            session.rollback()
            run(record, attempts=attempts - 1)
            return
        assert result.document is not None and result.validation is not None
        results.store_results(
            record, result.document, result.validation, result.exports, result.export_errors
        )
        # The listeners (the rule sets' aggregation) use the document parsed here, in
        # this transaction: the stored file is not read again.
        signals.document_processed.send(
            record.resource_id, document=result.document, content_sha256=result.sha256
        )
    except errors.BudgetDocError as error:
        session.rollback()
        _fail(record.resource_id, error.msg)
        return
    except Exception:
        session.rollback()
        log.exception("processing of budget document %s failed", record.resource_id)
        _fail(record.resource_id, INTERNAL_ERROR)
        raise
    session.commit()
    search.reindex_dataset(record.package_id)


def _replace_stored_file(resource_id: str, result: PipelineResult) -> None:
    """Store ``result``'s published bytes in place of a resource's file."""
    resource = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    name = PurePosixPath(resource.get("url") or "").name or "document-budgetaire.xml"
    log.warning("budget document %s held values the policy occults: file replaced", resource_id)
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    tk.get_action("resource_patch")(
        {"ignore_auth": True, "user": site_user["name"]},
        {
            "id": resource_id,
            "upload": FileStorage(
                io.BytesIO(result.anonymised), name, content_type="application/xml"
            ),
        },
    )


def _lock_stored_sha256(resource_id: str) -> str | None:
    """Lock the document's row (uploads take it before replacing the file), then hash
    the stored file; ``None`` when the document no longer exists."""
    locked = model.Session.execute(
        sa.select(db.BudgetDocumentRecord.resource_id)
        .where(db.BudgetDocumentRecord.resource_id == resource_id)
        .with_for_update()
    ).first()
    if locked is None:
        return None
    return hashlib.sha256(storage.stored_bytes(resource_id)).hexdigest()


def _interrupted(record: db.BudgetDocumentRecord) -> bool:
    """Waiting for (or being processed by) a job that can no longer finish (``jobstate``)."""
    return (
        record.status in (db.STATUS_PENDING, db.STATUS_RUNNING)
        and bool(record.job_id)
        and jobstate.is_lost(record.job_id, record.updated)
    )


def shown_status(record: db.BudgetDocumentRecord) -> tuple[str, dict[str, str] | None]:
    """The status a read shows, and its reason: a document whose job can no longer finish
    is shown failed ("interrupted"), with the re-run button. Worked out on each read,
    never written by one (reads never write): ``ckan budget status`` records it
    (:func:`settle_interrupted`), and processing it again replaces it."""
    if _interrupted(record):
        return db.STATUS_FAILED, INTERRUPTED.as_dict()
    return record.status, record.status_reason


def settle_interrupted(record: db.BudgetDocumentRecord | None) -> None:
    """Record as failed, with a reason and the re-run button, a document whose job can no
    longer finish. Called by ``ckan budget status``; pages and read actions show the same
    without writing it (:func:`shown_status`)."""
    if record is not None and _interrupted(record):
        log.warning("processing job %s of resource %s was lost", record.job_id, record.resource_id)
        _fail_outside(model.Session(), record.resource_id, record.job_id, INTERRUPTED)


def _fail_outside(session: Any, resource_id: str, job_id: str, message: Message) -> None:
    """Mark a document failed in a transaction of its own, only if it still waits for
    ``job_id``: usable after a commit, never overwriting newer states.
    Gives up after a short wait if a transaction holds the document."""
    table = db.BudgetDocumentRecord.__table__
    now = results.now()
    values = {
        "status": db.STATUS_FAILED,
        "status_reason": message.as_dict(),
        "processed": now,
        "updated": now,
    }
    try:
        with session.get_bind().begin() as connection:
            connection.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
            changed = connection.execute(
                table.update()
                .where(
                    table.c.resource_id == resource_id,
                    table.c.job_id == job_id,
                    table.c.status.in_((db.STATUS_PENDING, db.STATUS_RUNNING)),
                )
                .values(**values)
            ).rowcount
    except sa.exc.SQLAlchemyError:
        log.warning("could not mark the document of resource %s failed", resource_id)
        return
    if changed:
        page_cache.bump()  # committed on a connection of its own: the session did not see it
    record = session.identity_map.get(identity_key(db.BudgetDocumentRecord, resource_id))
    if changed and record is not None:
        for key, value in values.items():
            set_committed_value(record, key, value)


def _fail(resource_id: str, message: Message) -> None:
    record = db.get_document(resource_id)
    if record is None:
        return
    record.status = db.STATUS_FAILED
    record.status_reason = message.as_dict()
    record.processed = results.now()
    model.Session.commit()
    search.reindex_dataset(record.package_id)


def process_resource_job(resource_id: str) -> None:
    """Background job: process one stored document (the only argument is its id)."""
    record = db.get_document(resource_id)
    if record is None:
        log.info("budget document %s was deleted before processing", resource_id)
        return
    run(record)
