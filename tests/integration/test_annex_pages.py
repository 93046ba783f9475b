"""Annex pages (subsidies, loans, staff) and key indicators of uploaded documents: the
figures shown are the core library's, search and sort work without JavaScript, downloads
hold exactly the rows shown, private datasets stay hidden, French first."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_currency, format_decimal
from bs4 import BeautifulSoup
from ckan import model
from ckan.cli.cli import ckan
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.docbudg import annex_tables
from ckanext.budget.docbudg.anonymisation import AnonymisationPolicy, anonymise
from ckanext.budget.docbudg.figures import analysis as indicators
from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.documents import model as db

from .budget_uploads import SAMPLES, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

MONTREUIL = "montreuil/Montreuil_CA_2018.xml.gz"
SAINT_MALO = "saint-malo/SaintMaloAgglo_transport_BP_2022.xml"


def core_tables(relative: str) -> dict[str, annex_tables.AnnexTable]:
    """What the core library builds from the sample, anonymised as the upload does."""
    doc = read_document(SAMPLES / relative)
    anonymise(doc, AnonymisationPolicy())
    return annex_tables.build(doc)


@pytest.fixture
def montreuil() -> tuple[dict[str, Any], dict[str, Any]]:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = upload_resource(dataset["id"], sample_bytes(MONTREUIL), "Montreuil_CA_2018.xml.gz")
    return dataset, resource


def annex_url(target: tuple, name: str, what: str = "", lang: str = "", **params: str) -> str:
    dataset, resource = target
    prefix = f"/{lang}" if lang else ""
    suffix = f"/{what}" if what else ""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return (
        f"{prefix}/dataset/{dataset['name']}/resource/{resource['id']}/budget/annexes/"
        f"{name}{suffix}?{query}"
    )


def view_url(target: tuple, lang: str = "") -> str:
    dataset, resource = target
    view = next(
        v
        for v in call_action("resource_view_list", id=resource["id"])
        if v["view_type"] == "budget_view"
    )
    prefix = f"/{lang}" if lang else ""
    return f"{prefix}/dataset/{dataset['name']}/resource/{resource['id']}?view_id={view['id']}"


def soup(app: Any, url: str, **kwargs: Any) -> BeautifulSoup:
    response = app.get(url, **kwargs)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def detail_rows(page: BeautifulSoup) -> list[dict[str, str]]:
    """The rows shown, by column key; money as its exact amount (``data-amount``)."""
    table = page.select_one("table.budget-annex-table")
    keys = [th["data-column"] for th in table.select("thead th")]
    return [
        {
            key: cell.get("data-amount", cell.get_text(strip=True))
            for key, cell in zip(keys, row.select("th, td"), strict=True)
        }
        for row in table.select("tbody tr")
    ]


def column_amounts(page: BeautifulSoup, key: str) -> list[Decimal]:
    return [Decimal(row[key]) for row in detail_rows(page) if row[key]]


def grand_total(page: BeautifulSoup) -> list[str]:
    footer = page.select_one("table.budget-annex-totals tfoot tr")
    return [cell.get("data-amount", cell.get_text(strip=True)) for cell in footer.select("td")]


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_indicators_under_the_big_numbers_are_the_core_ones_in_french(app: Any, montreuil):
    record = db.get_document(montreuil[1]["id"])
    expected = indicators.compute(read_document(SAMPLES / MONTREUIL))
    assert record.indicators == expected
    page = soup(app, view_url(montreuil, lang="fr"))
    section = page.select_one("section.budget-indicators")
    assert section.h3.get_text(strip=True) == "Indicateurs clés"
    shown = {
        dd["data-indicator"]: dd.select_one(".budget-indicator-value")
        for dd in section.select("dd[data-indicator]")
    }
    for key in indicators.AMOUNTS:
        assert shown[key]["data-amount"] == expected[key], key
        words = format_currency(Decimal(expected[key]), "EUR", locale="fr_FR")
        assert shown[key].get_text(strip=True) == words
    gross = section.select_one("dd[data-indicator=epargne_brute]").get_text(" ", strip=True)
    assert "174,25\xa0€ par habitant" in gross and "Définition" in gross
    assert shown["capacite_desendettement"].get_text(strip=True) == "11,4 ans"
    inhabitants = f"{format_decimal(107564, locale='fr_FR')} habitants"
    assert shown["population"].get_text(strip=True) == inhabitants
    terms = [dt.get_text(strip=True) for dt in section.select("dt")]
    assert "Épargne brute" in terms and "Capacité de désendettement" in terms
    links = page.select_one(".budget-annex-links")
    assert [a.get_text() for a in links.select("a")] == ["Subventions", "Dette", "Personnel"]


def test_subsidies_page_totals_search_sort_and_downloads(app: Any, montreuil) -> None:
    expected = core_tables(MONTREUIL)["concours"]
    spec = expected.spec
    page = soup(app, annex_url(montreuil, "concours"))
    shown = detail_rows(page)
    assert [row["montant"] for row in shown] == [r["montant"] for r in expected.rows[:100]]
    assert "objet" not in shown[0]  # the file gives no purpose: no empty column
    core_total = annex_tables.grand_total(spec, expected.rows).sums["montant"]
    assert grand_total(page) == ["275", core_total]
    by_type = {
        row.th.get_text(strip=True): row.select("td")[-1]["data-amount"]
        for row in page.select("table.budget-annex-totals tbody tr")
    }
    core_by_type = {
        t.group["type_beneficiaire"]: t.sums["montant"]
        for t in annex_tables.totals(spec, expected.rows)
    }
    assert by_type["Associations"] == core_by_type["P1"] == "4299154.00"

    # Accents and case do not matter; totals follow the search.
    found = soup(app, annex_url(montreuil, "concours", q="THÉÂTRE"))
    names = [row["beneficiaire"] for row in detail_rows(found)]
    assert names and all("THEATRE" in name for name in names)
    assert grand_total(found) == [
        str(len(names)),
        f"{sum(column_amounts(found, 'montant')):.2f}",
    ]

    ordered = soup(app, annex_url(montreuil, "concours", sort="montant", dir="desc"))
    amounts = column_amounts(ordered, "montant")
    assert amounts == sorted(amounts, reverse=True)
    assert amounts[0] == max(Decimal(r["montant"]) for r in expected.rows)
    header = ordered.select_one("table.budget-annex-table thead th[data-column=montant]")
    assert header["aria-sort"] == "descending" and "dir=asc" in header.a["href"]

    params = {"q": "association", "sort": "montant", "dir": "desc"}
    shown = [
        (row["beneficiaire"], row["montant"])
        for row in detail_rows(soup(app, annex_url(montreuil, "concours", page="1", **params)))
    ]
    response = app.get(annex_url(montreuil, "concours", "data.csv", **params))
    assert response.headers["Content-Type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["beneficiaire"].strip(), r["montant"]) for r in exported][:100] == shown
    body = app.get(annex_url(montreuil, "concours", "data.json", **params)).json
    assert [(r["beneficiaire"], r["montant"]) for r in body["lignes"]] == [
        (r["beneficiaire"], r["montant"]) for r in exported
    ]
    assert Decimal(body["total"]["montant"]) == sum(Decimal(r["montant"]) for r in exported)


def test_loans_page_pages_and_totals_by_type(app: Any, montreuil) -> None:
    record = db.get_document(montreuil[1]["id"])
    page = soup(app, annex_url(montreuil, "emprunt", page="11"))
    assert len(detail_rows(page)) == 82  # 1,082 loans, 100 a page
    assert "Page 11 of 11" in page.select_one("nav.budget-annex-pages").get_text()
    totals = {
        row.th.get_text(strip=True): [td.get("data-amount") for td in row.select("td")]
        for row in page.select("table.budget-annex-totals tbody tr")
    }
    # The authority's own loans: capital owed at 31/12 is the indicator's debt; the
    # capital of the year, what the indicators count as repaid.
    own = totals["Loan of the authority"]
    assert own[2] == record.indicators["encours_dette"]
    assert own[3] == record.indicators["remboursement_capital"]
    assert totals["Guaranteed loan"][2] == "538210092.03"
    exported = app.get(annex_url(montreuil, "emprunt", "data.csv")).get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(exported)))) == 1082


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_staff_page_counts_posts_by_status_and_category(app: Any, montreuil) -> None:
    expected = core_tables(MONTREUIL)["personnel"]
    page = soup(app, annex_url(montreuil, "personnel", lang="fr"))
    assert page.h1.get_text(strip=True) == "Effectifs du personnel"
    groups = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
        for row in page.select("table.budget-annex-totals tbody tr")
    }
    core = {
        (t.group["statut"], t.group["categorie"]): t.sums
        for t in annex_tables.totals(expected.spec, expected.rows)
    }
    for (status, category), label in (
        (("I", "C"), "Titulaire — Catégorie C"),
        (("N", "A"), "Non titulaire — Catégorie A"),
    ):
        budgeted, filled = (
            Decimal(core[(status, category)][k]) for k in ("effectif_budgetaire", "effectif_pourvu")
        )
        assert groups[label][:2] == [
            format_decimal(budgeted, locale="fr_FR"),
            format_decimal(filled, locale="fr_FR"),
        ]
    assert core[("I", "C")]["effectif_budgetaire"] == "1423.2"
    headers = [
        th.get_text(strip=True) for th in page.select("table.budget-annex-table th[scope=col]")
    ]
    assert headers[:4] == ["Statut", "Catégorie", "Filière", "Emploi ou grade"]
    assert page.select_one("table.budget-annex-table caption") is not None


def test_links_only_for_the_annexes_a_document_has(app: Any) -> None:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = upload_resource(dataset["id"], sample_bytes(SAINT_MALO), "transport.xml")
    target = (dataset, resource)
    page = soup(app, view_url(target))
    links = page.select_one(".budget-annex-links")
    assert [a.get_text() for a in links.select("a")] == ["Debt", "Staff"]
    assert app.get(annex_url(target, "concours")).status_code == 404
    assert app.get(annex_url(target, "nothing")).status_code == 404
    # No population in a budget annexe: no per-inhabitant amount.
    section = page.select_one("section.budget-indicators")
    assert section.select(".budget-indicator-per-inhabitant") == []


def test_embed_has_no_portal_chrome_and_keeps_its_links(app: Any, montreuil) -> None:
    page = soup(app, annex_url(montreuil, "concours", "embed", sort="beneficiaire"))
    assert page.select_one("header") is None and page.select_one("footer") is None
    assert not page.select("link[href^='http'], script[src^='http']")
    sheets = [link["href"] for link in page.select("link[rel=stylesheet]")]
    assert "explorer.css" in sheets[0] and sheets[1].endswith("/ckanext-budget/embed.css")
    assert all(app.get(sheet).status_code == 200 for sheet in sheets)
    sort_link = page.select("table.budget-annex-table thead th a")[0]["href"]
    assert "/budget/annexes/concours/embed" in sort_link
    assert page.select_one("form[role=search]")["action"].endswith("/concours/embed")


def test_private_dataset_is_hidden_from_outsiders(app: Any) -> None:
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"], private=True)
    resource = upload_resource(dataset["id"], sample_bytes(SAINT_MALO), "transport.xml")
    target = (dataset, resource)
    for what in ("", "embed", "data.csv", "data.json"):
        assert app.get(annex_url(target, "emprunt", what)).status_code == 404, what
    sysadmin = factories.SysadminWithToken()
    headers = {"Authorization": sysadmin["token"]}
    assert app.get(annex_url(target, "emprunt"), headers=headers).status_code == 200


def test_documents_processed_before_the_indicators_are_filled_by_reprocess(
    app: Any, cli: Any
) -> None:
    sysadmin = factories.SysadminWithToken()
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = upload_resource(dataset["id"], sample_bytes(SAINT_MALO), "transport.xml")
    target = (dataset, resource)
    record = db.get_document(resource["id"])
    computed = record.indicators
    record.indicators = None
    model.Session.query(db.BudgetExportRecord).filter(
        db.BudgetExportRecord.resource_id == resource["id"],
        db.BudgetExportRecord.name.like("annexe-%"),
    ).delete(synchronize_session=False)
    model.Session.commit()

    headers = {"Authorization": sysadmin["token"]}
    editor_view = soup(app, view_url(target), headers=headers)
    assert editor_view.select_one(".budget-indicators-missing form") is not None
    anonymous_view = soup(app, view_url(target))
    assert anonymous_view.select_one(".budget-indicators-missing") is None
    assert anonymous_view.select_one("section.budget-indicators") is None
    waiting = soup(app, annex_url(target, "emprunt"), headers=headers)
    assert waiting.select_one("table.budget-annex-table") is None
    assert waiting.select_one("form[action$='/reprocess']") is not None

    result = cli.invoke(ckan, ["budget", "reprocess", resource["id"], "--sync"])
    assert result.exit_code == 0, result.output
    model.Session.expire_all()
    assert db.get_document(resource["id"]).indicators == computed
    assert soup(app, annex_url(target, "emprunt")).select_one("table.budget-annex-table")
