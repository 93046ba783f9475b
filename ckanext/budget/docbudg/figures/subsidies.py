"""The subsidies a budget granted, searched across its years.

Read from each year's ``concours`` annex table (:mod:`..annex_tables`), built from the
stored document, which the portal anonymised at upload. On top of that, a beneficiary
is named only when it is an organisation: a natural person (``P3``) or a label the
anonymiser replaced is shown as "withheld" and never searched, so a name can neither
be read nor found by guessing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..annex_tables import fold
from ..model import to_decimal

NATURAL_PERSON = "P3"


@dataclass(frozen=True)
class Grant:
    """One subsidy (or help in kind) of one year's document."""

    year: int
    document: str
    """The resource the row comes from."""
    beneficiary: str | None
    """None: withheld (a natural person, or a name the anonymiser replaced)."""
    nature: str
    """The beneficiary's legal nature (``CodNatJurBenefCA``: P1 associations…); empty
    when the document does not say."""
    object: str
    amount: Decimal | None
    in_kind: bool


def is_withheld(row: Mapping[str, str], replacements: Iterable[str]) -> bool:
    """Whether a row's beneficiary must not be shown: a natural person, no name, or a
    name that is (or holds) an anonymisation replacement text."""
    label = (row.get("beneficiaire") or "").strip()
    if not label or (row.get("type_beneficiaire") or "") == NATURAL_PERSON:
        return True
    folded = fold(label)
    return any(fold(text) in folded for text in replacements if text)


def grants(
    rows: Iterable[Mapping[str, str]], year: int, document: str, replacements: Iterable[str]
) -> list[Grant]:
    """The grants of one document's ``concours`` table rows."""
    texts = tuple(replacements)
    out = []
    for row in rows:
        withheld = is_withheld(row, texts)
        # A person's grant keeps its amount and year only: its object may name them.
        objet = "" if withheld else row.get("objet") or ""
        out.append(
            Grant(
                year=year,
                document=document,
                beneficiary=None if withheld else row.get("beneficiaire", "").strip(),
                nature=row.get("type_beneficiaire") or "",
                object=objet,
                amount=to_decimal(row.get("montant")),
                in_kind=row.get("nature_aide") == "nature",
            )
        )
    return out


def search(found: Sequence[Grant], query: str, year: int | None = None) -> list[Grant]:
    """Grants of ``year`` (None: every year) where every word of ``query`` is in the
    beneficiary's name or the object, ignoring case and accents; largest amount first
    (then by year, latest first, and name)."""
    words = fold(query).split()
    out = []
    for grant in found:
        if year is not None and grant.year != year:
            continue
        text = fold(f"{grant.beneficiary or ''} {grant.object}")
        if all(word in text for word in words):
            out.append(grant)
    return sorted(
        out,
        key=lambda g: (
            -(g.amount if g.amount is not None else Decimal("-Infinity")),
            -g.year,
            fold(g.beneficiary or "\uffff"),
        ),
    )


@dataclass(frozen=True)
class YearTotal:
    year: int
    count: int
    amount: Decimal


def totals_by_year(found: Iterable[Grant]) -> list[YearTotal]:
    """Count and amount of the grants of each year, latest year first."""
    years: dict[int, list[Grant]] = {}
    for grant in found:
        years.setdefault(grant.year, []).append(grant)
    return [
        YearTotal(year, len(items), sum((g.amount or Decimal(0) for g in items), Decimal(0)))
        for year, items in sorted(years.items(), reverse=True)
    ]
