"""Documents side by side: one level of a tree they all have, category by category,
in euros and per inhabitant.

Categories are matched by id: the default trees ("by function", "by nature chapter") are
built from the plan de comptes, so documents of one accounting norm share their ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .levels import Level, default_tree, level
from .results import Result, ResultTree

CENT = Decimal("0.01")


def per_inhabitant(amount: Decimal | None, population: int | None) -> Decimal | None:
    """Rounded to the cent, like the stored per-inhabitant indicators."""
    if amount is None or not population:
        return None
    return (amount / population).quantize(CENT, rounding=ROUND_HALF_UP)


def per_head(
    amounts: Sequence[Decimal | None], populations: Sequence[int | None]
) -> list[Decimal | None]:
    """Each document's amount per inhabitant of that document."""
    return [per_inhabitant(a, p) for a, p in zip(amounts, populations, strict=True)]


def common_trees(results: Sequence[Result]) -> list[ResultTree]:
    """The trees every result has, in the first one's order."""
    shared = list(results[0].trees) if results else []
    for result in results[1:]:
        ids = {tree.id for tree in result.trees}
        shared = [tree for tree in shared if tree.id in ids]
    return shared


@dataclass
class ComparedRow:
    id: str
    label: str
    has_children: bool
    amounts: list[Decimal | None]
    per_inhabitant: list[Decimal | None]


@dataclass
class Compared:
    trees: list[tuple[str, str]]
    """The trees every compared document has, as (id, label)."""
    tree_id: str | None
    tree_label: str
    node_id: str | None
    label: str
    path: list[tuple[str, str]]
    rows: list[ComparedRow]
    """The categories of the level shown (those nil in every document left out)."""
    totals: list[Decimal | None]
    totals_per_inhabitant: list[Decimal | None]
    found: list[bool] = field(default_factory=list)
    """Per document, whether its tree has the category shown."""


def compare(
    results: Sequence[Result],
    populations: Sequence[int | None],
    own_rules: bool,
    tree: str | None,
    node: str | None,
    lang: str,
) -> Compared:
    """The documents' results at one level (``tree``, ``node``; unknown values: the
    default tree, the first level)."""
    trees = common_trees(results)
    tree_id = tree if tree in {t.id for t in trees} else default_tree(trees, own_rules)

    def levels(node_id: str | None) -> list[Level | None]:
        if tree_id is None:
            return [None] * len(results)
        return [level(result, tree_id, node_id, own_rules, lang) for result in results]

    found = levels(node)
    if node and not any(lvl and lvl.node_id == node for lvl in found):
        node, found = None, levels(None)
    shown = [lvl if lvl and lvl.node_id == node else None for lvl in found]
    reference = next((lvl for lvl in shown if lvl), None)
    rows: dict[str, ComparedRow] = {}
    for i, lvl in enumerate(shown):
        for part in lvl.parts() if lvl else []:
            row = rows.setdefault(
                part.id, ComparedRow(part.id, part.label, False, [None] * len(shown), [])
            )
            row.has_children = row.has_children or part.has_children
            row.amounts[i] = part.amount
    kept = [row for row in rows.values() if any(row.amounts)]
    for row in kept:
        row.per_inhabitant = per_head(row.amounts, populations)
    totals = [lvl.total if lvl else None for lvl in shown]
    return Compared(
        trees=[(t.id, t.label_in(lang)) for t in trees],
        tree_id=tree_id,
        tree_label=reference.tree_label if reference else "",
        node_id=node,
        label=reference.label if reference else "",
        path=reference.path if reference else [],
        rows=kept,
        totals=totals,
        totals_per_inhabitant=per_head(totals, populations),
        found=[lvl is not None for lvl in shown],
    )
