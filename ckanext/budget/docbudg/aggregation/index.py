"""Per-document index: selected lines as bit positions, formulas as integer bit masks.

Each selected line gets a position; every atom becomes a Python ``int`` whose bits are the
positions it selects, so a formula is a handful of ``& | ~`` on integers instead of a
Python test per line and per leaf. Atom masks are memoised for the document.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from ..model import BudgetDocument, BudgetLine
from ..nomenclature import Plan
from .formula import ANY_FUNCTION, Atom, BinOp, Formula
from .ruleset import Selection


@dataclass(slots=True)
class Entry:
    """One selected line (or the sum of its duplicates), with what the plan says of it."""

    position: int
    cod_rd: str
    nature: str
    fonction: str | None
    op_budg: str | None
    chapter: str | None
    section: str | None
    amount: Decimal
    sources: tuple[int, ...]
    """``BudgetLine.index`` of the document lines summed here."""
    section_guessed: bool = False

    @property
    def rdfi(self) -> str:
        return f"{self.cod_rd}{self.section or '?'}"


def bits(mask: int) -> Iterator[int]:
    """Positions of the set bits, lowest first (the scan runs in C via ``str.find``)."""
    text = format(mask, "b")[::-1]
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


def guess_section(nature: str) -> str:
    """Used only when the plan cannot tell: classes 6 and 7 and result 002 are operating."""
    return "F" if nature[:1] in ("6", "7") or nature == "002" else "I"


def _ancestors(code: str, parent_of, known: bool) -> list[str]:
    """The code and its ancestors in the plan; every prefix when the plan lacks it."""
    if not known:
        return [code[:n] for n in range(len(code), 0, -1)]
    chain = []
    current: str | None = code
    while current is not None and current not in chain:
        chain.append(current)
        current = parent_of(current)
    return chain


_CACHE: weakref.WeakKeyDictionary[BudgetDocument, dict[tuple, LineIndex]] = (
    weakref.WeakKeyDictionary()
)


def line_index(doc: BudgetDocument, selection: Selection, plan: Plan | None) -> LineIndex:
    """The document's index for a selection and plan, built once per document: a portal
    aggregates each document with several rule sets (defaults, the authority's own)."""
    per_doc = _CACHE.setdefault(doc, {})
    key = (repr(selection), repr(plan))
    found = per_doc.get(key)
    if found is None or found.plan is not plan:
        found = per_doc[key] = LineIndex(doc, selection, plan)
    return found


class LineIndex:
    """The selected lines of one document, with bit masks per attribute."""

    def __init__(self, doc: BudgetDocument, selection: Selection, plan: Plan | None) -> None:
        header = doc.header
        self.exer = header.exer
        self.plan = plan
        self.amount_field = selection.amount_field(header.stage)
        self.entries: list[Entry] = _select(doc.lines, selection, plan, self.amount_field)
        self.all = (1 << len(self.entries)) - 1
        self._memo: dict[Atom, int] = {}
        self._compiled: dict[int, tuple[Formula, int]] = {}
        self._by: dict[str, dict[str, int]] = {
            name: {} for name in ("sens", "section", "chapitre", "nature", "op", "fn_exact")
        }
        self._accounts: dict[str, int] = {}
        self._functions: dict[str, int] = {}
        for entry in self.entries:
            bit = 1 << entry.position
            for name, value in (
                ("sens", entry.cod_rd),
                ("section", entry.section),
                ("chapitre", entry.chapter),
                ("nature", entry.nature),
                ("op", entry.op_budg),
                ("fn_exact", entry.fonction),
            ):
                if value is not None:
                    table = self._by[name]
                    table[value] = table.get(value, 0) | bit
        for nature, mask in self._by["nature"].items():
            known = plan is not None and plan.account(nature) is not None
            parent = (
                (lambda c: plan.account(c).parent if plan.account(c) else None) if known else None
            )
            for code in _ancestors(nature, parent, known):
                self._accounts[code] = self._accounts.get(code, 0) | mask
        for fonction, mask in self._by["fn_exact"].items():
            known = plan is not None and plan.function(fonction) is not None
            parent = (
                (lambda c: plan.function(c).parent if plan.function(c) else None) if known else None
            )
            for code in _ancestors(fonction, parent, known):
                self._functions[code] = self._functions.get(code, 0) | mask

    def atom(self, atom: Atom) -> int:
        found = self._memo.get(atom)
        if found is None:
            found = self._memo[atom] = self._atom(atom)
        return found

    def _atom(self, atom: Atom) -> int:
        kind, value = atom.kind, atom.value
        if kind in ("sens", "section", "chapitre", "nature"):
            return self._by[kind].get(value, 0)
        if kind == "compte":
            return self._accounts.get(value, 0)
        if kind == "fonction":
            any_function = 0
            for mask in self._by["fn_exact"].values():
                any_function |= mask
            if value == ANY_FUNCTION:
                return any_function
            if value == "aucune":
                return self.all & ~any_function
            return self._functions.get(value, 0)
        if kind == "nature_prefix":
            result = 0
            for nature, mask in self._by["nature"].items():
                if nature.startswith(value):
                    result |= mask
            return result
        if kind == "annee":
            return self.all if str(self.exer) == value else 0
        if kind == "reel":
            return self._by["op"].get("0", 0)
        if kind == "ordre":
            return self._by["op"].get("1", 0)
        return self.all  # "tout"

    def evaluate(self, formula: Formula | None) -> int:
        """The formula's mask, memoised by identity: a rule set's parsed formulas live as
        long as the rule set, and hashing deep formulas would cost more than evaluating."""
        if formula is None:
            return 0
        found = self._compiled.get(id(formula))
        if found is not None and found[0] is formula:
            return found[1]
        mask = self._evaluate(formula)
        self._compiled[id(formula)] = (formula, mask)
        return mask

    def _evaluate(self, formula: Formula) -> int:
        spine: list[BinOp] = []  # iterative on the left: long imported unions
        while isinstance(formula, BinOp):
            spine.append(formula)
            formula = formula.left
        result = self.atom(formula)
        for node in reversed(spine):
            right = self._evaluate(node.right)
            if node.op == "&":
                result &= right
            elif node.op == "|":
                result |= right
            else:
                result &= ~right
        return result

    def total(self, mask: int) -> Decimal:
        entries = self.entries
        return sum((entries[i].amount for i in bits(mask)), Decimal(0))

    @cached_property
    def positions_by_key(self) -> dict[tuple[str, str, str], list[int]]:
        """Positions by (CodRD, Nature, Fonction): how split-line corrections find lines."""
        found: dict[tuple[str, str, str], list[int]] = {}
        for entry in self.entries:
            found.setdefault((entry.cod_rd, entry.nature, entry.fonction or ""), []).append(
                entry.position
            )
        return found

    @cached_property
    def _cents(self) -> tuple[list[str], list[int]] | None:
        """Each entry's RDFI key and amount in integer cents, when every amount is a whole
        number of cents (always in TotEM files): summing ints is exact and much faster."""
        keys = [entry.cod_rd + entry.section for entry in self.entries]
        cents = []
        for entry in self.entries:
            scaled = entry.amount.scaleb(2)
            if scaled != scaled.to_integral_value():
                return None
            cents.append(int(scaled))
        return keys, cents

    def split_rdfi(self, mask: int) -> dict[str, Decimal]:
        """Total of the lines in ``mask`` by direction × section, in one pass."""
        exact = self._cents
        if exact is not None:
            keys, cents = exact
            sums = dict.fromkeys(("DF", "DI", "RF", "RI"), 0)
            for i in bits(mask):
                key = keys[i]
                sums[key] = sums.get(key, 0) + cents[i]
            # ``Decimal(0).scaleb(-2)`` would print as ``0E-2``: zero stays ``Decimal(0)``.
            return {
                key: Decimal(value).scaleb(-2) if value else Decimal(0)
                for key, value in sums.items()
            }
        totals = dict.fromkeys(("DF", "DI", "RF", "RI"), Decimal(0))
        entries = self.entries
        for i in bits(mask):
            entry = entries[i]
            key = entry.cod_rd + entry.section
            totals[key] = totals.get(key, Decimal(0)) + entry.amount
        return totals

    @cached_property
    def rdfi(self) -> dict[str, Decimal]:
        return self.split_rdfi(self.all)

    def rdfi_totals(self) -> dict[str, Decimal]:
        return dict(self.rdfi)


def _section(plan: Plan, chapter: str) -> str | None:
    found = plan.chapter(chapter) or plan.function_chapter(chapter)
    return found.section if found is not None else None


def _select(
    lines: list[BudgetLine], selection: Selection, plan: Plan | None, amount_field: str
) -> list[Entry]:
    excluded = set(selection.exclude_natures)
    wanted_op = {"reel": ("0",), "ordre": ("1",)}.get(selection.operations)
    groups: dict[tuple, list[BudgetLine]] = {}
    known: dict[tuple, tuple[str | None, str | None]] = {}

    def classify(line: BudgetLine) -> tuple[str | None, str | None]:
        """(chapter, section), memoised: a document repeats few distinct combinations."""
        key = (line.cod_rd, line.nature, line.cont_nat, line.op_budg, line.typ_op_budg)
        found = known.get(key)
        if found is None:
            chapter = plan.chapter_of(line) if plan is not None else None
            found = known[key] = (chapter, _section(plan, chapter) if chapter else None)
        return found

    for line in lines:
        if line.calculated or not line.nature or line.cod_rd not in ("D", "R"):
            continue
        if wanted_op is not None and line.op_budg not in wanted_op:
            continue
        if line.nature in excluded:
            continue
        key = (line.cod_rd, line.fonction, line.nature, line.op_budg)
        if not selection.merge_duplicates:
            key = (*key, line.index)
        groups.setdefault(key, []).append(line)
    entries: list[Entry] = []
    for group in groups.values():
        amount = sum((line.amount(amount_field) for line in group), Decimal(0))
        if selection.skip_zero and amount == 0:
            continue
        first = group[0]
        chapter, section = classify(first)
        entries.append(
            Entry(
                position=len(entries),
                cod_rd=first.cod_rd or "",
                nature=first.nature or "",
                fonction=first.fonction or None,
                op_budg=first.op_budg,
                chapter=chapter or first.cont_nat,
                section=section or guess_section(first.nature or ""),
                amount=amount,
                sources=tuple(line.index for line in group),
                section_guessed=section is None,
            )
        )
    return entries
