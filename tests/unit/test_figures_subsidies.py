"""Subsidies searched across years: natural persons withheld and never searchable,
accent-insensitive search, year filter, largest first, totals per year."""

from __future__ import annotations

from decimal import Decimal

from ckanext.budget.docbudg.figures import subsidies

REPLACEMENTS = ("Occultation Article L311-7 CRPA", "Nom anonymisé")


def row(name: str, code: str, objet: str, amount: str) -> dict[str, str]:
    return {
        "beneficiaire": name,
        "type_beneficiaire": code,
        "objet": objet,
        "nature_aide": "numeraire",
        "montant": amount,
    }


ROWS_2020 = [
    row("Association des Écoles", "P1", "Fête de l'école", "1500.00"),
    row("DURANDEAU Gérald", "P3", "Bourse DURANDEAU", "150.00"),  # never anonymised: still P3
    row("Occultation Article L311-7 CRPA", "", "Occultation Article L311-7 CRPA", "80.00"),
    row("Club nautique", "P1", "Régates", "900.00"),
]
ROWS_2021 = [row("Association des écoles", "P1", "Classe de mer", "2000.00")]


def everything() -> list[subsidies.Grant]:
    return subsidies.grants(ROWS_2020, 2020, "r20", REPLACEMENTS) + subsidies.grants(
        ROWS_2021, 2021, "r21", REPLACEMENTS
    )


def test_persons_are_withheld_and_cannot_be_found() -> None:
    found = everything()
    withheld = [g for g in found if g.beneficiary is None]
    assert [g.amount for g in withheld] == [Decimal("150.00"), Decimal("80.00")]
    assert all(g.object == "" for g in withheld)
    assert subsidies.search(found, "durandeau") == []
    assert subsidies.search(found, "occultation") == []


def test_search_ignores_accents_and_case_and_sorts_by_amount() -> None:
    found = subsidies.search(everything(), "ecoles")
    assert [(g.year, g.amount) for g in found] == [
        (2021, Decimal("2000.00")),
        (2020, Decimal("1500.00")),
    ]
    assert [g.amount for g in subsidies.search(everything(), "RÉGATES")] == [Decimal("900.00")]
    assert [g.year for g in subsidies.search(everything(), "", 2021)] == [2021]
    amounts = [g.amount for g in subsidies.search(everything(), "")]
    assert amounts == sorted(amounts, reverse=True)


def test_totals_per_year() -> None:
    totals = subsidies.totals_by_year(everything())
    assert [(t.year, t.count, t.amount) for t in totals] == [
        (2021, 1, Decimal("2000.00")),
        (2020, 4, Decimal("2630.00")),
    ]
