"""Rule-set operations shared by the API, the editor pages, the CLI and the jobs.

Which rules apply to a document: its dataset's override, else its organisation's rule
set, else the default trees of its plan de comptes (``default_ruleset``). Every save is a
new version (restoring an old one too). A document's aggregation is stored with the
rule-set version and the content hash that produced it; it is recomputed inline after
the document is processed, and after a rule-set change (in a background job when many
documents are concerned). Reads recompute a stored aggregation that is out of date.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk

from .. import settings
from ..docbudg import reader
from ..docbudg.aggregation import (
    AggregationResult,
    RuleSet,
    aggregate,
    default_ruleset,
    ruleset_from_dict,
    ruleset_to_dict,
)
from ..docbudg.figures.big_numbers import big_numbers
from ..docbudg.figures.results import Result, result_of
from ..docbudg.model import BudgetDocument
from ..documents import model as db
from ..documents import storage
from . import diff
from .model import AggregationRecord, RuleSetRecord, RuleSetVersionRecord, now

log = logging.getLogger(__name__)

INLINE_DOCUMENTS = 3
"""A rule-set change recomputes up to this many documents in the request; more go to a
background job (about 0.2 s per document, most of it reading the stored file)."""
JOB_TIMEOUT_SECONDS = 3600
COMPUTE_ATTEMPTS = 3
"""A document whose file or rules keep changing while it is aggregated is stored as
computed after this many attempts (each attempt stores what it really used)."""


# --- finding rule sets -------------------------------------------------------------------


def get(ruleset_id: str) -> RuleSetRecord | None:
    return model.Session.get(RuleSetRecord, ruleset_id)


def for_organization(org_id: str) -> RuleSetRecord | None:
    return (
        model.Session.query(RuleSetRecord)
        .filter(RuleSetRecord.owner_org == org_id, RuleSetRecord.package_id.is_(None))
        .one_or_none()
    )


def for_package(package_id: str) -> RuleSetRecord | None:
    return (
        model.Session.query(RuleSetRecord)
        .filter(RuleSetRecord.package_id == package_id)
        .one_or_none()
    )


def of_organization(org_id: str) -> list[RuleSetRecord]:
    """The organisation's rule set first, then its datasets' overrides."""
    return (
        model.Session.query(RuleSetRecord)
        .filter(RuleSetRecord.owner_org == org_id)
        .order_by(RuleSetRecord.package_id.isnot(None), RuleSetRecord.created)
        .all()
    )


def applicable(package_id: str) -> RuleSetRecord | None:
    """The rule set that applies to a dataset's documents (``None``: the defaults)."""
    override = for_package(package_id)
    if override is not None:
        return override
    package = model.Package.get(package_id)
    return for_organization(package.owner_org) if package and package.owner_org else None


def version(record: RuleSetRecord, number: int | None = None) -> RuleSetVersionRecord | None:
    return model.Session.get(
        RuleSetVersionRecord, (record.id, record.version if number is None else number)
    )


def history(record: RuleSetRecord) -> list[RuleSetVersionRecord]:
    return (
        model.Session.query(RuleSetVersionRecord)
        .filter(RuleSetVersionRecord.ruleset_id == record.id)
        .order_by(RuleSetVersionRecord.version.desc())
        .all()
    )


def content(record: RuleSetRecord, number: int | None = None) -> dict[str, Any]:
    found = version(record, number)
    if found is None:
        raise tk.ObjectNotFound(tk._("No such version of the rule set."))
    return found.content


def ruleset(record: RuleSetRecord, number: int | None = None) -> RuleSet:
    return ruleset_from_dict(content(record, number))


# --- saving -------------------------------------------------------------------------------


def create(
    owner_org: str,
    rules: RuleSet,
    author: str | None,
    *,
    package_id: str | None = None,
    comment: str | None = None,
) -> RuleSetRecord:
    """A new rule set with its first version (committed)."""
    record = RuleSetRecord(
        id=str(uuid.uuid4()),
        owner_org=owner_org,
        package_id=package_id,
        label=rules.label,
        version=0,
        created=now(),
    )
    model.Session.add(record)
    try:
        model.Session.flush()
    except sa.exc.IntegrityError:  # created meanwhile by someone else (unique indexes)
        model.Session.rollback()
        raise tk.ValidationError(
            {"organization": [tk._("A rule set already exists here: update it instead.")]}
        ) from None
    save(record, rules, author, comment=comment)
    return record


def _lock(record: RuleSetRecord) -> RuleSetRecord:
    """The rule set's row locked until commit, its current version re-read: concurrent
    saves are serialised, so each one follows the version really saved before it."""
    locked = (
        model.Session.query(RuleSetRecord)
        .filter(RuleSetRecord.id == record.id)
        .with_for_update()
        .populate_existing()
        .one_or_none()
    )
    if locked is None:  # deleted meanwhile
        model.Session.rollback()
        raise tk.ObjectNotFound(tk._("Rule set not found"))
    return locked


def save(
    record: RuleSetRecord,
    rules: RuleSet,
    author: str | None,
    *,
    comment: str | None = None,
    restored_from: int | None = None,
    base_version: int | None = None,
) -> RuleSetVersionRecord | None:
    """Keep ``rules`` as the next version, commit, and recompute the documents concerned.
    Returns ``None`` (and saves nothing) when nothing changed. With ``base_version`` (the
    version the editor started from), a rule set saved meanwhile by someone else is not
    overwritten: the save is refused and says which version is current."""
    record = _lock(record)
    if base_version is not None and base_version != record.version:
        current = record.version
        model.Session.rollback()
        raise tk.ValidationError(
            {
                "base_version": [
                    tk._(
                        "This rule set was changed by someone else meanwhile: it is now at "
                        "version {current}, your changes start from version {base}. Reload "
                        "it and make your changes again."
                    ).format(current=current, base=base_version)
                ]
            }
        )
    new = ruleset_to_dict(rules)
    previous = version(record) if record.version else None
    if previous is not None and previous.content == new:
        model.Session.commit()  # releases the lock
        return None
    saved = RuleSetVersionRecord(
        ruleset_id=record.id,
        version=record.version + 1,
        content=new,
        changes=diff.changes(
            ruleset_from_dict(previous.content) if previous else None, ruleset_from_dict(new)
        ),
        author=author,
        comment=comment or None,
        restored_from=restored_from,
        created=now(),
    )
    model.Session.add(saved)
    record.version = saved.version
    record.label = rules.label
    record.updated = saved.created
    model.Session.commit()
    recompute(documents_in_scope(record))
    return saved


def restore(record: RuleSetRecord, number: int, author: str | None) -> RuleSetVersionRecord:
    """Make version ``number`` current again, as a new version."""
    old = ruleset(record, number)
    saved = save(record, old, author, restored_from=number)
    if saved is None:
        raise tk.ValidationError({"version": [tk._("This version is already the current one.")]})
    return saved


def delete(record: RuleSetRecord) -> None:
    """Remove a rule set and its versions; its documents go back to the next rules."""
    resource_ids = [d.resource_id for d in documents_in_scope(record)]
    model.Session.delete(record)
    model.Session.commit()
    recompute(db.get_document(r) for r in resource_ids)


# --- documents and their aggregation ------------------------------------------------------


def documents_in_scope(record: RuleSetRecord) -> list[db.BudgetDocumentRecord]:
    """Processed documents this rule set applies to."""
    query = model.Session.query(db.BudgetDocumentRecord).filter(
        db.BudgetDocumentRecord.status == db.STATUS_DONE
    )
    if record.package_id:
        query = query.filter(db.BudgetDocumentRecord.package_id == record.package_id)
    else:
        overridden = model.Session.query(RuleSetRecord.package_id).filter(
            RuleSetRecord.package_id.isnot(None)
        )
        query = (
            query.join(model.Package, model.Package.id == db.BudgetDocumentRecord.package_id)
            .filter(model.Package.owner_org == record.owner_org)
            .filter(model.Package.state == "active")
            .filter(db.BudgetDocumentRecord.package_id.notin_(overridden))
        )
    return query.order_by(db.BudgetDocumentRecord.exercice, db.BudgetDocumentRecord.stage).all()


def documents_of_organization(org_id: str) -> list[db.BudgetDocumentRecord]:
    """Every processed document of an organisation's active datasets."""
    return (
        model.Session.query(db.BudgetDocumentRecord)
        .join(model.Package, model.Package.id == db.BudgetDocumentRecord.package_id)
        .filter(model.Package.owner_org == org_id, model.Package.state == "active")
        .filter(db.BudgetDocumentRecord.status == db.STATUS_DONE)
        .order_by(db.BudgetDocumentRecord.exercice, db.BudgetDocumentRecord.stage)
        .all()
    )


def load_document(resource_id: str) -> BudgetDocument:
    """The stored (anonymised) document, parsed."""
    return reader.read_document(storage.stored_bytes(resource_id), settings.limits())


@dataclass
class Applied:
    """The rules applied to a document: the stored rule set and version, or the defaults."""

    rules: RuleSet
    record: RuleSetRecord | None
    version: int | None

    @property
    def name(self) -> str:
        return self.rules.label or self.rules.id


def rules_for(document: db.BudgetDocumentRecord, doc: BudgetDocument) -> Applied:
    record = applicable(document.package_id)
    if record is None:
        return Applied(default_ruleset(doc), None, None)
    return Applied(ruleset(record), record, record.version)


def stored(resource_id: str) -> AggregationRecord | None:
    return model.Session.get(AggregationRecord, resource_id)


def result(aggregation: AggregationRecord) -> Result:
    """The typed result of a stored aggregation."""
    return Result.from_json(aggregation.result)


def is_fresh(aggregation: AggregationRecord | None, document: db.BudgetDocumentRecord) -> bool:
    """Computed from this content with the rule-set version that applies now."""
    if aggregation is None or aggregation.content_sha256 != document.content_sha256:
        return False
    record = applicable(document.package_id)
    if record is None:
        return aggregation.ruleset_id is None and aggregation.ruleset_version is None
    return (aggregation.ruleset_id, aggregation.ruleset_version) == (record.id, record.version)


def _rules_now(package_id: str) -> tuple[str | None, int | None]:
    """(rule set id, version) that applies to a dataset now, re-read from the database."""
    record = applicable(package_id)
    if record is None:
        return None, None
    model.Session.refresh(record)
    return record.id, record.version


def compute(document: db.BudgetDocumentRecord) -> tuple[AggregationResult, AggregationRecord]:
    """Aggregate a document with the rules that apply to it and store the outcome.

    What is stored names the exact inputs: the hash of the bytes aggregated and the
    version whose rules were applied. Computations of one document are serialised (a
    transaction lock); one whose file or rules changed while it ran starts again, so a
    slow computation never overwrites a newer one with stale figures.
    """
    for attempt in range(1, COMPUTE_ATTEMPTS + 1):
        data = storage.stored_bytes(document.resource_id)
        content_sha256 = hashlib.sha256(data).hexdigest()
        doc = reader.read_document(data, settings.limits())
        applied = rules_for(document, doc)
        aggregated = aggregate(doc, applied.rules)
        model.Session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('budget_aggregation'), hashtext(:id))"),
            {"id": document.resource_id},
        )
        inputs_now = (
            _rules_now(document.package_id),
            hashlib.sha256(storage.stored_bytes(document.resource_id)).hexdigest(),
        )
        applied_key = (applied.record.id if applied.record else None, applied.version)
        if inputs_now == (applied_key, content_sha256) or attempt == COMPUTE_ATTEMPTS:
            break
        model.Session.rollback()  # releases the lock; compute again with the new inputs
    outcome = {
        "ruleset_id": applied.record.id if applied.record else None,
        "ruleset_version": applied.version,
        "ruleset_name": applied.name,
        "content_sha256": content_sha256,
        "ok": aggregated.ok,
        "result": result_of(aggregated, big_numbers(doc)).to_json(),
    }
    aggregation = stored(document.resource_id)
    if aggregation is None:
        aggregation = AggregationRecord(resource_id=document.resource_id)
        model.Session.add(aggregation)
    # The same outcome is not written again: a read (budget_aggregate in CSV) would
    # otherwise be a write, and every write makes the page cache of the portal stale.
    if any(getattr(aggregation, name) != value for name, value in outcome.items()):
        for name, value in outcome.items():
            setattr(aggregation, name, value)
        aggregation.computed = now()
    model.Session.commit()
    return aggregated, aggregation


def fresh(document: db.BudgetDocumentRecord) -> AggregationRecord:
    """The stored aggregation, recomputed first if it is out of date."""
    aggregation = stored(document.resource_id)
    if is_fresh(aggregation, document):
        return aggregation
    return compute(document)[1]


def on_document_processed(resource_id: str) -> None:
    """Hook for ``processing`` (after a document's results are committed and its file is
    stored): aggregate it unless its stored aggregation is up to date. A failure is
    logged and never fails the processing."""
    document = db.get_document(resource_id)
    if document is None or document.status != db.STATUS_DONE:
        return
    if is_fresh(stored(resource_id), document):
        return
    try:
        compute(document)
    except Exception:
        model.Session.rollback()
        log.exception("aggregation of budget document %s failed", resource_id)


def recompute(documents: Iterable[db.BudgetDocumentRecord | None]) -> str | None:
    """Recompute after a rule change: inline for a few documents, else in a job (its id)."""
    ids = [d.resource_id for d in documents if d is not None]
    if len(ids) <= INLINE_DOCUMENTS:
        for resource_id in ids:
            on_document_processed(resource_id)
        return None
    job = tk.enqueue_job(
        recompute_job,
        [ids],
        title=f"ckanext-budget: aggregate {len(ids)} documents",
        rq_kwargs={"timeout": JOB_TIMEOUT_SECONDS},
    )
    return job.id


def recompute_job(resource_ids: list[str]) -> None:
    """Background job: aggregate these documents with the rules that apply now."""
    for resource_id in resource_ids:
        on_document_processed(resource_id)
