"""Where aggregations are computed: never by a read.

- In the pass that processes a document (``documents.signals.document_processed``, sent
  with the document the pipeline parsed): aggregated in the processing's own transaction,
  in the request for a small document, in its job otherwise; the stored file is not read
  again.
- After a rule-set change (``signals.rules_changed``): each document concerned is read
  from its stored file once and aggregated again — in the request that saved the rules
  for a few documents, in a background job for more.
- When a read finds a document's aggregation missing or out of date (a dataset moved to
  another organisation, an aggregation that failed, one stored before its format
  changed): the read shows that its figures are being computed and :func:`queue` queues
  the job, once per document content and rule-set version however often it is read.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import redis
import rq
from ckan import model
from ckan.lib.redis import connect_to_redis
from ckan.plugins import toolkit as tk

from ..docbudg.messages import Message
from ..docbudg.model import BudgetDocument
from ..documents import jobstate
from ..documents import model as db
from ..web import page_cache
from . import service
from .model import AggregationRecord

log = logging.getLogger(__name__)

INLINE_DOCUMENTS = 3
"""A rule-set change recomputes up to this many documents in the request that saved it;
more go to a background job (about 0.2 s per document, most of it reading its file)."""
JOB_TIMEOUT_SECONDS = 3600
QUEUING_SECONDS = 60
"""After a read queued a document's job, other reads only say so (no look at the queue)
until it succeeded, or for a minute: many reads at once queue one job."""
QUEUING_KEY = "ckanext-budget:{site_id}:queuing:{job_id}"

COMPUTING = Message(
    "Les chiffres de ce document sont en cours de calcul avec les règles qui s'y "
    "appliquent : réessayez dans un instant.",
    "The figures of this document are being computed with the rules that apply to it: "
    "try again in a moment.",
)
"""What the API says of a document whose aggregation a job is computing."""


def on_document_processed(
    resource_id: str,
    document: BudgetDocument | None = None,
    content_sha256: str | None = None,
    **_: Any,
) -> None:
    """Handler of ``document_processed``: aggregate the document the processing parsed
    (``document``, of content ``content_sha256``) in the processing's transaction, which
    its sender commits. A failure is logged and never fails the processing; the
    document's pages then say its figures are being computed, and queue it."""
    record = db.get_document(resource_id)
    if record is None or record.status != db.STATUS_DONE:
        return
    if document is None or content_sha256 is None:
        queue(record)
        return
    session = model.Session
    session.flush()  # the processing's own changes stay out of the savepoint below
    try:
        with session.begin_nested():
            service.store(record, document, content_sha256)
    except Exception:
        log.exception("aggregation of budget document %s failed", resource_id)


def on_rules_changed(ruleset_id: str, resource_ids: Iterable[str] = (), **_: Any) -> None:
    """Handler of ``rules_changed``: the documents concerned are aggregated again."""
    try:
        recompute(resource_ids)
    except Exception:  # the queue is unavailable: their reads will queue them
        log.exception("could not recompute the documents of rule set %s", ruleset_id)


def recompute(resource_ids: Iterable[str]) -> str | None:
    """Aggregate documents again with the rules that apply now: in this process for a few,
    else in a background job (its id)."""
    ids = list(resource_ids)
    if len(ids) <= INLINE_DOCUMENTS:
        recompute_job(ids)
        return None
    job = tk.enqueue_job(
        recompute_job,
        [ids],
        title=f"ckanext-budget: aggregate {len(ids)} documents",
        rq_kwargs={"timeout": JOB_TIMEOUT_SECONDS},
    )
    return job.id


def recompute_job(resource_ids: list[str]) -> None:
    """Background job: aggregate these documents, each read from its stored file once,
    unless their stored aggregation is up to date. Once they all are, a job a read queued
    may be queued again at once (should they go out of date again); after a failure,
    reads queue it again a minute later at the soonest."""
    done = [refresh(resource_id) for resource_id in resource_ids]
    job = rq.get_current_job()
    if job is not None and all(done):
        connection = connect_to_redis()
        connection.delete(QUEUING_KEY.format(site_id=tk.config.get("ckan.site_id"), job_id=job.id))


def refresh(resource_id: str) -> bool:
    """Aggregate a processed document whose stored aggregation is out of date, from its
    stored file (read once), and commit. False when it failed (logged)."""
    document = db.get_document(resource_id)
    if document is None or document.status != db.STATUS_DONE:
        return True
    if service.current(document) is not None:
        return True
    try:
        doc, content_sha256 = service.read_stored(resource_id)
        service.store(document, doc, content_sha256)
        model.Session.commit()
    except Exception:
        model.Session.rollback()
        log.exception("aggregation of budget document %s failed", resource_id)
        return False
    return True


# --- reads: what is stored, or the job queued ---------------------------------------------


def job_id(document: db.BudgetDocumentRecord, rules: tuple[str | None, int | None]) -> str:
    """The id of the job that computes ``document``'s aggregation for its content and the
    rule-set version ``rules``: the same for every read of that state."""
    ruleset_id, number = rules
    applied = f"{ruleset_id}-v{number}" if ruleset_id else "default"
    content = (document.content_sha256 or "")[:16]
    return f"budget-aggregate-{document.resource_id}-{content}-{applied}"


def queue(
    document: db.BudgetDocumentRecord, rules: tuple[str | None, int | None] | None = None
) -> str | None:
    """Queue the job that computes a document's aggregation (``rules``: the rule-set key
    that applies, when the caller knows it), unless it is already waiting or running.
    Returns the job's id; None when the queue is unavailable (the next read tries again)."""
    found = job_id(document, rules if rules is not None else service.rules_key(document.package_id))
    key = QUEUING_KEY.format(site_id=tk.config.get("ckan.site_id"), job_id=found)
    client = page_cache.fast_redis()
    if client is None:
        return None  # Redis failed a moment ago: the next read tries again
    try:
        if not client.set(key, "1", nx=True, ex=QUEUING_SECONDS):
            return found  # queued by another read a moment ago
    except redis.RedisError as error:
        page_cache.redis_failed(error)
        return None
    try:
        if not jobstate.is_lost(found, None):
            return found  # waiting, or running in a live worker
        tk.enqueue_job(
            recompute_job,
            [[document.resource_id]],
            title=f"ckanext-budget: aggregate resource {document.resource_id}",
            rq_kwargs={"job_id": found, "timeout": JOB_TIMEOUT_SECONDS},
        )
    except Exception as error:  # the page still shows what it has; the next read retries
        log.warning("could not queue the aggregation of %s: %r", document.resource_id, error)
        with contextlib.suppress(redis.RedisError):
            client.delete(key)
        return None
    return found


def current_or_queue(document: db.BudgetDocumentRecord) -> AggregationRecord | None:
    """The document's stored aggregation when it is up to date; else None, and the job
    that computes it is queued. What every read uses: a read never computes."""
    aggregation = service.current(document)
    if aggregation is None and document.status == db.STATUS_DONE:
        queue(document)
    return aggregation
