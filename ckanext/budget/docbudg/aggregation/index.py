"""Per-document index: selected lines as bit positions, formulas as integer bit masks.

Each selected line gets a position; every atom becomes a Python ``int`` whose bits are the
positions it selects, so a formula is a handful of ``& | ~`` on integers instead of a
Python test per line and per leaf. Totals of many masks at once are one matrix product
(numpy) over the amounts in integer cents, exact because every partial sum stays below
2**53; documents where that cannot be guaranteed are summed in ``Decimal``.

What only depends on the plan de comptes (a code's chapter, section and ancestors) is
memoised per plan: a portal aggregates many documents of the same plan, and each repeats
the same few hundred codes.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from operator import attrgetter

import numpy as np

from ..conventions import presented_section
from ..model import BudgetDocument, BudgetLine
from ..nomenclature import Plan
from ..stage_amounts import Amount
from .formula import ANY_FUNCTION, NO_FUNCTION, Atom, AtomKey, Formula, Program, compile_formula
from .ruleset import Selection

RDFI = ("DF", "DI", "RF", "RI")
EXACT_FLOAT_CENTS = 2**53
"""Integers below this are exact in float64, and so is every sum that stays below it."""
ZERO = Decimal(0)
DENSE = 64
"""From this many positions on, a mask is built by numpy rather than bit by bit."""


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
        """Direction × section as figures present the line (``conventions``): what
        totals and checks add up. Formulas select on the plan's ``section``."""
        return self.cod_rd + presented_section(self.cod_rd, self.nature, self.section or "?")


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


def cents_of(amount: Decimal) -> int | None:
    """The amount in integer cents, ``None`` when it is not a whole number of cents."""
    numerator, denominator = amount.as_integer_ratio()
    return numerator * (100 // denominator) if 100 % denominator == 0 else None


def money(cents: int) -> Decimal:
    """Cents back to euros; zero stays ``Decimal(0)`` (``scaleb`` would print ``0E-2``)."""
    return Decimal(cents).scaleb(-2) if cents else ZERO


# --- what the plan says of codes, memoised per plan ----------------------------------


class PlanFacts:
    """Chapter and section of a line's codes, ancestors of accounts and functions."""

    def __init__(self, plan: Plan | None) -> None:
        self.plan = plan
        self.classified: dict[tuple, tuple[str | None, str | None]] = {}
        self._accounts: dict[str, tuple[str, ...]] = {}
        self._functions: dict[str, tuple[str, ...]] = {}

    def classify(self, line: BudgetLine) -> tuple[str | None, str | None]:
        """(chapter, section) of a line, from the plan; ``(None, None)`` without one."""
        plan = self.plan
        if plan is None:
            return None, None
        key = (line.cod_rd, line.nature, line.cont_nat, line.op_budg, line.fields.get("TypOpBudg"))
        found = self.classified.get(key)
        if found is None:
            chapter = plan.chapter_of(line)
            section = None
            if chapter:
                known = plan.chapter(chapter) or plan.function_chapter(chapter)
                section = known.section if known is not None else None
            found = self.classified[key] = (chapter, section)
        return found

    def account_chain(self, code: str) -> tuple[str, ...]:
        found = self._accounts.get(code)
        if found is None:
            plan = self.plan
            lookup = plan.account if plan is not None else None
            found = self._accounts[code] = _ancestors(code, lookup)
        return found

    def function_chain(self, code: str) -> tuple[str, ...]:
        found = self._functions.get(code)
        if found is None:
            plan = self.plan
            lookup = plan.function if plan is not None else None
            found = self._functions[code] = _ancestors(code, lookup)
        return found


def _ancestors(code: str, lookup) -> tuple[str, ...]:
    """The code and its ancestors in the plan; every prefix when the plan lacks it."""
    if lookup is None or lookup(code) is None:
        return tuple(code[:n] for n in range(len(code), 0, -1))
    chain: list[str] = []
    current: str | None = code
    while current is not None and current not in chain:
        chain.append(current)
        found = lookup(current)
        current = found.parent if found is not None else None
    return tuple(chain)


_FACTS: weakref.WeakKeyDictionary[Plan, PlanFacts] = weakref.WeakKeyDictionary()
_NO_PLAN = PlanFacts(None)


def plan_facts(plan: Plan | None) -> PlanFacts:
    if plan is None:
        return _NO_PLAN
    found = _FACTS.get(plan)
    if found is None:
        found = _FACTS[plan] = PlanFacts(plan)
    return found


# --- the index -------------------------------------------------------------------------

_CACHE: weakref.WeakKeyDictionary[BudgetDocument, dict[tuple, LineIndex]] = (
    weakref.WeakKeyDictionary()
)


def clear_caches() -> None:
    """Forget every document index and what was learnt from the plans (benchmarks)."""
    _CACHE.clear()
    _FACTS.clear()


def line_index(doc: BudgetDocument, selection: Selection, plan: Plan | None) -> LineIndex:
    """The document's index for a selection and plan, built once per document: a portal
    aggregates each document with several rule sets (defaults, the authority's own)."""
    per_doc = _CACHE.setdefault(doc, {})
    key = (repr(selection), repr(plan))
    found = per_doc.get(key)
    if found is None or found.plan is not plan:
        found = per_doc[key] = LineIndex(doc, selection, plan)
    return found


def selected_entries(doc: BudgetDocument, selection: Selection, plan: Plan | None) -> list[Entry]:
    """The lines a selection counts (duplicates summed) without an index's bit masks: what
    totals alone need, at a tenth of the cost of :func:`line_index`."""
    return _select(doc.lines, selection, plan_facts(plan), selection.amount(doc.header.stage))


def _masks(values: Sequence[str | None]) -> dict[str, int]:
    """Bit mask of the positions holding each value (``None`` left out). Values held by
    many lines (direction, section, operation) get their mask from numpy in one go;
    shifting a Python int per position would copy the growing mask each time."""
    positions: dict[str, list[int]] = {}
    for position, value in enumerate(values):
        if value is not None:
            found = positions.get(value)
            if found is None:
                positions[value] = [position]
            else:
                found.append(position)
    count = len(values)
    table: dict[str, int] = {}
    for value, found in positions.items():
        if len(found) < DENSE:
            mask = 0
            for position in found:
                mask |= 1 << position
        else:
            flags = np.zeros(count, dtype=bool)
            flags[found] = True
            mask = int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")
        table[value] = mask
    return table


class LineIndex:
    """The selected lines of one document, with bit masks per attribute."""

    def __init__(self, doc: BudgetDocument, selection: Selection, plan: Plan | None) -> None:
        header = doc.header
        self.exer = header.exer
        self.plan = plan
        self.facts = plan_facts(plan)
        amount = selection.amount(header.stage)
        self.amount_field = amount.name
        self.entries: list[Entry] = _select(doc.lines, selection, self.facts, amount)
        self.all = (1 << len(self.entries)) - 1
        self._memo: dict[AtomKey, int] = {}
        self._runs: dict[int, tuple[Program, int]] = {}
        entries = self.entries
        self._by: dict[str, dict[str, int]] = {
            "sens": _masks([e.cod_rd for e in entries]),
            "section": _masks([e.section for e in entries]),
            "chapitre": _masks([e.chapter for e in entries]),
            "nature": _masks([e.nature for e in entries]),
            "op": _masks([e.op_budg for e in entries]),
            "fn_exact": _masks([e.fonction for e in entries]),
        }

    @cached_property
    def _accounts(self) -> dict[str, int]:
        """Mask of each account with its descendants (built when a formula names one)."""
        out: dict[str, int] = {}
        chain = self.facts.account_chain
        for nature, mask in self._by["nature"].items():
            for code in chain(nature):
                out[code] = out.get(code, 0) | mask
        return out

    @cached_property
    def _functions(self) -> dict[str, int]:
        out: dict[str, int] = {}
        chain = self.facts.function_chain
        for fonction, mask in self._by["fn_exact"].items():
            for code in chain(fonction):
                out[code] = out.get(code, 0) | mask
        return out

    def atom(self, atom: Atom | AtomKey) -> int:
        key = (atom.kind, atom.value) if isinstance(atom, Atom) else atom
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._atom(*key)
        return found

    def _atom(self, kind: str, value: str) -> int:
        if kind in ("sens", "section", "chapitre", "nature"):
            return self._by[kind].get(value, 0)
        if kind == "compte":
            return self._accounts.get(value, 0)
        if kind == "fonction":
            if value == ANY_FUNCTION:
                return self._any_function
            if value == NO_FUNCTION:
                return self.all & ~self._any_function
            return self._functions.get(value, 0)
        if kind == "fonction_exact":
            return self._by["fn_exact"].get(value, 0)
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

    @cached_property
    def _any_function(self) -> int:
        result = 0
        for mask in self._by["fn_exact"].values():
            result |= mask
        return result

    def run(self, program: Program) -> int:
        """The mask of a compiled formula, memoised by identity: a rule set's programs
        live as long as the rule set, and hashing deep formulas would cost more than
        evaluating them."""
        found = self._runs.get(id(program))
        if found is not None and found[0] is program:
            return found[1]
        stack: list[int] = []
        push, pop, memo, atom = stack.append, stack.pop, self._memo, self.atom
        for step in program:
            if step.__class__ is tuple:
                mask = memo.get(step)  # type: ignore[call-overload]
                push(atom(step) if mask is None else mask)  # type: ignore[arg-type]
                continue
            right = pop()
            left = pop()
            if step == "&":
                push(left & right)
            elif step == "|":
                push(left | right)
            else:
                push(left & ~right)
        mask = stack[0] if stack else 0
        self._runs[id(program)] = (program, mask)
        return mask

    def evaluate(self, formula: Formula | None) -> int:
        """The mask of a formula (compiled on the fly: prefer :meth:`run` in loops)."""
        if formula is None:
            return 0
        return self.run(compile_formula(formula))

    def find(self, cod_rd: str, nature: str, fonction: str | None) -> int | None:
        """Position of the line (CodRD, Nature, Fonction), as split-line corrections name
        lines; ``None`` when the document has no such line."""
        by = self._by
        mask = by["sens"].get(cod_rd, 0) & by["nature"].get(nature, 0)
        if fonction:
            mask &= by["fn_exact"].get(fonction, 0)
        else:
            mask &= ~self._any_function
        return (mask & -mask).bit_length() - 1 if mask else None

    # --- totals ------------------------------------------------------------------------

    @cached_property
    def _rdfi_keys(self) -> list[str]:
        return [entry.rdfi for entry in self.entries]

    @cached_property
    def _cents(self) -> list[int] | None:
        """Each entry's amount in integer cents, when every amount is a whole number of
        cents (always in TotEM files): summing ints is exact and much faster."""
        cents = list(map(cents_of, (entry.amount for entry in self.entries)))
        return None if None in cents else cents  # type: ignore[return-value]

    @cached_property
    def _weights(self) -> np.ndarray | None:
        """(lines × 4) matrix: each line's cents in the column of its RDFI key; ``None``
        when a float64 product could be inexact (amounts beyond whole cents, or sums
        of absolute values reaching 2**53)."""
        cents = self._cents
        if cents is None or not cents or sum(map(abs, cents)) >= EXACT_FLOAT_CENTS:
            return None
        columns = {key: i for i, key in enumerate(RDFI)}
        where = [columns.get(key, -1) for key in self._rdfi_keys]
        if -1 in where:
            return None  # a section neither the plan nor the guess could tell
        weights = np.zeros((len(cents), len(RDFI)))
        weights[np.arange(len(cents)), where] = cents
        return weights

    def rdfi_of(self, masks: Sequence[int]) -> list[dict[str, Decimal]]:
        """Totals by direction × section of each mask, all masks in one product."""
        weights = self._weights
        if weights is None or not masks:
            return [self.split_rdfi(mask) for mask in masks]
        count = len(self.entries)
        width = (count + 7) // 8
        raw = b"".join(mask.to_bytes(width, "little") for mask in masks)
        flags = np.unpackbits(
            np.frombuffer(raw, dtype=np.uint8).reshape(len(masks), width),
            axis=1,
            count=count,
            bitorder="little",
        )
        sums = (flags @ weights).astype(np.int64).tolist()
        return [dict(zip(RDFI, map(money, row), strict=True)) for row in sums]

    def split_rdfi(self, mask: int) -> dict[str, Decimal]:
        """Total of the lines in ``mask`` by direction × section, summed in Python."""
        keys = self._rdfi_keys
        cents = self._cents
        if cents is not None:
            sums = dict.fromkeys(RDFI, 0)
            for i in bits(mask):
                key = keys[i]
                sums[key] = sums.get(key, 0) + cents[i]
            return {key: money(value) for key, value in sums.items()}
        totals = dict.fromkeys(RDFI, ZERO)
        entries = self.entries
        for i in bits(mask):
            key = keys[i]
            totals[key] = totals.get(key, ZERO) + entries[i].amount
        return totals

    @cached_property
    def rdfi(self) -> dict[str, Decimal]:
        """The document's totals by direction × section, as the trees must find them."""
        return self.rdfi_of([self.all])[0] if self.entries else self.split_rdfi(0)

    def rdfi_totals(self) -> dict[str, Decimal]:
        return dict(self.rdfi)


_LINE_KEY = attrgetter("calculated", "cod_rd", "nature", "op_budg", "fonction")


def _select(
    lines: list[BudgetLine], selection: Selection, facts: PlanFacts, amount: Amount
) -> list[Entry]:
    """The lines a rule set counts, duplicates summed, with their chapter and section."""
    excluded = frozenset(selection.exclude_natures)
    left_out = selection.left_out_prefixes()
    wanted_op = {"reel": "0", "ordre": "1"}.get(selection.operations)
    merge = selection.merge_duplicates
    groups: dict[object, list[BudgetLine]] = {}
    for line in lines:
        calculated, cod_rd, nature, op_budg, fonction = _LINE_KEY(line)
        if calculated or not nature or (cod_rd != "D" and cod_rd != "R"):
            continue
        if (wanted_op is not None and op_budg != wanted_op) or nature in excluded:
            continue
        if nature.startswith(left_out):
            continue
        key = (cod_rd, fonction, nature, op_budg) if merge else line.index
        group = groups.get(key)
        if group is None:
            groups[key] = [line]
        else:
            group.append(line)
    entries: list[Entry] = []
    classified = facts.classified
    skip_zero = selection.skip_zero
    value_of = amount.of
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            value = value_of(first.amounts)
            sources: tuple[int, ...] = (first.index,)
        else:
            value = sum((value_of(line.amounts) for line in group), ZERO)
            sources = tuple(line.index for line in group)
        if skip_zero and not value:
            continue
        nature = first.nature or ""
        cont_nat = first.cont_nat
        found = classified.get(
            (first.cod_rd, nature, cont_nat, first.op_budg, first.fields.get("TypOpBudg"))
        )
        chapter, section = found if found is not None else facts.classify(first)
        entries.append(
            Entry(
                len(entries),
                first.cod_rd or "",
                nature,
                first.fonction or None,
                first.op_budg,
                chapter or cont_nat,
                section or guess_section(nature),
                value,
                sources,
                section is None,
            )
        )
    return entries
