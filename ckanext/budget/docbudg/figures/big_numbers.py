"""The four big numbers of a document: receipts and spending × operating and investment.

One definition for every page that shows them (the document's page, its explorer, the
budget page, the comparison): the lines the default rule sets count (``Selection``: real
operations, ``OpBudg`` 0; carried-over results 001 and 002 left out; calculated totals
never counted), with the amount of the stage (``MtReal`` for a CA or CFU, ``MtPrev`` for
a BP, BS or DM) and the section the plan de comptes gives (guessed from the nature's class
when the plan cannot tell). A section is shown when the document has such a line in it,
even a line of zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ..aggregation.index import selected_entries
from ..aggregation.ruleset import Selection
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
class BigNumbers(Mapping[str, Decimal]):
    """Totals by direction × section (``RF``, ``DF``, ``RI``, ``DI``); a key the document
    has no line for is absent, and reads as zero."""

    amounts: dict[str, Decimal] = field(default_factory=dict)

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

    def to_json(self) -> dict[str, str]:
        return {key: str(self.amounts[key]) for key in KEYS if key in self.amounts}

    @classmethod
    def from_json(cls, data: Mapping[str, str] | None) -> BigNumbers:
        return cls({key: Decimal(data[key]) for key in KEYS if key in (data or {})})


def total(numbers: Iterable[BigNumbers]) -> BigNumbers:
    """Several documents' big numbers added up key by key (a year's voted budget)."""
    out: dict[str, Decimal] = {}
    for found in numbers:
        for key, amount in found.amounts.items():
            out[key] = out.get(key, ZERO) + amount
    return BigNumbers(out)


def big_numbers(doc: BudgetDocument, plan: Plan | None = None) -> BigNumbers:
    """The document's big numbers (see the module's docstring). The plan de comptes is
    the one the aggregation uses (the document's year and nomenclature) unless given."""
    header = doc.header
    if plan is None and header.exer and header.nomenclature:
        plan = find_plan(header.exer, header.nomenclature)
    out: dict[str, Decimal] = {}
    # The default selection, keeping lines of zero: they say that a section exists.
    for entry in selected_entries(doc, Selection(skip_zero=False), plan):
        key = entry.rdfi
        if key in KEYS:
            out[key] = out.get(key, ZERO) + entry.amount
    return BigNumbers(out)
