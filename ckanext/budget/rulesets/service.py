"""Rule-set operations shared by the API, the editor pages, the CLI and the jobs.

Which rules apply to a document: its dataset's override, else its organisation's rule
set, else the default trees of its plan de comptes (``default_ruleset``); an authority's
rules come with the default trees they do not replace (``with_default_trees``). Every save
is a new version (restoring an old one too). A version is a draft until it is published:
documents are aggregated with the published version only (``published_version``), and
publishing says which documents it concerns (``signals.rules_changed``); a rule set never
published applies to nothing yet. Deleting a rule set keeps it and its versions (it applies to
nothing until it is restored): nothing is lost by a click. A document's aggregation is
stored with the rule-set version and the content hash that produced it (:func:`store`);
reads take it only while it is up to date (:func:`current`) and never compute one:
``jobs`` does, in the pass that processes the document, and after a rule-set change.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn

import cachetools
import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk

from .. import settings
from ..docbudg import reader
from ..docbudg.aggregation import (
    RuleSet,
    aggregate,
    default_ruleset,
    ruleset_from_dict,
    ruleset_to_dict,
    with_default_trees,
)
from ..docbudg.figures.big_numbers import BigNumbers
from ..docbudg.figures.results import (
    FORMAT,
    Result,
    ResultShare,
    leaf_lines_to_json,
    result_of,
    stored_leaf_lines,
)
from ..docbudg.model import BudgetDocument
from ..documents import model as db
from ..documents import storage
from ..documents.results import figures_current, store_figures
from . import diff, signals
from .model import AggregationRecord, RuleSetRecord, RuleSetVersionRecord, now

log = logging.getLogger(__name__)


# --- finding rule sets -------------------------------------------------------------------


def get(ruleset_id: str) -> RuleSetRecord | None:
    return model.Session.get(RuleSetRecord, ruleset_id)


def _live():
    return model.Session.query(RuleSetRecord).filter(RuleSetRecord.deleted.is_(None))


def _published():
    return _live().filter(RuleSetRecord.published_version.isnot(None))


def for_organization(org_id: str) -> RuleSetRecord | None:
    return (
        _live()
        .filter(RuleSetRecord.owner_org == org_id, RuleSetRecord.package_id.is_(None))
        .one_or_none()
    )


def for_package(package_id: str) -> RuleSetRecord | None:
    return _live().filter(RuleSetRecord.package_id == package_id).one_or_none()


def deleted_in(
    org_id: str, package_id: str | None = None, *, every: bool = False
) -> list[RuleSetRecord]:
    """The deleted rule sets of an organisation (``package_id``: of one of its datasets;
    ``every``: its own and its datasets'), the latest deleted first: what can be restored."""
    query = model.Session.query(RuleSetRecord).filter(
        RuleSetRecord.owner_org == org_id, RuleSetRecord.deleted.isnot(None)
    )
    if not every:
        query = query.filter(
            RuleSetRecord.package_id == package_id
            if package_id
            else RuleSetRecord.package_id.is_(None)
        )
    return query.order_by(RuleSetRecord.deleted.desc()).all()


def of_organization(org_id: str) -> list[RuleSetRecord]:
    """The organisation's rule set first, then its datasets' overrides (not deleted)."""
    return (
        _live()
        .filter(RuleSetRecord.owner_org == org_id)
        .order_by(RuleSetRecord.package_id.isnot(None), RuleSetRecord.created)
        .all()
    )


def applicable(package_id: str) -> RuleSetRecord | None:
    """The published rule set that applies to a dataset's documents (``None``: the
    defaults); a rule set never published is skipped, as if it did not exist yet."""
    override = _published().filter(RuleSetRecord.package_id == package_id).one_or_none()
    if override is not None:
        return override
    package = model.Package.get(package_id)
    if package is None or not package.owner_org:
        return None
    return (
        _published()
        .filter(RuleSetRecord.owner_org == package.owner_org, RuleSetRecord.package_id.is_(None))
        .one_or_none()
    )


def has_draft(record: RuleSetRecord) -> bool:
    """Versions saved since the published one (or never published at all)."""
    return record.published_version != record.version


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
    publish: bool = True,
) -> RuleSetRecord:
    """A new rule set with its first version (committed; a draft unless ``publish``)."""
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
    save(record, rules, author, comment=comment, publish=publish)
    return record


def _refuse(field: str, message: str) -> NoReturn:
    """End the locked transaction and refuse the change, saying why."""
    model.Session.rollback()
    raise tk.ValidationError({field: [message]})


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
    publish: bool = True,
) -> RuleSetVersionRecord | None:
    """Keep ``rules`` as the next version and commit; with ``publish``, it is the version
    the public sees from now on and the documents concerned are computed again (else a
    draft, see :func:`publish`). Returns ``None`` (and saves nothing) when nothing changed
    (the latest version is still published when asked). With ``base_version`` (the
    version the editor started from), a rule set saved meanwhile by someone else is not
    overwritten: the save is refused and says which version is current."""
    record = _lock(record)
    if record.deleted is not None:
        _refuse("id", tk._("This rule set is deleted: restore it before changing it."))
    if base_version is not None and base_version != record.version:
        _refuse(
            "base_version",
            tk._(
                "This rule set was changed by someone else meanwhile: it is now at "
                "version {current}, your changes start from version {base}. Reload "
                "it and make your changes again."
            ).format(current=record.version, base=base_version),
        )
    new = ruleset_to_dict(rules)
    previous = version(record) if record.version else None
    if previous is not None and previous.content == new:
        if publish and has_draft(record):
            _mark_published(record, previous, author)
            _commit_published(record)
        else:
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
    if not publish:
        model.Session.commit()
        return saved
    _mark_published(record, saved, author)
    _commit_published(record)
    return saved


def _mark_published(record: RuleSetRecord, saved: RuleSetVersionRecord, author: str | None) -> None:
    record.published_version = saved.version
    saved.published, saved.published_by = now(), author


def _commit_published(record: RuleSetRecord) -> None:
    """Commit a change of the published version; its documents are computed again."""
    model.Session.commit()
    signals.rules_changed.send(
        record.id, resource_ids=[d.resource_id for d in documents_in_scope(record)]
    )


def publish(
    record: RuleSetRecord, author: str | None, number: int | None = None
) -> RuleSetVersionRecord:
    """Make the latest version (``number``, when given, must be it) the one the public
    sees; its documents are computed again. An older version is published by restoring it
    first: what is published is always what the editor last showed."""
    record = _lock(record)
    if record.deleted is not None:
        _refuse("id", tk._("This rule set is deleted: restore it before publishing it."))
    if number is not None and number != record.version:
        _refuse(
            "version",
            tk._(
                "Only the latest version ({latest}) can be published: restore version "
                "{number} first, then publish it."
            ).format(latest=record.version, number=number),
        )
    if not has_draft(record):
        _refuse("version", tk._("This version is already the published one."))
    latest = version(record)
    assert latest is not None  # record.version always names a saved version
    _mark_published(record, latest, author)
    _commit_published(record)
    return latest


def restore(
    record: RuleSetRecord, number: int, author: str | None, *, publish: bool = True
) -> RuleSetVersionRecord:
    """Make version ``number`` current again, as a new version (a draft unless
    ``publish``)."""
    old = ruleset(record, number)
    saved = save(record, old, author, restored_from=number, publish=publish)
    if saved is None:
        raise tk.ValidationError({"version": [tk._("This version is already the current one.")]})
    return saved


def _history_entry(record: RuleSetRecord, author: str | None, kind: str) -> RuleSetVersionRecord:
    """A version that keeps the content and says the rule set was deleted or restored
    (``kind``): the history tells when and by whom, and the documents' figures, stored
    with the version that produced them, are computed again."""
    entry = RuleSetVersionRecord(
        ruleset_id=record.id,
        version=record.version + 1,
        content=content(record),
        changes=[{"kind": kind}],
        author=author,
        created=now(),
    )
    model.Session.add(entry)
    published = not has_draft(record)
    record.version = entry.version
    record.updated = entry.created
    if published:  # the entry carries the published content: it stays published
        _mark_published(record, entry, author)
    return entry


def delete(record: RuleSetRecord, author: str | None) -> RuleSetVersionRecord:
    """Set a rule set aside, its versions kept: its documents go back to the next rules
    (the organisation's, else the default ones) until it is restored (:func:`undelete`)."""
    record = _lock(record)
    if record.deleted is not None:
        _refuse("id", tk._("This rule set is already deleted."))
    resource_ids = [d.resource_id for d in documents_in_scope(record)]
    entry = _history_entry(record, author, "deleted")
    record.deleted, record.deleted_by = entry.created, author
    model.Session.commit()
    signals.rules_changed.send(record.id, resource_ids=resource_ids)
    return entry


def undelete(record: RuleSetRecord, author: str | None) -> RuleSetVersionRecord:
    """Make a deleted rule set apply again, as it was (a new entry in its history); refused
    while another rule set applies in its place."""
    record = _lock(record)
    if record.deleted is None:
        _refuse("id", tk._("This rule set is not deleted."))
    in_place = (
        for_package(record.package_id) if record.package_id else for_organization(record.owner_org)
    )
    if in_place is not None:
        model.Session.rollback()
        raise tk.ValidationError(
            {
                "id": [
                    tk._(
                        "Other rules apply here now ({label}): delete them first to restore these."
                    ).format(label=in_place.label)
                ]
            }
        )
    entry = _history_entry(record, author, "undeleted")
    record.deleted, record.deleted_by = None, None
    try:
        model.Session.commit()
    except sa.exc.IntegrityError:  # other rules created meanwhile (unique indexes)
        model.Session.rollback()
        raise tk.ValidationError(
            {"id": [tk._("Other rules apply here now: delete them first to restore these.")]}
        ) from None
    signals.rules_changed.send(
        record.id, resource_ids=[d.resource_id for d in documents_in_scope(record)]
    )
    return entry


# --- documents and their aggregation ------------------------------------------------------


def documents_in_scope(record: RuleSetRecord) -> list[db.BudgetDocumentRecord]:
    """Processed documents this rule set applies to."""
    query = model.Session.query(db.BudgetDocumentRecord).filter(
        db.BudgetDocumentRecord.status == db.STATUS_DONE
    )
    if record.package_id:
        query = query.filter(db.BudgetDocumentRecord.package_id == record.package_id)
    else:
        overridden = (
            _published()
            .with_entities(RuleSetRecord.package_id)
            .filter(RuleSetRecord.package_id.isnot(None))
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


def read_stored(resource_id: str) -> tuple[BudgetDocument, str]:
    """The stored (anonymised) document, parsed, and the hash of the bytes read (the file
    is read once)."""
    data = storage.stored_bytes(resource_id)
    return reader.read_document(data, settings.limits()), hashlib.sha256(data).hexdigest()


def load_document(resource_id: str) -> BudgetDocument:
    """The stored (anonymised) document, parsed."""
    return read_stored(resource_id)[0]


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
    """The published rules that apply, with the default presentations they do not
    replace."""
    record = applicable(document.package_id)
    defaults = default_ruleset(doc)
    if record is None:
        return Applied(defaults, None, None)
    own = ruleset(record, record.published_version)
    return Applied(with_default_trees(own, defaults), record, record.published_version)


def rules_key(package_id: str, *, reread: bool = False) -> tuple[str | None, int | None]:
    """(rule set id, version) that applies to a dataset's documents, ``(None, None)`` for
    the defaults; ``reread``: the version as committed now, not as this session saw it."""
    record = applicable(package_id)
    if record is None:
        return None, None
    if reread:
        model.Session.refresh(record)
    return record.id, record.published_version


def stored(resource_id: str) -> AggregationRecord | None:
    """The document's stored aggregation, if it can be read (one stored in an earlier
    format waits for its job to compute it again: reads never convert it)."""
    found = model.Session.get(AggregationRecord, resource_id)
    if found is None or (found.result or {}).get("format") != FORMAT:
        return None
    return found


PARSED_RESULTS = 64
"""Stored results kept parsed in each process: every view, embed and export of a document
reads its result, and parsing one costs about a millisecond (a fifth of an embed)."""


def _identity(aggregation: AggregationRecord) -> tuple:
    """What a stored result is made from: :func:`store` sets a new ``computed`` whenever it
    writes a different outcome."""
    return (
        aggregation.resource_id,
        aggregation.computed,
        aggregation.content_sha256,
        aggregation.ruleset_id,
        aggregation.ruleset_version,
    )


@cachetools.cached(
    cachetools.LRUCache(maxsize=PARSED_RESULTS), key=_identity, lock=threading.Lock()
)
def _parsed(aggregation: AggregationRecord) -> Result:
    return Result.from_json(aggregation.result)


def result(aggregation: AggregationRecord, *, with_lines: bool = False) -> Result:
    """The typed result of a stored aggregation, shared by the requests of this process:
    callers read it and never change it (``dataclasses.replace`` makes a changed copy);
    ``with_lines``: a copy with every leaf's lines (read from what was stored with it)."""
    found = _parsed(aggregation)
    return found.with_leaf_lines(aggregation.lines) if with_lines else found


def leaf_lines(aggregation: AggregationRecord, tree_id: str, node_id: str) -> list[ResultShare]:
    """The lines of one leaf, largest first, as stored with the aggregation."""
    return stored_leaf_lines(aggregation.lines, tree_id, node_id)


def is_fresh(aggregation: AggregationRecord | None, document: db.BudgetDocumentRecord) -> bool:
    """Computed from this content with the rule-set version that applies now, under
    today's conventions (the document's figures; :func:`stored` reads only results of
    today's format)."""
    if aggregation is None or aggregation.content_sha256 != document.content_sha256:
        return False
    if not figures_current(document):
        return False
    key = (aggregation.ruleset_id, aggregation.ruleset_version)
    return key == rules_key(document.package_id)


def current(document: db.BudgetDocumentRecord) -> AggregationRecord | None:
    """The document's stored aggregation if it is up to date (what reads show), else None."""
    aggregation = stored(document.resource_id)
    return aggregation if is_fresh(aggregation, document) else None


def _lock_content(resource_id: str) -> str | None:
    """Lock the document's row (uploads and processing take it too) and read the content
    it records; None when the document no longer exists."""
    model.Session.flush()
    table = db.BudgetDocumentRecord.__table__
    return model.Session.execute(
        sa.select(table.c.content_sha256)
        .where(table.c.resource_id == resource_id)
        .with_for_update()
    ).scalar()


def store(
    document: db.BudgetDocumentRecord, doc: BudgetDocument, content_sha256: str
) -> AggregationRecord | None:
    """Aggregate ``doc`` (the document's content of hash ``content_sha256``, parsed) with
    the rules that apply and put the outcome in the session: the caller commits.

    What is stored names the exact inputs: the content hash and the version whose rules
    were applied. Computations of one document are serialised by its row lock; under it,
    a document whose content is no longer ``content_sha256`` is left to the processing of
    its new content (None is returned), and rules changed meanwhile are applied instead,
    so a slow computation never overwrites a newer one with stale figures.
    """
    applied = rules_for(document, doc)
    aggregated = aggregate(doc, applied.rules)
    if _lock_content(document.resource_id) != content_sha256:
        return None
    if not figures_current(document):  # processing computed them, unless stored earlier
        store_figures(document, doc)
    applied_key = (applied.record.id if applied.record else None, applied.version)
    if rules_key(document.package_id, reread=True) != applied_key:
        applied = rules_for(document, doc)
        aggregated = aggregate(doc, applied.rules)
    outcome = {
        "ruleset_id": applied.record.id if applied.record else None,
        "ruleset_version": applied.version,
        "ruleset_name": applied.name,
        "content_sha256": content_sha256,
        "ok": aggregated.ok,
        # The document's big numbers, stored (and current) under the same lock.
        "result": result_of(aggregated, BigNumbers.from_json(document.big_numbers)).to_json(),
        "lines": leaf_lines_to_json(aggregated),
    }
    # As committed now (under the lock), not as this session loaded it before.
    aggregation = model.Session.get(AggregationRecord, document.resource_id, populate_existing=True)
    if aggregation is None:
        aggregation = AggregationRecord(resource_id=document.resource_id)
        model.Session.add(aggregation)
    # The same outcome is not written again: every write makes the portal's page cache
    # stale, and a rule change often leaves most documents' figures as they were.
    if any(getattr(aggregation, name) != value for name, value in outcome.items()):
        for name, value in outcome.items():
            setattr(aggregation, name, value)
        aggregation.computed = now()
    return aggregation
