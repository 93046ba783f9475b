"""What the explorer shows of a document, read from its stored aggregation.

A *level* is one node of one tree (or the tree itself): its children become the bars and
the table rows. Amounts stay the exact ``Decimal`` strings of the aggregation, so the
pages and the exports add up to the cent. Only a leaf's lines need the document itself
(the stored aggregation keeps no lines): they are recomputed on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import db, settings
from ..docbudg.aggregation import aggregate
from ..rulesets import service
from ..views.presenters import REALISED_STAGES, stage_words

DEFAULT_TREE = "fonction"
RDFI_ORDER = ("RF", "DF", "RI", "DI")


@dataclass
class Row:
    """A child of the level shown: a bar and a table row."""

    id: str
    label: str
    amount: Decimal
    has_children: bool


@dataclass
class LeafLine:
    nature: str | None
    nature_label: str | None
    fonction: str | None
    function_label: str | None
    amount: Decimal
    split: bool


@dataclass
class Level:
    tree_id: str
    tree_label: str
    trees: list[tuple[str, str]]
    node_id: str | None
    label: str
    total: Decimal
    path: list[tuple[str, str]]
    """Ancestors, as (id, label), from the first level down (the node itself excluded)."""
    rows: list[Row] = field(default_factory=list)
    lines: list[LeafLine] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.rows


@dataclass
class Explorer:
    resource_id: str
    status: str
    heading: str
    realised: bool
    ruleset_name: str | None
    rdfi: dict[str, Decimal]
    level: Level | None


def _label(item: dict[str, Any], lang: str) -> str:
    if lang == "en" and item.get("libelle_en"):
        return str(item["libelle_en"])
    return str(item.get("libelle") or item.get("id") or "")


def _find(nodes: list[dict[str, Any]], node_id: str) -> list[dict[str, Any]] | None:
    """The path (root first) to the node ``node_id``, or None."""
    for node in nodes:
        if node["id"] == node_id:
            return [node]
        found = _find(node.get("enfants") or [], node_id)
        if found is not None:
            return [node, *found]
    return None


def default_tree(trees: list[dict[str, Any]], own_rules: bool) -> str | None:
    """The authority's own first tree when it has a rule set, else "fonction"."""
    ids = [t["id"] for t in trees]
    if not ids:
        return None
    if not own_rules and DEFAULT_TREE in ids:
        return DEFAULT_TREE
    return ids[0]


def level(
    result: dict[str, Any], tree_id: str | None, node_id: str | None, own_rules: bool, lang: str
) -> Level | None:
    """The level ``node_id`` of tree ``tree_id`` (unknown ids: the defaults / the root)."""
    trees = result.get("arbres") or []
    by_id = {t["id"]: t for t in trees}
    if tree_id not in by_id:
        tree_id = default_tree(trees, own_rules)
    if tree_id is None:
        return None
    tree = by_id[tree_id]
    path = _find(tree["categories"], node_id) if node_id else None
    if path is None:
        node_id, children, label = None, tree["categories"], _label(tree, lang)
        total = sum((Decimal(c["montant"]) for c in children), Decimal(0))
    else:
        node = path[-1]
        children, label, total = node.get("enfants") or [], _label(node, lang), node["montant"]
    return Level(
        tree_id=tree_id,
        tree_label=_label(tree, lang),
        trees=[(t["id"], _label(t, lang)) for t in trees],
        node_id=node_id,
        label=label,
        total=Decimal(total),
        path=[(n["id"], _label(n, lang)) for n in (path or [])[:-1]],
        rows=[
            Row(c["id"], _label(c, lang), Decimal(c["montant"]), bool(c.get("enfants")))
            for c in children
        ],
    )


def leaf_lines(document: db.BudgetDocumentRecord, tree_id: str, node_id: str) -> list[LeafLine]:
    """The lines counted in a leaf, with their labels: the tree is aggregated again from
    the stored document (its stored aggregation has no lines)."""
    doc = service.load_document(document.resource_id)
    applied = service.rules_for(document, doc)
    result = aggregate(doc, applied.rules, tree_id)
    tree = result.trees.get(tree_id)
    node = next(
        (n for top in (tree.nodes if tree else []) for n in top.walk() if n.id == node_id),
        None,
    )
    if node is None or not node.is_leaf:
        return []
    return [
        LeafLine(
            nature=share.line.entry.nature,
            nature_label=share.line.nature_label,
            fonction=share.line.entry.fonction,
            function_label=share.line.fonction_label,
            amount=share.amount,
            split=share.split,
        )
        for share in sorted(node.shares, key=lambda s: (-s.amount, s.line.entry.nature))
    ]


def explorer(
    resource_id: str, tree_id: str | None = None, node_id: str | None = None
) -> Explorer | None:
    """Everything the view shows, or None when the resource is not a budget document."""
    document = db.get_document(resource_id)
    if document is None:
        return None
    lang = settings.current_language()
    realised = document.stage in REALISED_STAGES
    heading = stage_words(document.stage, document.num_dec, document.exercice, lang)
    status = document.status
    if status != db.STATUS_DONE:
        return Explorer(resource_id, status, heading, realised, None, {}, None)
    aggregation = service.fresh(document)
    result = aggregation.result or {}
    found = level(result, tree_id, node_id, aggregation.ruleset_id is not None, lang)
    if found is not None and found.node_id and found.is_leaf:
        found.lines = leaf_lines(document, found.tree_id, found.node_id)
    rdfi = {k: Decimal(result.get("rdfi", {}).get(k, "0")) for k in RDFI_ORDER}
    return Explorer(resource_id, status, heading, realised, aggregation.ruleset_name, rdfi, found)


def export_rows(level_: Level) -> list[dict[str, str]]:
    """The data behind a chart and its table, amounts as exact strings."""
    if level_.is_leaf and level_.node_id:
        return [
            {
                "nature": line.nature or "",
                "nature_libelle": line.nature_label or "",
                "fonction": line.fonction or "",
                "fonction_libelle": line.function_label or "",
                "montant": f"{line.amount:.2f}",
            }
            for line in level_.lines
        ]
    return [
        {"id": row.id, "libelle": row.label, "montant": f"{row.amount:.2f}"} for row in level_.rows
    ]
