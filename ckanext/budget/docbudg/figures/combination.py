"""A budget's documents combined into each year's figures.

Each year has up to two *bases*: **realised**, the compte administratif (or the compte
financier unique that replaces it: when a year has both, the CFU), and **voted**, the
credits voted after the year's latest decision. Decisions are in the order they were
voted: the budget primitif first, then by decision date (``DteDec``) when each of the
others has one (a décision modificative often comes before the budget supplémentaire),
otherwise — and between decisions of one day — budget supplémentaire, then décisions
modificatives by number. A decision carries the credits
voted before it with its change (``stage_amounts``): the latest one's figures are the
year's voted budget, where a sum of the decisions would count it once per decision. The
decisions are checked against each other (``decisions``): the credits after each are
those the next starts from. A document uploaded twice (same stage and decision number in
a year) counts once: the latest processed wins.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..messages import Message
from ..model import Stage
from ..stage_amounts import amount_words, decision_words
from .decisions import Decision, DecisionLine, Disagreement, disagreements
from .results import Result

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
    decided: datetime.date | None = None
    """When the decision was voted (``DteDec``): what orders a year's decisions."""


@dataclass(frozen=True)
class Choice:
    """The documents that make a year's realised or voted figures, in order."""

    year: int
    kind: str
    sources: tuple[Source, ...]
    """The account; or the year's decisions in the order they were voted."""

    @property
    def document_ids(self) -> tuple[str, ...]:
        return tuple(source.id for source in self.sources)

    @property
    def primitive(self) -> str | None:
        """The budget primitif among the voted documents, when the portal has it."""
        first = self.sources[0]
        return first.id if self.kind == VOTED and first.stage == PRIMITIVE else None


@dataclass(frozen=True)
class Basis:
    """A year's realised or voted figures: one document's, the account or the latest
    decision with figures."""

    choice: Choice
    source: Source
    result: Result
    own_rules: bool
    """Aggregated with the authority's own rules (its first tree is shown first)."""
    disagreements: tuple[Disagreement, ...] = ()
    """Consecutive decisions of the year whose credits do not follow on."""

    @property
    def year(self) -> int:
        return self.choice.year

    @property
    def document_id(self) -> str:
        return self.source.id

    @property
    def amount_words(self) -> Message:
        """What the figures count: « Crédits votés après la décision modificative n° 3
        (MtBudgPrec + MtPrev) »."""
        document = self.result.document
        chosen = document.amount_field if document is not None else None
        return amount_words(_stage(self.source), chosen, self.source.decision)

    @property
    def without_primitive(self) -> Message | None:
        """For voted figures without the budget primitif on the portal, what they are."""
        if self.choice.kind != VOTED or self.choice.primitive is not None:
            return None
        stage = _stage(self.source)
        return Message(
            "Le budget primitif {year} n'est pas sur le portail : ces montants sont les "
            "crédits votés après la dernière décision qui y est, {decision}.",
            "The {year} initial budget is not on the portal: these amounts are the credits "
            "voted after the latest decision it holds, {decision}.",
            {
                "year": self.year,
                "decision": decision_words(stage, self.source.decision) if stage else "",
            },
        )


def _stage(source: Source) -> Stage | None:
    return Stage.__members__.get(source.stage or "")


def _latest(sources: list[Source]) -> Source:
    epoch = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

    def when(source: Source) -> datetime.datetime:
        found = source.processed or epoch
        return found if found.tzinfo else found.replace(tzinfo=datetime.timezone.utc)

    return max(sources, key=lambda s: (when(s), s.id))


def _voted_order(group: tuple[str, str]) -> tuple[int, int, str]:
    stage, number = group
    return (VOTED_STAGES.index(stage), int(number) if number.isdigit() else 0, number)


def _by_decision_date(decisions: list[Source]) -> list[Source]:
    """The decisions (in ``_voted_order``) by decision date, the budget primitif first
    whatever its date, when every other one has a date; as they are otherwise (one
    decision without a date could be anywhere)."""
    if any(source.decided is None for source in decisions if source.stage != PRIMITIVE):
        return decisions
    return sorted(decisions, key=lambda s: (s.stage != PRIMITIVE, s.decided or datetime.date.min))


def choose(sources: Iterable[Source]) -> dict[int, dict[str, Choice]]:
    """Per year and kind, the documents that make the figures: the account, or the
    decisions in the order they were voted (BP first, then by decision date when each
    has one, otherwise BS then DMs by number)."""
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
            order = [account]
        else:
            order = sorted(by_group, key=_voted_order)
        found = [_latest(by_group[group]) for group in order]
        if kind == VOTED:
            found = _by_decision_date(found)
        chosen.setdefault(year, {})[kind] = Choice(year, kind, tuple(found))
    return chosen


def bases(
    chosen: Mapping[int, Mapping[str, Choice]],
    results: Mapping[str, Result],
    own_rules: Collection[str] = (),
    lines: Mapping[str, Sequence[DecisionLine]] | None = None,
) -> dict[int, dict[str, Basis]]:
    """Each year's figures, by year then kind: the latest chosen document with a result
    (a choice none of whose documents has one is left out). ``own_rules``: the documents
    aggregated with the authority's own rules; ``lines``: the voted documents' lines, by
    id, to check each year's decisions against each other (a document without is not
    checked)."""
    out: dict[int, dict[str, Basis]] = {}
    for year, kinds in chosen.items():
        for kind, choice in kinds.items():
            found = [source for source in choice.sources if source.id in results]
            if not found:
                continue
            latest = found[-1]
            out.setdefault(year, {})[kind] = Basis(
                choice=choice,
                source=latest,
                result=results[latest.id],
                own_rules=latest.id in own_rules,
                disagreements=_check(choice, lines or {}) if kind == VOTED else (),
            )
    return out


def _check(choice: Choice, lines: Mapping[str, Sequence[DecisionLine]]) -> tuple[Disagreement, ...]:
    decisions = [
        Decision(source.id, stage, source.decision, lines[source.id])
        for source in choice.sources
        if source.id in lines and (stage := _stage(source)) is not None
    ]
    return tuple(disagreements(decisions))


def indicator_document(kinds: Mapping[str, Basis]) -> str | None:
    """Whose key indicators stand for the year: the account's, else the latest
    decision's (its credits are the year's voted budget)."""
    for kind in KINDS:
        if kind in kinds:
            return kinds[kind].document_id
    return None
