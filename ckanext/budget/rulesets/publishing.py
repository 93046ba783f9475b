"""Drafts seen before the public sees them: what the latest version of a rule set would
show on each document (``draft_results``, for « Voir comme le public ») and what
publishing it changes (``impacts``, for the « Publier » page).

Reads only: the draft is aggregated in memory from the stored (anonymised) documents,
nothing is stored; the public pages keep reading the published version's stored
aggregations. The results are kept per process under the draft's identity (rule set,
version, documents' contents), so paging through the preview costs one aggregation per
document.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import cachetools
from ckan.plugins import toolkit as tk

from ..docbudg.aggregation import aggregate, default_ruleset, with_default_trees
from ..docbudg.figures.big_numbers import BigNumbers
from ..docbudg.figures.results import Result, result_of
from ..docbudg.figures.rules_impact import Impact, impact
from ..documents import model as db
from . import preview, service
from .model import RuleSetRecord

KEPT_DRAFT_RESULTS = 32
"""Documents' draft results kept per process (a result is a few hundred KB)."""


def editable(record: RuleSetRecord | None) -> bool:
    """A draft exists to preview or publish."""
    return record is not None and record.deleted is None and service.has_draft(record)


def _draft_key(record: RuleSetRecord, document: db.BudgetDocumentRecord) -> tuple:
    return (record.id, record.version, document.resource_id, document.content_sha256)


@cachetools.cached(
    cachetools.LRUCache(maxsize=KEPT_DRAFT_RESULTS), key=_draft_key, lock=threading.Lock()
)
def draft_result(record: RuleSetRecord, document: db.BudgetDocumentRecord) -> Result:
    """The document aggregated with the rule set's latest version (and the default
    presentations it does not replace), as the public would see it once published."""
    doc = preview.parsed_document(document)
    rules = with_default_trees(service.ruleset(record), default_ruleset(doc))
    return result_of(aggregate(doc, rules), BigNumbers.from_json(document.big_numbers))


def draft_results(
    record: RuleSetRecord, documents: Iterable[db.BudgetDocumentRecord]
) -> dict[str, Result]:
    return {d.resource_id: draft_result(record, d) for d in documents if d.status == db.STATUS_DONE}


@dataclass(frozen=True)
class DocumentImpact:
    document: db.BudgetDocumentRecord
    impact: Impact


def impacts(record: RuleSetRecord) -> list[DocumentImpact]:
    """What publishing the latest version changes, document by document (those it would
    apply to), against what the public sees today."""
    own = [tree.id for tree in service.ruleset(record).trees]
    out = []
    for document in service.documents_in_scope(record):
        stored = service.stored(document.resource_id)
        before = service.result(stored) if stored is not None else None
        out.append(DocumentImpact(document, impact(before, draft_result(record, document), own)))
    return out


PREVIEW_PARAMETER = ("apercu", "brouillon")
"""``?apercu=brouillon`` on a budget page: the page as the draft would make it."""


def draft_for_package(package: dict, context: dict) -> RuleSetRecord:
    """The draft an editor asked to see on a dataset's pages: its own rules' draft, else
    its organisation's. Not found for anyone else, and where no draft exists (a visitor
    learns nothing of drafts)."""
    record = service.for_package(package["id"])
    if record is None and package.get("owner_org"):
        record = service.for_organization(package["owner_org"])
    if record is None or not editable(record):
        tk.abort(404, tk._("There is no draft of the rules of this dataset to preview."))
    try:
        tk.check_access("budget_ruleset_update", context, {"id": record.id})
    except tk.NotAuthorized:
        tk.abort(404, tk._("There is no draft of the rules of this dataset to preview."))
    return record
