"""After-save processing: validation report, lines and derived files stored per resource.

Data flows one way: the upload gate (``upload.intercept``) anonymised the document and
left a :class:`~.docbudg.pipeline.PipelineResult`; once CKAN has saved the dataset, the plugin
calls :func:`sync_package`, which records the document and either stores its results at
once (small documents, already validated in the request) or schedules
:func:`process_resource_job`, which re-reads the *stored, anonymised* file. Jobs carry
a resource id only and are enqueued after the database transaction commits, so a worker
never looks for a row that does not exist yet.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import uuid
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.lib import uploader
from ckan.plugins import toolkit as tk
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from werkzeug.datastructures import FileStorage

from .. import settings
from ..docbudg import annex_tables, errors, indicators, pipeline, reader
from ..docbudg.export import ExportError, ExportResult
from ..docbudg.export.line_info import describer, find_export_plan
from ..docbudg.export.table import MEDIA_TYPES
from ..docbudg.messages import Message
from ..docbudg.model import BudgetDocument, DocumentHeader
from ..docbudg.pipeline import PipelineResult
from ..docbudg.validation import ValidationReport
from ..web import page_cache
from . import index_fields as search
from . import jobstate
from . import model as db
from .upload import SHA_FIELD, pending

log = logging.getLogger(__name__)

JOB_TIMEOUT_SECONDS = 1800
RUN_ATTEMPTS = 3
# Sent with the resource id once a document's results are committed (and its file is
# stored): the rule sets aggregate it. A blinker signal keeps processing unaware of them.
document_processed = tk.signals.ckanext.signal("budget_document_processed")
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
NOT_STORED_LOCALLY = Message(
    "Le fichier stocké n'est pas accessible au traitement (stockage externe).",
    "The stored file cannot be read for processing (external storage).",
)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _identity(record: db.BudgetDocumentRecord, header: DocumentHeader) -> None:
    record.collectivite = header.libelle_coll
    record.siret = (header.id_etab or header.id_coll or "")[:14] or None
    record.etablissement = header.libelle_etab
    record.cod_bud = header.cod_bud
    record.nomenclature = header.nomenclature
    record.stage = header.stage.name if header.stage else None
    record.num_dec = header.num_dec
    record.exercice = header.exer
    record.is_principal = header.is_principal
    record.header = {
        "libelle_coll": header.libelle_coll,
        "id_coll": header.id_coll,
        "libelle_etab": header.libelle_etab,
        "id_etab": header.id_etab,
        "siren": header.siren,
        "cod_coll": header.cod_coll,
        "cod_insee_coll": header.cod_insee_coll,
        "cod_bud": header.cod_bud,
        "nomenclature": header.nomenclature,
        "norme": header.norme,
        "declinaison": header.declinaison,
        "nat_dec": header.nat_dec,
        "num_dec": header.num_dec,
        "exer": header.exer,
        "version_schema": header.version_schema,
        "dte_dec": header.dte_dec,
        "cod_typ_bud": header.cod_typ_bud,
        "is_cfu": header.is_cfu,
    }


def _clear_results(resource_id: str) -> None:
    session = model.Session
    session.query(db.BudgetLineRecord).filter_by(resource_id=resource_id).delete(
        synchronize_session=False
    )
    session.query(db.BudgetExportRecord).filter_by(resource_id=resource_id).delete(
        synchronize_session=False
    )


def _line_rows(resource_id: str, doc: BudgetDocument) -> list[dict[str, Any]]:
    describe = describer(find_export_plan(doc, settings.plans_dir()))
    rows = []
    for line in doc.detail_lines:
        info = describe(line)
        row: dict[str, Any] = {
            "resource_id": resource_id,
            "idx": line.index,
            "cod_rd": (line.cod_rd or "")[:1] or None,
            "section": info.section,
            "op_budg": (line.op_budg or "")[:1] or None,
            "chapter": info.chapter,
            "nature": line.nature,
            "fonction": line.fonction,
            "cont_nat": line.cont_nat,
            "operation": line.operation,
            "chapter_label": info.chapter_label,
            "nature_label": info.nature_label,
            "function_label": info.function_label,
        }
        for field, column in db.AMOUNT_COLUMNS.items():
            row[column] = line.amounts.get(field)
        rows.append(row)
    return rows


def store_results(
    record: db.BudgetDocumentRecord,
    doc: BudgetDocument,
    validation: ValidationReport,
    exports: dict[str, ExportResult],
    export_errors: dict[str, ExportError],
) -> None:
    """Replace the document's lines, exports and report with these, in one transaction."""
    session = model.Session
    _clear_results(record.resource_id)
    session.flush()
    rows = _line_rows(record.resource_id, doc)
    if rows:
        session.execute(sa.insert(db.BudgetLineRecord.__table__), rows)
    for key, result in exports.items():
        session.add(
            db.BudgetExportRecord(
                resource_id=record.resource_id,
                name=key,
                media_type=result.media_type,
                content=result.data,
                sha256=hashlib.sha256(result.data).hexdigest(),
                created=_now(),
            )
        )
    _add_annex_tables(record.resource_id, doc)
    record.indicators = indicators.compute(doc, plans_dir=settings.plans_dir())
    record.validation_report = validation.as_dict()
    record.validation_status = validation.status
    record.counts = {
        "lines": len(doc.lines),
        "detail_lines": len(rows),
        "annexes": doc.annex_blocks(),
        "exports": {key: result.rows for key, result in exports.items()},
        "export_errors": {
            name: {"code": error.code, "message": error.msg.as_dict()}
            for name, error in export_errors.items()
        },
    }
    record.status = db.STATUS_DONE
    record.status_reason = None
    record.processed = _now()


def _add_annex_tables(resource_id: str, doc: BudgetDocument) -> None:
    """The subsidies, loans and staff tables as derived files (``annexe-*.csv``): the
    annex pages read them, never the document."""
    for name, table in annex_tables.build(doc).items():
        data = annex_tables.to_csv(table.spec, table.rows)
        model.Session.add(
            db.BudgetExportRecord(
                resource_id=resource_id,
                name=annex_tables.export_name(name),
                media_type=MEDIA_TYPES["csv"],
                content=data,
                sha256=hashlib.sha256(data).hexdigest(),
                created=_now(),
            )
        )


def _record_for(package_id: str, resource_id: str) -> db.BudgetDocumentRecord:
    record = db.get_document(resource_id)
    if record is None:
        record = db.BudgetDocumentRecord(resource_id=resource_id, created=_now())
        model.Session.add(record)
    record.package_id = package_id
    return record


def store_prepared(package_id: str, resource_id: str, prepared: PipelineResult) -> None:
    """Record a freshly uploaded document; store its results or schedule their computation."""
    record = _record_for(package_id, resource_id)
    _identity(record, prepared.header)
    record.content_sha256 = prepared.sha256
    record.size_bytes = prepared.size
    record.anonymisation_report = prepared.anonymisation.as_dict()
    record.counts = {"lines": prepared.line_count, "annexes": prepared.annex_counts}
    if prepared.completed and prepared.document is not None:
        store_results(
            record,
            prepared.document,
            prepared.validation,
            prepared.exports,
            prepared.export_errors,
        )
    else:
        _clear_results(resource_id)
        record.validation_report = None
        record.validation_status = None
        record.indicators = None
        schedule(record)


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


def sync_package(pkg_dict: dict[str, Any]) -> None:
    """Reconcile a just-saved dataset's resources with the documents uploaded for them."""
    package_id = pkg_dict.get("id")
    if not package_id:
        return
    seen: set[str] = set()
    for resource in pkg_dict.get("resources") or []:
        resource_id = resource.get("id")
        if not resource_id:
            continue
        sha = resource.get(SHA_FIELD)
        if sha == "" or (resource.get("url_type") != "upload" and db.get_document(resource_id)):
            db.delete_for_resources([resource_id])
            continue
        # Peeked, not popped: another resource of the dataset may hold the same content
        # already, and must not take the new resource's document from it.
        prepared = pending.peek(sha) if sha else None
        if prepared is None:
            continue
        seen.add(sha)
        record = db.get_document(resource_id)
        if (
            record is not None
            and record.content_sha256 == sha
            and record.status
            in (
                db.STATUS_DONE,
                db.STATUS_PENDING,
                db.STATUS_RUNNING,
            )
        ):
            continue  # the same content again: nothing to redo
        store_prepared(package_id, resource_id, prepared)
    for sha in seen:  # used by every resource that needed it: free the memory
        pending.pop(sha)


def stored_bytes(resource_id: str) -> bytes:
    """The stored (anonymised) document of a resource, within the size limit."""
    resource = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    upload = uploader.get_resource_uploader(resource)
    get_path = getattr(upload, "get_path", None)
    if get_path is None:
        raise errors.BudgetDocError(NOT_STORED_LOCALLY)
    with open(get_path(resource_id), "rb") as stream:
        return reader.load_bytes(stream, settings.limits())


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
            stored_bytes(record.resource_id),
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
        _identity(record, result.header)
        current = _lock_stored_sha256(record.resource_id)
        if current is None:
            session.rollback()
            return  # the resource was deleted meanwhile
        if current != record.content_sha256 and attempts > 1:
            session.rollback()
            run(record, attempts=attempts - 1)
            return
        assert result.document is not None and result.validation is not None
        store_results(
            record, result.document, result.validation, result.exports, result.export_errors
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
    document_processed.send(record.resource_id)


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
    return hashlib.sha256(stored_bytes(resource_id)).hexdigest()


def settle_interrupted(record: db.BudgetDocumentRecord | None) -> None:
    """Mark failed, with a reason and the re-run button, a document waiting for (or
    being processed by) a job that can no longer finish (see ``jobstate``). Called by
    the reads that show a status (the document page, ``budget_document_show``)."""
    if (
        record is None
        or record.status not in (db.STATUS_PENDING, db.STATUS_RUNNING)
        or not record.job_id
    ):
        return
    if jobstate.is_lost(record.job_id, record.updated):
        log.warning("processing job %s of resource %s was lost", record.job_id, record.resource_id)
        _fail_outside(model.Session(), record.resource_id, record.job_id, INTERRUPTED)


def _fail_outside(session: Any, resource_id: str, job_id: str, message: Message) -> None:
    """Mark a document failed in a transaction of its own, only if it still waits for
    ``job_id``: usable after a commit and during reads, never overwriting newer states.
    Gives up after a short wait if a transaction holds the document."""
    table = db.BudgetDocumentRecord.__table__
    now = _now()
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
    record.processed = _now()
    model.Session.commit()
    search.reindex_dataset(record.package_id)


def process_resource_job(resource_id: str) -> None:
    """Background job: process one stored document (the only argument is its id)."""
    record = db.get_document(resource_id)
    if record is None:
        log.info("budget document %s was deleted before processing", resource_id)
        return
    run(record)
