"""A reference group for a comparison: authorities of the same size and accounting norm,
summed up by their median.

Size classes are the population strata of the OFGL (data.ofgl.fr), written once here so
that every page names them alike. The median, not the mean: one large city in a class
would drag a mean far from what a typical member spends.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..messages import Message
from .levels import Level

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Stratum:
    """A population class: ``low`` ≤ population < ``high`` (``high`` None: no limit)."""

    key: str
    low: int
    high: int | None

    def holds(self, population: int) -> bool:
        return population >= self.low and (self.high is None or population < self.high)

    @property
    def words(self) -> Message:
        """« de 50 000 à 100 000 habitants », each language with its own digit grouping."""
        if self.low == 0:
            return Message(
                "de moins de {high_fr} habitants",
                "with fewer than {high_en} inhabitants",
                {"high_fr": _fr(self.high or 0), "high_en": _en(self.high or 0)},
            )
        if self.high is None:
            return Message(
                "de plus de {low_fr} habitants",
                "with over {low_en} inhabitants",
                {"low_fr": _fr(self.low), "low_en": _en(self.low)},
            )
        return Message(
            "de {low_fr} à {high_fr} habitants",
            "with {low_en} to {high_en} inhabitants",
            {
                "low_fr": _fr(self.low),
                "high_fr": _fr(self.high),
                "low_en": _en(self.low),
                "high_en": _en(self.high),
            },
        )


def _fr(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _en(n: int) -> str:
    return f"{n:,}"


STRATA: tuple[Stratum, ...] = (
    Stratum("moins-500", 0, 500),
    Stratum("500-2000", 500, 2_000),
    Stratum("2000-3500", 2_000, 3_500),
    Stratum("3500-10000", 3_500, 10_000),
    Stratum("10000-20000", 10_000, 20_000),
    Stratum("20000-50000", 20_000, 50_000),
    Stratum("50000-100000", 50_000, 100_000),
    Stratum("plus-100000", 100_000, None),
)
"""The OFGL population strata of communes, smallest first."""


def stratum(population: int | None) -> Stratum | None:
    """The class of a population; None when it is unknown (or not positive)."""
    if population is None or population <= 0:
        return None
    return next(s for s in STRATA if s.holds(population))


def norm_family(nomenclature: str | None) -> str | None:
    """``M57`` for ``M57-M57_A``, ``M14`` for ``M14-M14_COM_SUP3500``: the plan's norm,
    what decides whether two documents' categories can be matched."""
    norm = (nomenclature or "").split("-", 1)[0].strip().upper()
    return norm or None


def median(values: Sequence[Decimal | None]) -> Decimal | None:
    """The median of the known values, rounded to the cent (the mean of the two middle
    values for an even count); None when no value is known."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    middle = len(known) // 2
    found = known[middle] if len(known) % 2 else (known[middle - 1] + known[middle]) / 2
    return found.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Member:
    """An authority of the portal that may join a reference group."""

    authority: str
    """What tells authorities apart (their SIRET, else their name)."""
    population: int | None
    norm: str | None


@dataclass(frozen=True)
class Group:
    """Who the reference is: a class, a norm and how many members."""

    stratum: Stratum
    norm: str
    count: int

    @property
    def label(self) -> Message:
        """« Médiane des communes de 50 000 à 100 000 habitants du portail, M57 (n = 3) »."""
        return Message(
            "Médiane des communes {words_fr} du portail, {norm} (n = {count})",
            "Median of the portal's municipalities {words_en}, {norm} (n = {count})",
            {
                "words_fr": self.stratum.words.text("fr"),
                "words_en": self.stratum.words.text("en"),
                "norm": self.norm,
                "count": self.count,
            },
        )


def members(
    reference: Member, candidates: Sequence[Member], excluded: Sequence[str] = ()
) -> list[int]:
    """Indexes of the candidates in ``reference``'s group: same stratum, same norm,
    another authority than ``reference`` and ``excluded``, each authority once (its first
    candidate)."""
    found = stratum(reference.population)
    if found is None or reference.norm is None:
        return []
    out: list[int] = []
    seen = {reference.authority, *excluded}
    for i, candidate in enumerate(candidates):
        if candidate.authority in seen or candidate.norm != reference.norm:
            continue
        if candidate.population is None or not found.holds(candidate.population):
            continue
        seen.add(candidate.authority)
        out.append(i)
    return out


@dataclass(frozen=True)
class Key:
    """What decides a compared document's reference group: its class, norm, year, stage
    and kind (main budget or annex). Documents with equal keys share one group."""

    stratum: str
    norm: str
    year: Hashable
    stage: Hashable
    principal: Hashable = None


def key(
    population: int | None,
    norm: str | None,
    year: Hashable,
    stage: Hashable,
    principal: Hashable = None,
) -> Key | None:
    """A document's group key; None when it can have no group (population or norm
    unknown)."""
    found = stratum(population)
    if found is None or norm is None:
        return None
    return Key(found.key, norm, year, stage, principal)


def shared(keys: Sequence[Key | None]) -> list[list[int]]:
    """The compared documents grouped by reference group: for each distinct key, in the
    order of its first document, the indexes of the documents it is the group of (so
    two documents of different classes or norms each get theirs, and two of the same
    share one). Documents without a key are in none."""
    out: dict[Key, list[int]] = {}
    for i, found in enumerate(keys):
        if found is not None:
            out.setdefault(found, []).append(i)
    return list(out.values())


def of_documents(numbers: Sequence[int]) -> Message:
    """« document 1 », « documents 1 et 3 »: whose reference a group is, by the numbers
    the comparison gives its documents."""
    if len(numbers) == 1:
        return Message("document {n}", "document {n}", {"n": numbers[0]})
    head = ", ".join(str(n) for n in numbers[:-1])
    return Message(
        "documents {head} et {last}",
        "documents {head} and {last}",
        {"head": head, "last": numbers[-1]},
    )


def per_head(amount: Decimal | None, population: int) -> Decimal | None:
    if amount is None or population <= 0:
        return None
    return (amount / population).quantize(CENT, rounding=ROUND_HALF_UP)


def medians(
    amounts: Sequence[Decimal | None], populations: Sequence[int]
) -> tuple[Decimal | None, Decimal | None]:
    """(median amount, median amount per inhabitant) of the members: the median of each
    member's own ratio, not the ratio of medians."""
    heads = [per_head(a, p) for a, p in zip(amounts, populations, strict=True)]
    return median(amounts), median(heads)


@dataclass(frozen=True)
class Summary:
    rows: dict[str, tuple[Decimal | None, Decimal | None]]
    total: tuple[Decimal | None, Decimal | None]


def summarise(levels: Sequence[Level], populations: Sequence[int], ids: Sequence[str]) -> Summary:
    """The members' medians for each category ``ids`` of one level and its total. A
    member whose level has no such category spent nothing on it (zero, not unknown)."""
    parts = [{row.id: row.amount for row in lvl.parts()} for lvl in levels]
    rows = {
        category: medians([p.get(category, Decimal(0)) for p in parts], populations)
        for category in ids
    }
    return Summary(rows, medians([lvl.total for lvl in levels], populations))
