"""One level of a result as the explorers show it: a category (or a tree's first level),
its parts as rows, where it sits in its tree, labels in the reader's language; and the
lines behind a leaf."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .groups import votes_by_function
from .results import Result, ResultShare, ResultTree

DEFAULT_TREE = "fonction"
"""The tree shown first for documents without rules of their own that vote by function."""
BY_NATURE_TREE = "chapitre"
"""The tree shown first for the others (communes under 3,500 inhabitants: no function)."""
WITHOUT_FUNCTION = ".non-ventile"
DIRECTIONS = ("D", "R")
"""The ids of the default trees' first level: spending and receipts."""


@dataclass
class Row:
    """A part of the level shown: a bar and a table row."""

    id: str
    label: str
    amount: Decimal
    has_children: bool


@dataclass
class Level:
    tree_id: str
    tree_label: str
    trees: list[tuple[str, str]]
    """Every tree of the result, as (id, label)."""
    node_id: str | None
    """None: the tree's first level."""
    label: str
    total: Decimal
    path: list[tuple[str, str]]
    """Ancestors, as (id, label), from the first level down (the node itself excluded)."""
    rows: list[Row] = field(default_factory=list)
    lines: list[ResultShare] = field(default_factory=list)
    """A leaf's lines, when the caller looked them up (stored with the aggregation:
    :func:`.results.stored_leaf_lines`)."""

    @property
    def is_leaf(self) -> bool:
        return not self.rows

    @property
    def mixes_directions(self) -> bool:
        """Whether the rows are receipts and spending side by side (the first level of
        the default trees): their sum, and each one's share of it, mean nothing."""
        return {row.id for row in self.rows} == set(DIRECTIONS)

    def parts(self) -> list[Row]:
        """The rows of the level; a leaf is its own only row."""
        if self.rows:
            return self.rows
        return [Row(self.node_id or "", self.label, self.total, False)]


def _by_function(tree: ResultTree) -> bool:
    """Whether the document votes by function (``groups.votes_by_function``): the "by
    function" tree does not hold most of its amounts in its « non ventilé » leaves."""
    total = sum((c.amount for c in tree.categories), Decimal(0))
    without = sum(
        (
            child.amount
            for c in tree.categories
            for child in c.children
            if child.id.endswith(WITHOUT_FUNCTION)
        ),
        Decimal(0),
    )
    return votes_by_function(total, without)


def default_tree(trees: Sequence[ResultTree], own_rules: bool) -> str | None:
    """The authority's own first tree when it has rules, else "by function" when the
    document votes by function, else "by chapter": a commune that votes by nature never
    opens on « Non ventilé (sans fonction) » 100 %."""
    ids = [tree.id for tree in trees]
    if not ids:
        return None
    if not own_rules and DEFAULT_TREE in ids:
        by_function = next(tree for tree in trees if tree.id == DEFAULT_TREE)
        if BY_NATURE_TREE in ids and not _by_function(by_function):
            return BY_NATURE_TREE
        return DEFAULT_TREE
    return ids[0]


def level(
    result: Result, tree_id: str | None, node_id: str | None, own_rules: bool, lang: str
) -> Level | None:
    """The level ``node_id`` of tree ``tree_id`` (unknown ids: the default tree, the first
    level); None for a result without trees."""
    tree = result.tree(tree_id) if tree_id is not None else None
    if tree is None:
        found = default_tree(result.trees, own_rules)
        if found is None:
            return None
        tree = result.tree(found)
        assert tree is not None
    path = tree.path(node_id) if node_id else None
    if path is None:
        node_id, children, label, total = None, tree.categories, tree.label_in(lang), tree.total
    else:
        node = path[-1]
        children, label, total = node.children, node.label_in(lang), node.amount
    return Level(
        tree_id=tree.id,
        tree_label=tree.label_in(lang),
        trees=[(t.id, t.label_in(lang)) for t in result.trees],
        node_id=node_id,
        label=label,
        total=total,
        path=[(n.id, n.label_in(lang)) for n in (path or [])[:-1]],
        rows=[Row(c.id, c.label_in(lang), c.amount, bool(c.children)) for c in children],
    )
