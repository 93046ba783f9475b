"""The editor's "Aperçu" (preview): what a formula would select in a chosen document,
before saving, with the lines other categories also count."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import db
from ..docbudg.aggregation import (
    FormulaError,
    LineResult,
    aggregate,
    parse_formula,
    ruleset_from_dict,
)
from ..docbudg.aggregation.engine import Checks
from . import editing, service


@dataclass
class Preview:
    formula: str
    error: FormulaError | None = None
    lines: list[tuple[LineResult, Decimal, list[str]]] = field(default_factory=list)
    """(line, amount counted, other categories that also count it)."""
    total: Decimal = Decimal(0)
    rdfi: dict[str, Decimal] = field(default_factory=dict)
    checks: Checks | None = None
    """The whole tree's checks with this formula."""


def formula_error(text: str) -> FormulaError | None:
    try:
        parse_formula(text)
    except FormulaError as error:
        return error
    return None


def preview(
    content: dict[str, Any],
    tree_id: str,
    node_id: str,
    formula: str,
    document: db.BudgetDocumentRecord | None,
) -> Preview:
    out = Preview(formula=formula, error=formula_error(formula) if formula.strip() else None)
    if out.error is not None or document is None:
        return out
    rules = ruleset_from_dict(editing.set_formula(content, tree_id, node_id, formula))
    result = aggregate(service.load_document(document.resource_id), rules, tree_id)
    tree = result.trees[tree_id]
    node = tree.node(node_id)
    owners = {id(line): leaves for line, leaves in tree.checks.multiple}
    out.lines = [
        (
            share.line,
            share.amount,
            [leaf for leaf in owners.get(id(share.line), []) if leaf != node_id],
        )
        for share in node.shares
    ]
    out.total = node.total
    out.rdfi = node.rdfi
    out.checks = tree.checks
    return out
