"""Apply a rule set to a document: totals per category, the lines behind each leaf, checks.

The checks run on every aggregation (rules silently drifting as new codes appear is what
went wrong in practice): lines no leaf selects, lines several leaves select (with the
leaves named), split lines whose shares do not add up, and the tree's totals against the
document's recettes/dépenses × fonctionnement/investissement totals.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import overload

from ..messages import Message
from ..model import BudgetDocument
from ..nomenclature import Plan, find_plan
from .index import Entry, LineIndex, bits, line_index
from .ruleset import Category, Correction, RuleSet, Tree

RDFI = ("DF", "DI", "RF", "RI")
CENT = Decimal("0.01")


class LineResult:
    """A selected line as shown to users: codes, labels from the plan (looked up only when
    asked for: most lines of a large document are never displayed), amount."""

    __slots__ = ("entry", "plan")

    def __init__(self, entry: Entry, plan: Plan | None = None) -> None:
        self.entry = entry
        self.plan = plan

    def __repr__(self) -> str:
        return f"<LineResult {self.entry.rdfi} {self.entry.nature} {self.entry.amount}>"

    @property
    def nature_label(self) -> str | None:
        account = self.plan.account(self.entry.nature) if self.plan else None
        return account.label if account else None

    @property
    def fonction_label(self) -> str | None:
        code = self.entry.fonction
        function = self.plan.function(code) if self.plan and code else None
        return function.label if function else None

    @property
    def chapter_label(self) -> str | None:
        code = self.entry.chapter
        if not (self.plan and code):
            return None
        chapter = self.plan.chapter(code) or self.plan.function_chapter(code)
        return chapter.label if chapter else None


@dataclass(frozen=True)
class Share:
    """The part of a line counted in a leaf: the whole line, or a split line's share."""

    line: LineResult
    amount: Decimal
    split: bool = False


@dataclass
class NodeResult:
    id: str
    label: str
    label_en: str | None
    depth: int
    total: Decimal
    rdfi: dict[str, Decimal]
    children: list[NodeResult] = field(default_factory=list)
    formula: str | None = None
    mask: int = 0
    """A leaf's whole lines, as bits over ``lines``."""
    split_shares: list[Share] = field(default_factory=list)
    lines: Sequence[LineResult] = field(default_factory=list, repr=False)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def shares(self) -> list[Share]:
        """The lines behind a leaf (built on demand: most leaves are never opened)."""
        whole = [Share(self.lines[i], self.lines[i].entry.amount) for i in bits(self.mask)]
        return whole + self.split_shares

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Checks:
    unmatched: list[LineResult] = field(default_factory=list)
    multiple: list[tuple[LineResult, list[str]]] = field(default_factory=list)
    rdfi: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    """``{DF: (document total, total counted by the tree)}``."""
    empty_leaves: list[str] = field(default_factory=list)
    split_mismatches: list[tuple[LineResult, Decimal]] = field(default_factory=list)
    """Split lines whose shares (second item) do not add up to the line's amount."""
    unknown_corrections: list[Correction] = field(default_factory=list)

    @property
    def rdfi_mismatches(self) -> dict[str, tuple[Decimal, Decimal]]:
        return {k: v for k, v in self.rdfi.items() if v[0] != v[1]}

    @property
    def ok(self) -> bool:
        """A partition: every line counted once and the totals agree."""
        return not (
            self.unmatched or self.multiple or self.rdfi_mismatches or self.split_mismatches
        )

    def messages(self) -> list[Message]:
        out = []
        if self.unmatched:
            amount = sum((line.entry.amount for line in self.unmatched), Decimal(0))
            out.append(
                Message(
                    "{count} ligne(s) ne sont comptées dans aucune catégorie ({amount} €).",
                    "{count} line(s) are counted in no category ({amount} €).",
                    {"count": len(self.unmatched), "amount": amount},
                )
            )
        if self.multiple:
            out.append(
                Message(
                    "{count} ligne(s) sont comptées plusieurs fois :",
                    "{count} line(s) are counted more than once:",
                    {"count": len(self.multiple)},
                )
            )
            out.extend(_twice(line, leaves) for line, leaves in self.multiple[:SHOWN_TWICE])
            if len(self.multiple) > SHOWN_TWICE:
                out.append(
                    Message(
                        "… et {rest} autre(s) ligne(s) comptée(s) plusieurs fois (toutes, avec "
                        "leurs catégories, dans le résultat : comptees_plusieurs_fois).",
                        "… and {rest} more line(s) counted more than once (all of them, with "
                        "their categories, in the result: comptees_plusieurs_fois).",
                        {"rest": len(self.multiple) - SHOWN_TWICE},
                    )
                )
        for key, (expected, counted) in self.rdfi_mismatches.items():
            out.append(
                Message(
                    "Total {key} : {counted} € comptés pour {expected} € dans le document.",
                    "{key} total: {counted} € counted for {expected} € in the document.",
                    {"key": key, "counted": counted, "expected": expected},
                )
            )
        for line, assigned in self.split_mismatches:
            out.append(
                Message(
                    "Ligne partagée nature {nature} fonction {fonction} : {assigned} € "
                    "répartis pour {amount} €.",
                    "Split line nature {nature} function {fonction}: {assigned} € assigned "
                    "for {amount} €.",
                    {
                        "nature": line.entry.nature,
                        "fonction": line.entry.fonction or "-",
                        "assigned": assigned,
                        "amount": line.entry.amount,
                    },
                )
            )
        if self.empty_leaves:
            out.append(
                Message(
                    "Catégories sans formule : {ids}.",
                    "Categories without a formula: {ids}.",
                    {"ids": ", ".join(self.empty_leaves)},
                )
            )
        for correction in self.unknown_corrections:
            out.append(
                Message(
                    "Correction vers une catégorie inconnue « {category} ».",
                    "Correction to an unknown category '{category}'.",
                    {"category": correction.category},
                )
            )
        return out


SHOWN_TWICE = 20
"""Lines counted twice that the messages name one by one; the result lists them all."""


def _twice(line: LineResult, leaves: list[str]) -> Message:
    """One line counted twice, with every category it lands in."""
    entry = line.entry
    return Message(
        "- {sens} nature {nature} fonction {fonction} ({amount} €) comptée dans {count} "
        "catégories : {leaves}",
        "- {sens} nature {nature} function {fonction} ({amount} €) counted in {count} "
        "categories: {leaves}",
        {
            "sens": entry.rdfi,
            "nature": entry.nature,
            "fonction": entry.fonction or "-",
            "amount": entry.amount,
            "count": len(leaves),
            "leaves": ", ".join(leaves),
        },
    )


@dataclass
class TreeResult:
    tree_id: str
    label: str
    label_en: str | None
    nodes: list[NodeResult]
    checks: Checks

    def walk(self):
        for node in self.nodes:
            yield from node.walk()

    def node(self, node_id: str) -> NodeResult | None:
        return next((n for n in self.walk() if n.id == node_id), None)


@dataclass
class AggregationResult:
    exer: int | None
    stage: str | None
    nomenclature: str | None
    siren: str | None
    label: str | None
    cod_bud: str | None
    amount_field: str
    """The amount counted (``stage_amounts.Amount.name``: ``MtBudgPrec+MtPrev``…)."""
    ruleset_id: str
    plan: str | None
    rdfi: dict[str, Decimal]
    lines: Sequence[LineResult]
    trees: dict[str, TreeResult]

    @property
    def ok(self) -> bool:
        return all(tree.checks.ok for tree in self.trees.values())

    @property
    def column(self) -> str:
        """How a multi-year table names this document: ``2018 CA``."""
        return f"{self.exer} {self.stage or ''}".strip()


def _corrections_for(
    year: list[Correction], tree: Tree, leaves: list[Category], anywhere: set[str]
) -> tuple[list[Correction], list[Correction]]:
    """This year's corrections that apply to ``tree``, and those naming no known leaf
    (``anywhere``: the category ids of every tree of the rule set)."""
    mine: list[Correction] = []
    unknown: list[Correction] = []
    leaf_ids = {c.id for c in leaves}
    for correction in year:
        if correction.tree not in (None, tree.id):
            continue
        if correction.category in leaf_ids:
            mine.append(correction)
        elif correction.tree == tree.id or correction.category not in anywhere:
            unknown.append(correction)
    return mine, unknown


def _aggregate_tree(
    index: LineIndex,
    lines: Sequence[LineResult],
    tree: Tree,
    year: list[Correction],
    anywhere: set[str],
) -> TreeResult:
    checks = Checks()
    leaves = tree.leaves()
    corrections: list[Correction] = []
    if year:
        corrections, checks.unknown_corrections = _corrections_for(year, tree, leaves, anywhere)
    split_shares: dict[str, list[Share]] = {}
    split_mask = 0
    if corrections:
        assigned: dict[int, Decimal] = {}
        for correction in corrections:
            position = index.find(correction.cod_rd, correction.nature, correction.fonction)
            if position is None:
                continue
            split_mask |= 1 << position
            share = Share(lines[position], correction.amount, split=True)
            split_shares.setdefault(correction.category, []).append(share)
            assigned[position] = assigned.get(position, Decimal(0)) + correction.amount
        for position, total in assigned.items():
            if total != index.entries[position].amount:
                checks.split_mismatches.append((lines[position], total))

    leaf_masks: dict[str, int] = {}
    seen = twice = 0
    run = index.run
    for leaf in leaves:
        program = leaf.program
        if program is None:
            checks.empty_leaves.append(leaf.id)
            mask = 0
        else:
            mask = run(program) & ~split_mask
        leaf_masks[leaf.id] = leaf_masks.get(leaf.id, 0) | mask
        twice |= seen & mask
        seen |= mask
    checks.unmatched = [lines[i] for i in bits(index.all & ~seen & ~split_mask)]
    if twice:
        owners: dict[int, list[str]] = {}
        for leaf_id, mask in leaf_masks.items():
            for i in bits(mask & twice):
                owners.setdefault(i, []).append(leaf_id)
        checks.multiple = [(lines[i], owners[i]) for i in sorted(owners)]
    leaf_rdfi = dict(zip(leaf_masks, index.rdfi_of(list(leaf_masks.values())), strict=True))

    def build(category: Category, depth: int) -> NodeResult:
        node = NodeResult(
            id=category.id,
            label=category.label,
            label_en=category.label_en,
            depth=depth,
            total=Decimal(0),
            rdfi={},
            formula=category.formula_text,
        )
        if category.is_leaf:
            node.mask = leaf_masks.get(category.id, 0)
            node.lines = lines
            node.rdfi = rdfi = dict(leaf_rdfi[category.id])
            node.split_shares = split_shares.get(category.id, [])
            for share in node.split_shares:
                key = share.line.entry.rdfi
                rdfi[key] = rdfi.get(key, Decimal(0)) + share.amount
        else:
            node.children = [build(child, depth + 1) for child in category.children]
            rdfi = dict.fromkeys(RDFI, Decimal(0))
            for child in node.children:
                for key, amount in child.rdfi.items():
                    rdfi[key] = rdfi.get(key, Decimal(0)) + amount
            node.rdfi = rdfi
        node.total = sum(node.rdfi.values(), Decimal(0))
        return node

    nodes = [build(category, 0) for category in tree.categories]
    counted: dict[str, Decimal] = {key: Decimal(0) for key in RDFI}
    for node in nodes:
        for key, amount in node.rdfi.items():
            counted[key] = counted.get(key, Decimal(0)) + amount
    expected = index.rdfi
    checks.rdfi = {
        key: (expected.get(key, Decimal(0)), counted.get(key, Decimal(0)))
        for key in sorted(set(expected) | set(counted))
    }
    return TreeResult(tree.id, tree.label, tree.label_en, nodes, checks)


class LineResults(Sequence[LineResult]):
    """The selected lines of a document as :class:`LineResult`, each made when first
    read (most lines of a large document are never shown) and then kept, so that a line
    is the same object in every tree and check."""

    def __init__(self, index: LineIndex) -> None:
        self._entries = index.entries
        self._plan = index.plan
        self._made: list[LineResult | None] = [None] * len(index.entries)

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, i: int) -> LineResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[LineResult]: ...

    def __getitem__(self, i: int | slice) -> LineResult | list[LineResult]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        found = self._made[i]
        if found is None:
            found = self._made[i] = LineResult(self._entries[i], self._plan)
        return found


_LINES: weakref.WeakKeyDictionary[LineIndex, LineResults] = weakref.WeakKeyDictionary()


def _line_results(index: LineIndex) -> LineResults:
    """Shared by every aggregation of the same document index (they are read-only)."""
    found = _LINES.get(index)
    if found is None:
        found = _LINES[index] = LineResults(index)
    return found


def aggregate(
    doc: BudgetDocument,
    ruleset: RuleSet,
    tree_id: str | None = None,
    *,
    plan: Plan | None = None,
) -> AggregationResult:
    """Aggregate one document with every tree of ``ruleset`` (or only ``tree_id``).

    The plan de comptes is looked up from the document's year and nomenclature unless
    given; without one, sections are guessed from the nature class and labels are absent.
    """
    header = doc.header
    if plan is None and header.exer and header.nomenclature:
        plan = find_plan(header.exer, header.nomenclature)
    index = line_index(doc, ruleset.selection, plan)
    lines = _line_results(index)
    trees = [ruleset.tree(tree_id)] if tree_id else ruleset.trees
    year = [c for c in ruleset.corrections if c.exer == header.exer]
    anywhere = {c.id for t in ruleset.trees for c, _ in t.walk()} if year else set()
    return AggregationResult(
        exer=header.exer,
        stage=header.stage.name if header.stage else None,
        nomenclature=header.nomenclature,
        siren=header.siren,
        label=header.libelle_etab or header.libelle_coll,
        cod_bud=header.cod_bud,
        amount_field=index.amount_field,
        ruleset_id=ruleset.id,
        plan=repr(plan) if plan is not None else None,
        rdfi=dict(index.rdfi),
        lines=lines,
        trees={tree.id: _aggregate_tree(index, lines, tree, year, anywhere) for tree in trees},
    )
