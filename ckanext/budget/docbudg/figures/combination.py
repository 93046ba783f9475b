"""A budget's documents combined into each year's figures.

Each year has up to two *bases*: **realised**, the compte administratif (or the compte
financier unique that replaces it: when a year has both, the CFU), and **voted**, the
budget primitif, the budget supplémentaire and the décisions modificatives with their
categories summed (a DM holds the change it votes, so the sum is the year's voted
budget). A document uploaded twice (same stage and decision number in a year) counts
once: the latest processed wins.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .big_numbers import total
from .results import Result, ResultCategory, ResultTree

REALISED = "realised"
VOTED = "voted"
KINDS = (REALISED, VOTED)
REALISED_STAGES = ("CA", "CFU")
VOTED_STAGES = ("BP", "BS", "DM")
PRIMITIVE = "BP"


@dataclass(frozen=True)
class Source:
    """A processed document of the budget, as the combination needs to know it."""

    id: str
    year: int | None
    stage: str | None
    """``BP``, ``DM``, ``BS``, ``CA`` or ``CFU``; others are left out."""
    decision: str | None
    """The decision number (``NumDec``): what tells two DMs of a year apart."""
    processed: datetime.datetime | None
    """When it was processed: of two uploads of one document, the latest counts."""


@dataclass(frozen=True)
class Choice:
    """The documents that make a year's realised or voted figures, in order."""

    year: int
    kind: str
    document_ids: tuple[str, ...]
    primitive: str | None = None
    """The budget primitif among voted documents: without one, the voted figures are
    amendments only (an execution rate would mean nothing)."""


@dataclass(frozen=True)
class Basis:
    """A year's realised or voted figures, and the documents they come from."""

    choice: Choice
    result: Result
    own_rules: bool
    """Aggregated with the authority's own rules (its first tree is shown first)."""

    @property
    def year(self) -> int:
        return self.choice.year

    @property
    def document_ids(self) -> tuple[str, ...]:
        return self.choice.document_ids


def _latest(sources: list[Source]) -> Source:
    epoch = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

    def when(source: Source) -> datetime.datetime:
        found = source.processed or epoch
        return found if found.tzinfo else found.replace(tzinfo=datetime.timezone.utc)

    return max(sources, key=lambda s: (when(s), s.id))


def _voted_order(group: tuple[str, str]) -> tuple[int, int, str]:
    stage, number = group
    return (VOTED_STAGES.index(stage), int(number) if number.isdigit() else 0, number)


def choose(sources: Iterable[Source]) -> dict[int, dict[str, Choice]]:
    """Per year and kind, the documents that make the figures: the account, or the BP,
    BS and DMs in that order."""
    groups: dict[tuple[int, str], dict[tuple[str, str], list[Source]]] = {}
    for source in sources:
        stage = source.stage or ""
        if source.year is None or stage not in (*REALISED_STAGES, *VOTED_STAGES):
            continue
        kind = REALISED if stage in REALISED_STAGES else VOTED
        number = (source.decision or "") if stage == "DM" else ""
        by_group = groups.setdefault((source.year, kind), {})
        by_group.setdefault((stage, number), []).append(source)
    chosen: dict[int, dict[str, Choice]] = {}
    for (year, kind), by_group in sorted(groups.items()):
        if kind == REALISED:
            account = ("CFU", "") if ("CFU", "") in by_group else ("CA", "")
            ids = (_latest(by_group[account]).id,)
            primitive = None
        else:
            order = sorted(by_group, key=_voted_order)
            ids = tuple(_latest(by_group[group]).id for group in order)
            primitive = ids[0] if order[0] == (PRIMITIVE, "") else None  # BP sorts first
        chosen.setdefault(year, {})[kind] = Choice(year, kind, ids, primitive)
    return chosen


def combine(results: Sequence[Result]) -> Result:
    """Several results summed category by category (matched by id, in order of first
    appearance, labels of the first); amounts stay exact. Only what pages read is kept:
    labels, amounts, children and big numbers (checks, formulas and each category's
    split by direction and section describe one document)."""
    if len(results) == 1:
        return results[0]
    trees: dict[str, ResultTree] = {}
    for result in results:
        for tree in result.trees:
            trees.setdefault(tree.id, ResultTree(tree.id, tree.label, tree.label_en))
    for tree_id, tree in trees.items():
        tree.categories = _combine_categories(
            [t.categories for r in results for t in r.trees if t.id == tree_id]
        )
    totals: dict[str, Decimal] = {}
    for result in results:
        for key, amount in result.totals.items():
            totals[key] = totals.get(key, Decimal(0)) + amount
    return Result(
        trees=list(trees.values()),
        totals=totals,
        big_numbers=total(result.big_numbers for result in results),
    )


def _combine_categories(lists: list[list[ResultCategory]]) -> list[ResultCategory]:
    merged: dict[str, ResultCategory] = {}
    children: dict[str, list[list[ResultCategory]]] = {}
    for categories in lists:
        for category in categories:
            into = merged.get(category.id)
            if into is None:
                into = merged[category.id] = ResultCategory(
                    category.id, category.label, category.label_en
                )
                children[category.id] = []
            into.amount += category.amount
            if category.children:
                children[category.id].append(category.children)
    for category_id, category in merged.items():
        if children[category_id]:
            category.children = _combine_categories(children[category_id])
    return list(merged.values())


def bases(
    chosen: Mapping[int, Mapping[str, Choice]],
    results: Mapping[str, Result],
    own_rules: Collection[str] = (),
) -> dict[int, dict[str, Basis]]:
    """The chosen documents' results combined, by year then kind; a choice none of whose
    documents has a result is left out. ``own_rules``: the documents aggregated with the
    authority's own rules."""
    out: dict[int, dict[str, Basis]] = {}
    for year, kinds in chosen.items():
        for kind, choice in kinds.items():
            found = [rid for rid in choice.document_ids if rid in results]
            if not found:
                continue
            out.setdefault(year, {})[kind] = Basis(
                choice=choice,
                result=combine([results[rid] for rid in found]),
                own_rules=any(rid in own_rules for rid in found),
            )
    return out


def indicator_document(kinds: Mapping[str, Basis]) -> str | None:
    """Whose key indicators stand for the year: the account's, else the budget
    primitif's (amendments alone are not a year's budget)."""
    if REALISED in kinds:
        return kinds[REALISED].document_ids[0]
    if VOTED in kinds:
        return kinds[VOTED].choice.primitive
    return None
