"""A category's parts over the years: one stacked bar per year, one table row per part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .results import Result


@dataclass
class Series:
    """One part of a category over the years."""

    id: str
    label: str
    values: dict[int, Decimal] = field(default_factory=dict)


@dataclass
class Stack:
    """A category's parts over the years (a leaf is its own only part)."""

    id: str
    label: str
    years: list[int]
    series: list[Series]
    totals: dict[int, Decimal]


def evolution(
    by_year: Mapping[int, Result], tree_id: str, parent_ids: list[str], lang: str
) -> list[Stack]:
    """For each parent category, its parts over the years (labels of the latest year;
    parts nil every year are left out). A year whose tree lacks the category is skipped."""
    stacks = []
    for parent_id in parent_ids:
        label, years, totals = parent_id, [], {}
        series: dict[str, Series] = {}
        for year, result in sorted(by_year.items()):
            node = result.find(tree_id, parent_id)
            if node is None:
                continue
            years.append(year)
            label = node.label_in(lang)
            totals[year] = node.amount
            for part in node.children or [node]:
                found = series.setdefault(part.id, Series(part.id, ""))
                found.label = part.label_in(lang)
                found.values[year] = part.amount
        kept = [s for s in series.values() if any(s.values.values())]
        stacks.append(Stack(parent_id, label, years, kept, totals))
    return stacks
