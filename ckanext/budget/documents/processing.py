"""After a dataset is saved: each uploaded document is recorded, its results stored at once
(small documents, validated in the request) or its processing scheduled (``jobs``).

Data flows one way: the upload gate (``upload.intercept``) anonymised the document and
left a :class:`~..docbudg.pipeline.PipelineResult`; once CKAN has saved the dataset, the
plugin calls :func:`sync_package`.
"""

from __future__ import annotations

import logging
from typing import Any

from ..docbudg.pipeline import PipelineResult
from . import jobs, results, signals
from . import model as db
from .upload import SHA_FIELD, pending

log = logging.getLogger(__name__)


def store_prepared(package_id: str, resource_id: str, prepared: PipelineResult) -> None:
    """Record a freshly uploaded document; store its results — and, through
    ``signals.document_processed``, let the rule sets aggregate the document parsed here —
    or jobs.schedule their computation."""
    record = results.record_for(package_id, resource_id)
    results.identity(record, prepared.header)
    record.content_sha256 = prepared.sha256
    record.size_bytes = prepared.size
    record.anonymisation_report = prepared.anonymisation.as_dict()
    record.counts = {"lines": prepared.line_count, "annexes": prepared.annex_counts}
    if prepared.completed and prepared.document is not None:
        results.store_results(
            record,
            prepared.document,
            prepared.validation,
            prepared.exports,
            prepared.export_errors,
        )
        signals.document_processed.send(
            resource_id, document=prepared.document, content_sha256=prepared.sha256
        )
    else:
        results.clear_results(resource_id)
        record.validation_report = None
        record.validation_status = None
        record.indicators = None
        jobs.schedule(record)


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
