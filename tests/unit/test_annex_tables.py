"""Annex tables (subsidies, loans, staff) from the real samples: every figure checked
against the XML read independently; search, sort, totals and the CSV round trip."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg import annex_tables as tables
from ckanext.budget.docbudg.anonymisation import AnonymisationPolicy, anonymise
from ckanext.budget.docbudg.anonymisation.policy import DEFAULT_REPLACEMENT, KNOWN_REPLACEMENTS
from ckanext.budget.docbudg.figures import analysis as indicators
from ckanext.budget.docbudg.model import BudgetDocument, q
from ckanext.budget.docbudg.reader import read_document
from tests.fixtures.privacy import SAMPLE_PERSON_NAMES

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
MONTREUIL_2018 = SAMPLES / "montreuil/Montreuil_CA_2018.xml.gz"
MONTREUIL_2017 = SAMPLES / "montreuil/Montreuil_CA_2017.xml.gz"
MOHON = SAMPLES / "mohon/Mohon_CFU_2023.xml.gz"
SAINT_MALO = SAMPLES / "saint-malo/SaintMaloAgglo_transport_BP_2022.xml"


def published(path: Path) -> BudgetDocument:
    """The document as the portal stores it: anonymised."""
    doc = read_document(path)
    anonymise(doc, AnonymisationPolicy())
    return doc


@pytest.fixture(scope="module")
def montreuil() -> BudgetDocument:
    return published(MONTREUIL_2018)


@pytest.fixture(scope="module")
def montreuil_tables(montreuil) -> dict[str, tables.AnnexTable]:
    return tables.build(montreuil)


def raw_values(doc: BudgetDocument, record: str, field: str) -> list[str]:
    """Values straight from the XML elements, not through ``annex_records``."""
    return [
        el.find(q(field)).get("V")
        for el in doc.annexes.iter(q(record))
        if el.find(q(field)) is not None
    ]


def test_subsidies_total_and_totals_by_beneficiary_type(montreuil, montreuil_tables) -> None:
    table = montreuil_tables["concours"]
    amounts = [Decimal(v) for v in raw_values(montreuil, "CONCOURS", "MtSubv")]
    assert len(table.rows) == len(amounts) == 275
    grand = tables.grand_total(table.spec, table.rows)
    assert grand.sums["montant"] == f"{sum(amounts):.2f}" == "10887210.80"
    by_type = {t.group["type_beneficiaire"]: t for t in tables.totals(table.spec, table.rows)}
    assert (by_type["P1"].count, by_type["P1"].sums["montant"]) == (193, "4299154.00")
    assert by_type["U4"].sums["montant"] == "5586605.00"
    assert sum(t.count for t in by_type.values()) == 275
    column = table.spec.column("type_beneficiaire")
    assert column.words("P1", "fr") == "Associations" and column.words("", "en") == "Not given"


def test_subsidies_show_help_in_kind_and_no_natural_person(montreuil_tables) -> None:
    rows = montreuil_tables["concours"].rows
    in_kind = [r for r in rows if r["nature_aide"] == "nature"]
    assert in_kind and all(r["prestation"] == "MAD Personnel" for r in in_kind)
    persons = [r for r in rows if r["type_beneficiaire"] == "P3"]
    # Montreuil published its file already anonymised, with an older replacement text.
    assert len(persons) == 7 and {r["beneficiaire"] for r in persons} <= set(KNOWN_REPLACEMENTS)
    mohon = tables.build(published(MOHON))["concours"].rows
    # 8 subsidies to 7 natural persons, and 1 to an organisation the classifier doubts.
    assert sum(r["beneficiaire"] == DEFAULT_REPLACEMENT for r in mohon) == 9
    text = tables.to_csv(tables.CONCOURS, mohon).decode("utf-8")
    assert not [name for name in SAMPLE_PERSON_NAMES if name in text]


def test_loans_are_the_authoritys_and_the_guaranteed_ones(montreuil, montreuil_tables) -> None:
    table = montreuil_tables["emprunt"]
    kinds = raw_values(montreuil, "EMPRUNT", "CodTypEmpr")
    assert kinds.count("01") == 90 and kinds.count("09") == 992 and kinds.count("10") == 1
    assert len(table.rows) == 1082
    by_type = {t.group["type"]: t.sums for t in tables.totals(table.spec, table.rows)}
    own_debt = indicators.compute(montreuil)["encours_dette"]
    assert by_type["01"]["capital_restant_du"] == own_debt == "213319297.47"
    assert by_type["01"]["capital_exercice"] == "22859525.86"
    assert by_type["09"]["capital_restant_du"] == "538210092.03"
    guaranteed = next(r for r in table.rows if r["type"] == "09")
    assert (
        guaranteed["beneficiaire"]
        and not next(r for r in table.rows if r["type"] == "01")["beneficiaire"]
    )


def test_renegotiated_loans_are_not_listed_twice() -> None:
    doc = published(MONTREUIL_2017)
    kinds = raw_values(doc, "EMPRUNT", "CodTypEmpr")
    rows = tables.build(doc)["emprunt"].rows
    assert kinds.count("05") == 10 and kinds.count("06") == 11
    assert len(rows) == kinds.count("01") + kinds.count("09")


def test_staff_posts_by_status_and_category(montreuil, montreuil_tables) -> None:
    budgeted: dict[tuple[str, str], Decimal] = {}
    for el in montreuil.annexes.iter(q("PERSONNEL")):
        key = (el.find(q("CodTypAgent")).get("V"), el.find(q("CodCatAgent")).get("V"))
        budgeted[key] = budgeted.get(key, Decimal(0)) + Decimal(el.find(q("EffectifBud")).get("V"))
    table = montreuil_tables["personnel"]
    totals = {
        (t.group["statut"], t.group["categorie"]): t.sums
        for t in tables.totals(table.spec, table.rows)
    }
    assert {key: Decimal(s["effectif_budgetaire"]) for key, s in totals.items()} == budgeted
    assert totals[("I", "C")]["effectif_budgetaire"] == "1423.2"
    assert totals[("N", "A")]["effectif_pourvu"] == "111.74"
    assert tables.grand_total(table.spec, table.rows).sums["effectif_budgetaire"] == "2299.2"
    header = tables.csv_fields(table.spec)
    assert "RemunAgent" not in header and not any("remun" in h for h in header)


def test_staff_counts_missing_from_the_annex_stay_unknown() -> None:
    table = tables.build(published(SAINT_MALO))["personnel"]
    totals = {
        (t.group["statut"], t.group["categorie"]): t.sums
        for t in tables.totals(table.spec, table.rows)
    }
    assert totals[("N", "A")]["effectif_budgetaire"] == ""  # not given, not zero
    assert totals[("I", "A")]["effectif_budgetaire"] == "2"


def test_only_annexes_with_records_give_a_table() -> None:
    assert set(tables.build(published(SAINT_MALO))) == {"emprunt", "personnel"}
    assert tables.build(read_document(SAMPLES / "montreuil/Montreuil_CA_2016.xml.gz")) == {}


def test_csv_round_trip_and_words_of_the_codes(montreuil_tables) -> None:
    for name, table in montreuil_tables.items():
        data = tables.to_csv(table.spec, table.rows)
        assert tables.from_csv(name, data).rows == table.rows
    data = tables.to_csv(tables.CONCOURS, montreuil_tables["concours"].rows[:3], "en")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [r["type_beneficiaire_libelle"] for r in rows] == [
        "Associations",
        "Associations",
        "Companies",
    ]
    assert rows[0]["section"] == rows[0]["section_libelle"] == ""


def test_search_ignores_accents_and_case_and_needs_every_word(montreuil_tables) -> None:
    rows = montreuil_tables["concours"].rows
    found = tables.search(tables.CONCOURS, rows, "théâtre Montreuil")
    assert [r["beneficiaire"] for r in found] == ["NOUVEAU THEATRE DE MONTREUIL (CDN)"]
    oeuvres = tables.search(tables.CONCOURS, rows, "œuvres")
    assert [r["beneficiaire"] for r in oeuvres] == ["COMITE DES ŒUVRES SOCIALES (COS)"]
    public = tables.search(tables.CONCOURS, rows, "etablissements publics")
    assert len(public) == 7 and {r["type_beneficiaire"] for r in public} == {"U4"}
    assert tables.search(tables.CONCOURS, rows, "  ") == rows


def test_sort_by_amount_and_by_words_with_empty_cells_last(montreuil_tables) -> None:
    rows = montreuil_tables["concours"].rows
    biggest = tables.sort(tables.CONCOURS, rows, "montant", True, "fr")
    amounts = [Decimal(r["montant"]) for r in biggest]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] == Decimal("1600000.00")
    loans = montreuil_tables["emprunt"].rows
    for descending in (False, True):
        by_object = tables.sort(tables.EMPRUNT, loans, "objet", descending, "fr")
        filled = [r["objet"] for r in by_object if r["objet"]]
        assert by_object[len(filled) :] and not any(r["objet"] for r in by_object[len(filled) :])
        folded = [tables.fold(text) for text in filled]
        assert folded == sorted(folded, reverse=descending)
    assert tables.sort(tables.EMPRUNT, loans, "unknown", False, "fr") == loans


def test_totals_follow_the_rows_given(montreuil_tables) -> None:
    rows = tables.search(tables.CONCOURS, montreuil_tables["concours"].rows, "sportive")
    total = tables.grand_total(tables.CONCOURS, rows)
    assert total.count == len(rows) > 0
    assert Decimal(total.sums["montant"]) == sum(Decimal(r["montant"]) for r in rows)
