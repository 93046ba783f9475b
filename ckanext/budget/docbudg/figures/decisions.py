"""A year's voted documents checked against each other.

The credits voted after a decision (``stage_amounts.STAGE_AMOUNTS``) are the credits the
next decision of the year starts from (its ``MtBudgPrec``, ``CREDITS_BEFORE``): the year's
voted figures are the latest decision's, and they stand only if the chain holds. Lines
are compared one by one (summed by direction, nature, function and operation type, as
the aggregation merges duplicates; a line a document does not have counts as zero), and
the gaps are added up by direction × section over real operations, like the big numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise

from ..messages import Message
from ..model import Stage
from ..stage_amounts import CREDITS_BEFORE, STAGE_AMOUNTS, Amount, decision_words

ZERO = Decimal(0)
SHOWN_LINES = 3
"""A disagreement's message names this many lines at most."""
DIRECTIONS = {"R": Message("recette", "receipt"), "D": Message("dépense", "spending")}

LineKey = tuple[str, str, str, str]
"""(direction, nature, function, operation type)."""


@dataclass(frozen=True)
class DecisionLine:
    """A line of a voted document, as stored: its codes and every amount field."""

    cod_rd: str | None
    nature: str | None
    fonction: str | None
    op_budg: str | None
    section: str | None
    amounts: Mapping[str, Decimal]

    @property
    def key(self) -> LineKey:
        return (self.cod_rd or "", self.nature or "", self.fonction or "", self.op_budg or "")


@dataclass(frozen=True)
class Decision:
    """A voted document of the year and its lines."""

    id: str
    stage: Stage
    number: str | None
    lines: Sequence[DecisionLine]

    @property
    def words(self) -> Message:
        return decision_words(self.stage, self.number)


@dataclass(frozen=True)
class LineGap:
    """A line whose credits after one decision are not those the next starts from."""

    cod_rd: str
    nature: str
    fonction: str
    section: str | None
    real: bool
    after: Decimal
    before: Decimal


@dataclass(frozen=True)
class Disagreement:
    """Two consecutive decisions of a year whose credits do not follow on."""

    earlier: Decision
    later: Decision
    gaps: tuple[LineGap, ...]

    def totals(self) -> dict[str, Decimal]:
        """Credits the later decision starts from minus those after the earlier one, by
        direction × section (``RF``, ``DF``, ``RI``, ``DI``), real operations only."""
        out: dict[str, Decimal] = {}
        for gap in self.gaps:
            if gap.real and gap.section:
                key = gap.cod_rd + gap.section
                out[key] = out.get(key, ZERO) + gap.before - gap.after
        return {key: amount for key, amount in sorted(out.items()) if amount}

    @property
    def message(self) -> Message:
        shown = [
            Message(
                "{direction} {nature}{function} : {after} € après la première, {before} € au "
                "départ de la seconde",
                "{direction} {nature}{function}: {after} € after the first, {before} € at the "
                "start of the second",
                {
                    "direction": DIRECTIONS.get(gap.cod_rd, Message(gap.cod_rd, gap.cod_rd)),
                    "nature": gap.nature,
                    "function": f" ({gap.fonction})" if gap.fonction else "",
                    "after": gap.after,
                    "before": gap.before,
                },
            )
            for gap in self.gaps[:SHOWN_LINES]
        ]
        totals = self.totals()
        return Message(
            "Les crédits votés après {earlier} ne sont pas ceux dont part {later} "
            "(MtBudgPrec) sur {count} ligne(s), dont {lines}{totals}. Une décision "
            "intermédiaire n'est peut-être pas sur le portail, ou l'un des documents est "
            "erroné.",
            "The credits voted after {earlier} are not those {later} starts from "
            "(MtBudgPrec) on {count} line(s), among which {lines}{totals}. A decision in "
            "between may be missing from the portal, or one of the documents is wrong.",
            {
                "earlier": self.earlier.words,
                "later": self.later.words,
                "count": len(self.gaps),
                "lines": _joined(shown),
                "totals": Message(
                    " ; écart des totaux : {gaps}",
                    "; gap in the totals: {gaps}",
                    {"gaps": ", ".join(f"{key} {amount:+} €" for key, amount in totals.items())},
                )
                if totals
                else "",
            },
        )


def _joined(messages: list[Message]) -> Message:
    """Messages one after the other, separated by « ; »."""
    names = [f"m{i}" for i in range(len(messages))]
    fields = ["{" + name + "}" for name in names]
    return Message(" ; ".join(fields), "; ".join(fields), dict(zip(names, messages, strict=True)))


def _summed(lines: Sequence[DecisionLine], amount: Amount) -> dict[LineKey, Decimal]:
    out: dict[LineKey, Decimal] = {}
    for line in lines:
        key = line.key
        out[key] = out.get(key, ZERO) + amount.of(line.amounts)
    return out


def disagreement(earlier: Decision, later: Decision) -> Disagreement | None:
    """Whether ``later`` starts from the credits voted after ``earlier``, line by line;
    ``None`` when it does (or cannot say: a budget primitif starts from nothing)."""
    before_amount = CREDITS_BEFORE.get(later.stage)
    if before_amount is None:
        return None
    after = _summed(earlier.lines, STAGE_AMOUNTS[earlier.stage])
    before = _summed(later.lines, before_amount)
    sections = {line.key: line.section for line in (*earlier.lines, *later.lines)}
    gaps = tuple(
        LineGap(key[0], key[1], key[2], sections.get(key), key[3] == "0", after_key, before_key)
        for key in sorted(after.keys() | before.keys())
        if (after_key := after.get(key, ZERO)) != (before_key := before.get(key, ZERO))
    )
    if not gaps:
        return None
    # Named without their lines: pages keep disagreements in their cache.
    return Disagreement(replace(earlier, lines=()), replace(later, lines=()), gaps)


def disagreements(decisions: Sequence[Decision]) -> list[Disagreement]:
    """Each pair of consecutive decisions (in the order they were voted) that disagree."""
    found = (disagreement(a, b) for a, b in pairwise(decisions))
    return [d for d in found if d is not None]
