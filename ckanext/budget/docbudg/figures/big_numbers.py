"""The four big numbers of a document: receipts and spending × operating and investment.

One definition for every page that shows them (the document's page, its explorer, the
budget page, the comparison, embeds, ``budget-doc indicators``): the lines the default
rule sets count (``Selection``: real operations, ``OpBudg`` 0; carried-over results 001
and 002 left out; calculated totals never counted), with the amount of the stage, in the
section the portal's conventions present them in (:mod:`..conventions`: asset disposals
with investment receipts). The neutral debt operations the selection leaves out are
kept apart (``neutral``), so that a page says what it left out. A section is shown when
the document has such a line in it, even a line of zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..aggregation.index import selected_entries
from ..aggregation.ruleset import Selection
from ..conventions import DEFINITIONS, NEUTRAL_GROUPS, VERSION, neutral_group
from ..model import BudgetDocument
from ..nomenclature import Plan, find_plan

KEYS = ("RF", "DF", "RI", "DI")
"""Receipts then spending, operating then investment: the order pages show them in."""
SECTIONS = ("F", "I")
ZERO = Decimal(0)


@dataclass(frozen=True)
class SectionFigures:
    """Receipts and spending of one section (``F`` operating, ``I`` investment)."""

    section: str
    receipts: Decimal
    spending: Decimal


@dataclass(frozen=True)
class NeutralAmount:
    """A group of neutral debt operations left out of a big number, and its amount."""

    group: str
    """``refinancements`` or ``tresorerie`` (``conventions.NEUTRAL_GROUPS``)."""
    label: str
    amount: Decimal


@dataclass(frozen=True)
class BigNumbers(Mapping[str, Decimal]):
    """Totals by direction × section (``RF``, ``DF``, ``RI``, ``DI``); a key the document
    has no line for is absent, and reads as zero."""

    amounts: dict[str, Decimal] = field(default_factory=dict)
    neutral: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Neutral debt operations left out: group → direction × section → amount."""

    def __getitem__(self, key: str) -> Decimal:
        return self.amounts.get(key, ZERO)

    def __contains__(self, key: object) -> bool:
        return key in self.amounts

    def __iter__(self) -> Iterator[str]:
        return (key for key in KEYS if key in self.amounts)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __add__(self, other: BigNumbers) -> BigNumbers:
        return total([self, other])

    def sections(self) -> list[SectionFigures]:
        """Each section the document has lines in, with its receipts and spending."""
        return [
            SectionFigures(section, self[f"R{section}"], self[f"D{section}"])
            for section in SECTIONS
            if f"R{section}" in self.amounts or f"D{section}" in self.amounts
        ]

    def left_out(self, key: str, lang: str) -> list[NeutralAmount]:
        """What was left out of the big number ``key``, group by group (not zeros)."""
        return [
            NeutralAmount(group.key, group.label.text(lang), self.neutral[group.key][key])
            for group in NEUTRAL_GROUPS
            if self.neutral.get(group.key, {}).get(key)
        ]

    def neutral_total(self, key: str) -> Decimal:
        return sum((by_key.get(key, ZERO) for by_key in self.neutral.values()), ZERO)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: str(self.amounts[key]) for key in KEYS if key in self.amounts}
        out["neutral"] = {
            group: {key: str(amount) for key, amount in by_key.items()}
            for group, by_key in self.neutral.items()
        }
        out["conventions"] = VERSION
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> BigNumbers:
        data = data or {}
        return cls(
            {key: Decimal(data[key]) for key in KEYS if key in data},
            {
                group: {key: Decimal(amount) for key, amount in by_key.items()}
                for group, by_key in (data.get("neutral") or {}).items()
            },
        )

    @classmethod
    def stored(cls, data: Mapping[str, Any] | None) -> BigNumbers | None:
        """Big numbers as stored, when they follow today's conventions; None before
        they are computed, or when computed under other conventions."""
        if not data or data.get("conventions") != VERSION:
            return None
        return cls.from_json(data)


def total(numbers: Iterable[BigNumbers]) -> BigNumbers:
    """Several documents' big numbers added up key by key (a year's voted budget)."""
    out: dict[str, Decimal] = {}
    neutral: dict[str, dict[str, Decimal]] = {}
    for found in numbers:
        for key, amount in found.amounts.items():
            out[key] = out.get(key, ZERO) + amount
        for group, by_key in found.neutral.items():
            into = neutral.setdefault(group, {})
            for key, amount in by_key.items():
                into[key] = into.get(key, ZERO) + amount
    return BigNumbers(out, neutral)


def definitions(lang: str) -> dict[str, str]:
    """The words shown with each big number, and with what they leave out (``neutral``)."""
    return {key: message.text(lang) for key, message in DEFINITIONS.items()}


def big_numbers(doc: BudgetDocument, plan: Plan | None = None) -> BigNumbers:
    """The document's big numbers (see the module's docstring). The plan de comptes is
    the one the aggregation uses (the document's year and nomenclature) unless given."""
    header = doc.header
    if plan is None and header.exer and header.nomenclature:
        plan = find_plan(header.exer, header.nomenclature)
    out: dict[str, Decimal] = {}
    neutral: dict[str, dict[str, Decimal]] = {}
    # The default selection, keeping lines of zero (they say that a section exists) and
    # the neutral operations it leaves out, to show them apart.
    selection = Selection(skip_zero=False, neutral_debt_apart=False)
    for entry in selected_entries(doc, selection, plan):
        key = entry.rdfi
        if key not in KEYS:
            continue
        group = neutral_group(entry.nature)
        into = out if group is None else neutral.setdefault(group.key, {})
        into[key] = into.get(key, ZERO) + entry.amount
    return BigNumbers(out, neutral)
