"""The editor's "Aperçu" (preview): what a formula would select in a chosen document,
before saving, with the lines other categories also count.

The page's form shows it after a round trip; its JavaScript asks for :func:`as_json` as
the user types. The last documents previewed stay parsed (with their line index), so
each keystroke costs an aggregation, not a read of the stored file. Opening a category
(a GET) shows its saved formula from the document's stored aggregation
(:func:`stored`): a read aggregates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from threading import Lock
from typing import Any

import cachetools
from ckan.plugins import toolkit as tk

from .. import formatting
from ..docbudg.aggregation import FormulaError, RuleSet, aggregate, parse_formula, plain_text
from ..docbudg.aggregation.engine import Checks
from ..docbudg.figures.results import ResultChecks, ResultLine
from ..docbudg.model import BudgetDocument
from ..documents import model as db
from . import editing, jobs, service
from .model import RuleSetRecord

KEPT_DOCUMENTS = 2
"""Parsed documents kept per process for previews (a large one holds ~50 MB)."""


@dataclass
class Preview:
    formula: str
    error: FormulaError | None = None
    lines: list[tuple[ResultLine, Decimal, list[str]]] = field(default_factory=list)
    """(line, amount counted, other categories that also count it)."""
    total: Decimal = Decimal(0)
    rdfi: dict[str, Decimal] = field(default_factory=dict)
    checks: Checks | ResultChecks | None = None
    """The whole tree's checks with this formula (what is read of them: ``unmatched``)."""


def formula_error(text: str) -> FormulaError | None:
    try:
        parse_formula(text)
    except FormulaError as error:
        return error
    return None


@cachetools.cached(
    cachetools.LRUCache(maxsize=KEPT_DOCUMENTS),
    key=lambda document: (document.resource_id, document.content_sha256),
    lock=Lock(),
)
def parsed_document(document: db.BudgetDocumentRecord) -> BudgetDocument:
    """The stored document, parsed once for the previews that follow (by content: a new
    version of the file is read again). The lock guards the cache only: two first
    previews of one document may both read it."""
    return service.load_document(document.resource_id)


def preview(
    rules: RuleSet,
    tree_id: str,
    node_id: str,
    formula: str,
    document: db.BudgetDocumentRecord | None,
) -> Preview:
    out = Preview(formula=formula, error=formula_error(formula) if formula.strip() else None)
    if out.error is not None or document is None:
        return out
    edited = editing.set_formula(rules, tree_id, node_id, formula)
    result = aggregate(parsed_document(document), edited, tree_id)
    tree = result.trees[tree_id]
    node = tree.node(node_id)
    owners = {id(line): leaves for line, leaves in tree.checks.multiple}
    out.lines = [
        (
            ResultLine.of(share.line),
            share.amount,
            [leaf for leaf in owners.get(id(share.line), []) if leaf != node_id],
        )
        for share in node.shares
    ]
    out.total = node.total
    out.rdfi = node.rdfi
    out.checks = tree.checks
    return out


def stored(
    record: RuleSetRecord, tree_id: str, node_id: str, document: db.BudgetDocumentRecord
) -> Preview | None:
    """The preview of a leaf's saved formula, read from the document's stored aggregation
    when it was computed with the current version of ``record``'s rules; None otherwise
    (an out-of-date aggregation has its job queued; the Preview button computes one)."""
    aggregation = jobs.current_or_queue(document)
    if aggregation is None or aggregation.ruleset_id != record.id:
        return None
    if aggregation.ruleset_version != record.version:
        return None
    tree = service.result(aggregation).tree(tree_id)
    category = tree.find(node_id) if tree is not None else None
    if tree is None or category is None or not category.is_leaf:
        return None
    owners = dict(tree.checks.counted_twice) if tree.checks else {}
    return Preview(
        formula=category.formula or "",
        lines=[
            (share.line, share.amount, [c for c in owners.get(share.line, []) if c != node_id])
            for share in service.leaf_lines(aggregation, tree_id, node_id)
        ],
        total=category.amount,
        rdfi=category.rdfi,
        checks=tree.checks,
    )


def as_json(shown: Preview, lang: str) -> dict[str, Any]:
    """The preview as the editor's script shows it: the parse error with its position,
    or the count and total of the selected lines, in sentences of the reader's language."""
    error = shown.error
    if error is not None:
        return {
            "ok": False,
            "message": error.text_in(lang),
            "position": error.position,
            "suggestion": error.suggestion,
            "pointer": error.pointer(),
        }
    out: dict[str, Any] = {"ok": True, "empty": not shown.formula.strip()}
    if not out["empty"]:
        # what was understood, in the one notation people read (« DF ∩ Ch012 » too)
        out["plain"] = tk._("Read as: {formula}").format(formula=plain_text(shown.formula))
    if shown.checks is None:
        out["summary"] = (
            tk._("The formula is empty: this category counts no line.")
            if out["empty"]
            else tk._("The formula is correct (no document to preview it on).")
        )
        return out
    count = len(shown.lines)
    elsewhere = sum(1 for _, _, others in shown.lines if others)
    unmatched = len(shown.checks.unmatched)
    details = []
    if elsewhere:
        details.append(
            tk.ungettext(
                "{count} of these lines is also counted in another category",
                "{count} of these lines are also counted in other categories",
                elsewhere,
            ).format(count=elsewhere)
        )
    details.append(
        tk.ungettext(
            "With this formula, {count} line of the document is in no category of this tree.",
            "With this formula, {count} lines of the document are in no category of this tree.",
            unmatched,
        ).format(count=unmatched)
    )
    out.update(
        count=count,
        total=str(shown.total),
        rdfi={key: str(value) for key, value in shown.rdfi.items()},
        elsewhere=elsewhere,
        unmatched=unmatched,
        summary=tk.ungettext(
            "{count} line selected, total {total}", "{count} lines selected, total {total}", count
        ).format(count=count, total=formatting.money(shown.total, lang)),
        details=details,
    )
    return out
