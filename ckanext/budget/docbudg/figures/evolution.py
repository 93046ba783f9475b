"""A category's parts over the years: one stacked bar per year, one table row per part."""

from __future__ import annotations

import re
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
    code: str | None = None
    """The official code the part stands for (function ``0``, chapter ``011``), if any."""


@dataclass
class Stack:
    """A category's parts over the years (a leaf is its own only part)."""

    id: str
    label: str
    years: list[int]
    series: list[Series]
    totals: dict[int, Decimal]

    @property
    def marks(self) -> list[str]:
        """What names each part on the chart, its legend and table: see :func:`marks`."""
        return marks(self.series)


CODE_FORMULA = re.compile(r"(?:^|&)\s*(?:fonction|chapitre):([0-9][0-9A-Za-z]*)\s*$")
CODE_ID = re.compile(r"(?:^|\.)([0-9][0-9A-Za-z]*)$")


def category_code(category_id: str, formula: str | None) -> str | None:
    """The function or chapter code a category stands for: ``0`` for « sens:D &
    fonction:0 » (or an id ``D.0``); None for « autres », « non ventilé », a free
    category of a rule set."""
    if formula:
        found = CODE_FORMULA.search(formula)
        if found and not _top_level_union(formula[: found.start()]):
            return found.group(1)
        return None
    found = CODE_ID.search(category_id)
    return found.group(1) if found else None


def _top_level_union(text: str) -> bool:
    """Whether ``text`` has a ``|`` or ``-`` outside parentheses: then « … & code » is
    not the code's lines only."""
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth == 0 and char in "|-":
            return True
    return False


def marks(series: list[Series]) -> list[str]:
    """Each part's mark: its official code (functions 0–9, chapters 011…) where it has
    one, so the chart speaks the nomenclature's numbers; parts without a code are
    numbered 1, 2… — or lettered a, b… beside coded parts, never to be taken for a code."""
    coded = any(s.code for s in series)
    out, other = [], 0
    for s in series:
        if s.code:
            out.append(s.code)
            continue
        other += 1
        out.append(_letters(other) if coded else str(other))
    return out


def _letters(n: int) -> str:
    text = ""
    while n:
        n, rest = divmod(n - 1, 26)
        text = chr(ord("a") + rest) + text
    return text


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
                found.code = category_code(part.id, part.formula) if part is not node else None
                found.values[year] = part.amount
        kept = [s for s in series.values() if any(s.values.values())]
        stacks.append(Stack(parent_id, label, years, kept, totals))
    return stacks
