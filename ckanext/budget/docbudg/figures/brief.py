"""« Le budget en bref »: a year's budget as a citizen first reads it.

From the stored financial analysis of the document that stands for the year
(:mod:`.analysis`: its big numbers, savings and debt, its groups of :mod:`.groups`) and of
the previous year's document of the same kind (realised against realised, voted against
voted), this module says:

- the big numbers with their change against the previous year and per inhabitant (the
  document's own population, ``PopTot``; unknown for budgets annexes);
- the key indicators, each in one plain sentence;
- where the money comes from and where it goes (:func:`.groups.stored_groups`), and
  the same groups of every year as rows (:func:`group_lines`, the data behind the donuts).

Nothing is computed from the document here: only what processing stored is read, so a
page shows the same figures as the analysis. Amounts are formatted by the caller
(``money``, ``percent``: the CKAN layer's Babel formatter), the words are the core's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import conventions
from ..messages import Message
from . import analysis
from .groups import RECEIPTS, SPENDING, Groups, stored_groups

CENT = Decimal("0.01")

FIGURES = (
    ("recettes_fonctionnement", "RF"),
    ("depenses_fonctionnement", "DF"),
    ("recettes_investissement", "RI"),
    ("depenses_investissement", "DI"),
    ("epargne_brute", None),
    ("encours_dette", None),
)
"""The big numbers, in the order shown: the four of every page, then savings and debt."""

LABELS = {
    "recettes_fonctionnement": Message("Recettes de fonctionnement", "Operating receipts"),
    "depenses_fonctionnement": Message("Dépenses de fonctionnement", "Operating spending"),
    "recettes_investissement": Message("Recettes d'investissement", "Capital receipts"),
    "depenses_investissement": Message("Dépenses d'investissement", "Capital spending"),
}


@dataclass(frozen=True)
class Figure:
    """A big number with its change and its amount per inhabitant."""

    key: str
    label: str
    definition: str
    amount: Decimal | None
    previous: Decimal | None
    """The previous year's, same kind; None without one."""
    change: Decimal | None
    """(amount − previous) ÷ |previous|; None without a previous amount, or when it is 0."""
    per_inhabitant: Decimal | None
    reason: str | None = None
    """Why ``amount`` is None."""


@dataclass(frozen=True)
class Brief:
    figures: list[Figure]
    population: int | None
    population_note: str
    """Where the population comes from, or why it is unknown."""
    sentences: list[tuple[str, str]]
    """(indicator key, sentence): the key indicators in plain words."""
    groups: Groups | None
    realised: bool


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _amount(stored: Mapping[str, Any] | None, key: str) -> Decimal | None:
    if not stored:
        return None
    if key in analysis.BIG_NUMBERS:
        return _decimal((stored.get("grands_chiffres") or {}).get(key))
    return _decimal(stored.get(key))


def _change(amount: Decimal | None, previous: Decimal | None) -> Decimal | None:
    if amount is None or previous is None or not previous:
        return None
    return (amount - previous) / abs(previous)


def _definition(key: str, code: str | None, lang: str) -> str:
    if code is not None:
        return conventions.DEFINITIONS[code].text(lang)
    return analysis.DEFINITIONS[key].text(lang)


def _label(key: str, lang: str) -> str:
    return (LABELS.get(key) or analysis.LABELS[key]).text(lang)


POPULATION_KNOWN = Message(
    "Population du document : {population} habitants (PopTot).",
    "Population given in the document: {population} inhabitants (PopTot).",
)
POPULATION_UNKNOWN = Message(
    "Montants par habitant inconnus : {reason}.",
    "Amounts per inhabitant unknown: {reason}.",
)

SAVINGS = Message(
    "Le fonctionnement dégage une épargne brute de {amount}, soit {rate} des recettes de "
    "fonctionnement (taux d'épargne) : c'est ce qui reste, une fois les dépenses "
    "courantes payées, pour rembourser la dette et investir.",
    "Day-to-day operations leave gross savings of {amount}, {rate} of operating receipts "
    "(savings rate): what is left, once running costs are paid, to repay the debt and "
    "invest.",
)
NO_SAVINGS = Message(
    "Les dépenses de fonctionnement dépassent les recettes de fonctionnement de {amount} : "
    "l'épargne brute est négative, rien ne reste pour rembourser la dette ou investir.",
    "Operating spending exceeds operating receipts by {amount}: gross savings are negative, "
    "nothing is left to repay the debt or invest.",
)
NET_SAVINGS = Message(
    "Après le remboursement de {capital} de capital de la dette, il reste {amount} "
    "d'épargne nette pour investir sans emprunter.",
    "After repaying {capital} of debt capital, {amount} of net savings are left to invest "
    "without borrowing.",
)
NEGATIVE_NET_SAVINGS = Message(
    "Le remboursement de {capital} de capital de la dette dépasse l'épargne brute : "
    "l'épargne nette est négative ({amount}).",
    "Repaying {capital} of debt capital exceeds gross savings: net savings are negative "
    "({amount}).",
)
CAPACITY = Message(
    "Capacité de désendettement : il faudrait {years} ans d'épargne brute pour rembourser "
    "toute la dette ({debt} au 31 décembre).",
    "Debt repayment capacity: it would take {years} years of gross savings to repay the "
    "whole debt ({debt} at 31 December).",
)
NO_CAPACITY = Message(
    "Capacité de désendettement non calculée : {reason}.",
    "Debt repayment capacity not computed: {reason}.",
)
EQUIPMENT = Message(
    "Les dépenses d'équipement atteignent {amount} ; les emprunts nouveaux {borrowed}.",
    "Capital expenditure amounts to {amount}; new borrowing to {borrowed}.",
)


def _sentences(
    stored: Mapping[str, Any],
    lang: str,
    money: Callable[[Decimal], str],
    percent: Callable[[Decimal], str],
    number: Callable[[Decimal | int], str],
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    gross, rrf = _amount(stored, "epargne_brute"), _amount(stored, "rrf")
    if gross is not None:
        if gross >= 0:
            rate = percent(gross / rrf) if rrf else "—"
            out.append(
                ("epargne_brute", SAVINGS.with_params(amount=money(gross), rate=rate).text(lang))
            )
        else:
            out.append(("epargne_brute", NO_SAVINGS.with_params(amount=money(-gross)).text(lang)))
    net, capital = _amount(stored, "epargne_nette"), _amount(stored, "remboursement_capital")
    if net is not None and capital is not None:
        found = NET_SAVINGS if net >= 0 else NEGATIVE_NET_SAVINGS
        out.append(
            (
                "epargne_nette",
                found.with_params(amount=money(net), capital=money(capital)).text(lang),
            )
        )
    years, debt = _decimal(stored.get("capacite_desendettement")), _amount(stored, "encours_dette")
    if years is not None and debt is not None:
        out.append(
            (
                "capacite_desendettement",
                CAPACITY.with_params(years=number(years), debt=money(debt)).text(lang),
            )
        )
    else:
        reason = analysis.reasons(stored, lang).get("capacite_desendettement")
        if reason:
            out.append(
                ("capacite_desendettement", NO_CAPACITY.with_params(reason=reason).text(lang))
            )
    equipment, borrowed = (
        _amount(stored, "depenses_equipement"),
        _amount(stored, "emprunts_nouveaux"),
    )
    if equipment is not None and borrowed is not None:
        out.append(
            (
                "depenses_equipement",
                EQUIPMENT.with_params(amount=money(equipment), borrowed=money(borrowed)).text(lang),
            )
        )
    return out


def brief(
    stored: Mapping[str, Any] | None,
    previous: Mapping[str, Any] | None,
    lang: str,
    money: Callable[[Decimal], str],
    percent: Callable[[Decimal], str],
    number: Callable[[Decimal | int], str] = str,
) -> Brief | None:
    """The year in brief from its stored analysis (``stored``; None, or of another
    version: not computed yet) against the previous year's of the same kind."""
    if not stored or stored.get("version") != analysis.VERSION:
        return None
    if previous and previous.get("version") != analysis.VERSION:
        previous = None
    population = stored.get("population")
    reasons = analysis.reasons(stored, lang)
    figures = []
    for key, code in FIGURES:
        amount = _amount(stored, key)
        before = _amount(previous, key)
        per_head = (
            (amount / population).quantize(CENT, rounding=ROUND_HALF_UP)
            if amount is not None and population
            else None
        )
        figures.append(
            Figure(
                key=key,
                label=_label(key, lang),
                definition=_definition(key, code, lang),
                amount=amount,
                previous=before,
                change=_change(amount, before),
                per_inhabitant=per_head,
                reason=reasons.get(key),
            )
        )
    if population:
        note = POPULATION_KNOWN.with_params(population=number(population)).text(lang)
    else:
        note = POPULATION_UNKNOWN.with_params(
            reason=reasons.get("population") or analysis.REASONS["sans_population"].text(lang)
        ).text(lang)
    return Brief(
        figures=figures,
        population=population or None,
        population_note=note,
        sentences=_sentences(stored, lang, money, percent, number),
        groups=stored_groups(stored, lang),
        realised=stored.get("nature") != analysis.FORECAST,
    )


@dataclass(frozen=True)
class GroupLine:
    """One group of a year's « D'où vient l'argent » / « Où va l'argent », as a row of
    the data behind the donuts (a journalist downloads every year at once)."""

    year: int
    kind: str
    """``realised`` or ``voted``, like the brief's comparison."""
    side: str
    """``recettes`` or ``depenses``."""
    basis: str
    """``nature`` or ``fonction``: how that side is grouped (spending by public policy
    when the document votes by function, as the page shows it)."""
    key: str
    label: str
    amount: Decimal
    share: Decimal | None
    """Of the side's total, the year's receipts (RF + RI) or spending (DF + DI)."""


def group_lines(
    year: int, kind: str, stored: Mapping[str, Any] | None, lang: str
) -> list[GroupLine]:
    """The groups the brief of that year and kind shows (none when its analysis is not
    stored in the current version, as :func:`brief` would show none), receipts first."""
    if not stored or stored.get("version") != analysis.VERSION:
        return []
    groups = stored_groups(stored, lang)
    if groups is None:
        return []
    sides = (
        (RECEIPTS, "nature", groups.receipts),
        (SPENDING, "fonction" if groups.by_function else "nature", groups.spending),
    )
    return [
        GroupLine(year, kind, side, basis, g.key, g.label, g.amount, g.share)
        for side, basis, shares in sides
        for g in shares
    ]
