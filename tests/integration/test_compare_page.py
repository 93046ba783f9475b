"""The comparison page: budget documents side by side, equal to their stored aggregations
to the cent, per inhabitant from the population they declare, drill-down, the GET form to
choose them, exports equal to the table, the embeddable variant, and only documents the
user may see."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from babel.numbers import format_currency
from bs4 import BeautifulSoup
from ckan.tests import factories

from ckanext.budget.documents import model as db

from .budget_pages import budget_dataset, children_amounts, stored_node

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def documents() -> dict[str, db.BudgetDocumentRecord]:
    """Montreuil's accounts 2018 and 2019 and Crach's 2021 account, in two datasets."""
    montreuil = budget_dataset(
        "montreuil-budget-principal",
        ("montreuil/Montreuil_CA_2018.xml.gz", "montreuil/Montreuil_CA_2019.xml.gz"),
        title="Montreuil — budget principal",
    )
    crach = budget_dataset(
        "crach-budget-principal", ("crach/Crach_principal_CA_2021.xml",), title="Crach"
    )
    found = {f"montreuil-{d.exercice}": d for d in db.documents_for_package(montreuil["id"])}
    found["crach-2021"] = db.documents_for_package(crach["id"])[0]
    return found


def compare_url(ids: list[str], what: str = "", lang: str = "", **params: str) -> str:
    query = "&".join([*(f"doc={i}" for i in ids), *(f"{k}={v}" for k, v in params.items())])
    prefix = f"/{lang}" if lang else ""
    suffix = f"/{what}" if what else ""
    return f"{prefix}/budget/compare{suffix}?{query}"


def soup(app: Any, url: str) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def cell(row: Any, resource_id: str) -> Any:
    return row.select_one(f"td[data-resource='{resource_id}']")


def test_years_side_by_side_equal_their_stored_aggregations(app: Any, documents) -> None:
    ids = [documents["montreuil-2018"].resource_id, documents["montreuil-2019"].resource_id]
    page = soup(app, compare_url(ids, tree="chapitre", node="DF"))
    headings = [li.get_text(" ", strip=True) for li in page.select("#budget-compare-documents li")]
    assert headings[0].startswith("Montreuil — budget principal — Administrative account 2018")
    assert headings[1].startswith("Montreuil — budget principal — Administrative account 2019")

    table = page.select_one("table.budget-compare-table")
    rows = {tr["data-id"]: tr for tr in table.select("tbody tr")}
    stored = [children_amounts(resource_id, "chapitre", "DF") for resource_id in ids]
    assert set(rows) == {k for k in stored[0] if stored[0][k] or stored[1].get(k)}
    for resource_id, amounts, record in zip(
        ids, stored, (documents["montreuil-2018"], documents["montreuil-2019"]), strict=True
    ):
        population = record.indicators["population"]
        assert population > 100_000
        for part_id, tr in rows.items():
            amount = cell(tr, resource_id)
            assert Decimal(amount["data-amount"]) == amounts[part_id]
            per_head = (amounts[part_id] / population).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            expected = format_currency(per_head, "EUR", locale="en_GB")
            assert amount.find_next_sibling("td").get_text(strip=True) == expected
    totals = [Decimal(td["data-amount"]) for td in table.select("tfoot td[data-amount]")]
    assert totals == [stored_node(i, "chapitre", "DF").amount for i in ids]


def test_drill_down_keeps_the_documents(app: Any, documents) -> None:
    ids = [documents["montreuil-2019"].resource_id, documents["crach-2021"].resource_id]
    page = soup(app, compare_url(ids))
    root = page.select_one("#budget-compare")
    assert (root["data-tree"], root["data-node"]) == ("fonction", "")
    trees = [a["data-tree"] for a in page.select("#budget-tree-nav a")]
    assert trees == ["fonction", "chapitre"]
    chapters = soup(app, page.select_one("#budget-tree-nav a[data-tree='chapitre']")["href"])
    receipts = chapters.select_one("table.budget-compare-table tr[data-id='R'] th a")
    down = soup(app, receipts["href"])
    root = down.select_one("#budget-compare")
    assert (root["data-tree"], root["data-node"]) == ("chapitre", "R")
    shown = [li["data-resource"] for li in down.select("#budget-compare-documents li")]
    assert shown == ids
    for resource_id in ids:
        for part_id, amount in children_amounts(resource_id, "chapitre", "R").items():
            tr = down.select_one(f"table.budget-compare-table tr[data-id='{part_id}']")
            assert Decimal(cell(tr, resource_id)["data-amount"]) == amount


def test_csv_and_json_equal_the_tables(app: Any, documents) -> None:
    ids = [documents["montreuil-2018"].resource_id, documents["crach-2021"].resource_id]
    page = soup(app, compare_url(ids, tree="chapitre", node="RF"))
    for table, css in (("totals", "budget-compare-totals"), ("categories", "budget-compare-table")):
        rows = page.select(f"table.{css} tbody tr")
        shown = [
            [
                Decimal(cell(tr, i)["data-amount"]) if cell(tr, i).has_attr("data-amount") else None
                for i in ids
            ]
            for tr in rows
        ]
        assert shown and any(any(amounts) for amounts in shown)
        links = page.select_one(f".budget-explorer-exports[data-table='{table}']")
        response = app.get(links.select_one("a.budget-export-csv")["href"])
        exported = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        body = app.get(links.select_one("a.budget-export-json")["href"]).json
        assert body["lignes"] == exported and body["documents"] == ids
        assert [row["id"] for row in exported] == [tr["data-id"] for tr in rows]
        columns = body["colonnes"]
        if table == "totals":  # each big number says what it counts
            assert columns[-1] == "definition" and "775" in exported[0]["definition"]
            columns = columns[:-1]
        amount_columns = columns[2::2]
        assert [
            [Decimal(row[c]) if row[c] else None for c in amount_columns] for row in exported
        ] == shown, table


def test_documents_the_user_may_not_see_are_refused(app: Any, documents) -> None:
    member = factories.UserWithToken()
    outsider = factories.UserWithToken()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    private = budget_dataset(
        "secret-budget", ("crach/Crach_principal_BP_2022.xml",), org=org, private=True
    )
    secret = db.documents_for_package(private["id"])[0].resource_id
    ids = [documents["montreuil-2019"].resource_id, secret]
    for what in ("", "embed", "data.csv", "data.json"):
        url = compare_url(ids, what)
        assert app.get(url).status_code == 404, url
        assert app.get(url, headers={"Authorization": outsider["token"]}).status_code == 404
        assert app.get(url, headers={"Authorization": member["token"]}).status_code == 200
    assert (
        app.get(compare_url([documents["montreuil-2019"].resource_id, "nope"])).status_code == 404
    )

    offered = soup(app, "/budget/compare").select("#budget-compare-choose input[name=doc]")
    assert secret not in {box["value"] for box in offered}
    response = app.get("/budget/compare", headers={"Authorization": member["token"]})
    member_form = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert secret in {box["value"] for box in member_form.select("input[name=doc]")}


def test_the_get_form_offers_documents_and_keeps_the_choice(app: Any, documents) -> None:
    empty = soup(app, "/budget/compare")
    assert empty.select_one("#budget-compare-empty") is not None
    form = empty.select_one("form#budget-compare-choose")
    assert form["method"] == "get"
    boxes = {box["value"]: box for box in form.select("input[type=checkbox][name=doc]")}
    assert set(boxes) == {d.resource_id for d in documents.values()}
    assert all(empty.select_one(f"label[for='{box['id']}']") for box in boxes.values())

    chosen = [documents["montreuil-2018"].resource_id, documents["crach-2021"].resource_id]
    page = soup(app, compare_url(chosen, q="crach"))
    form = page.select_one("form#budget-compare-choose")
    checked = {box["value"] for box in form.select("input[name=doc][checked]")}
    assert checked == set(chosen)
    offered = {box["value"] for box in form.select("input[name=doc]")}
    # "crach" matches Crach only; Montreuil stays offered because one of its documents is chosen.
    assert documents["montreuil-2019"].resource_id in offered
    search = page.select_one("form#budget-compare-search")
    assert {i["value"] for i in search.select("input[type=hidden][name=doc]")} == set(chosen)


def test_embed_has_no_portal_chrome_and_the_page_offers_its_code(app: Any, documents) -> None:
    ids = [documents["montreuil-2018"].resource_id, documents["montreuil-2019"].resource_id]
    page = soup(app, compare_url(ids, tree="chapitre"))
    code = page.select_one("#budget-compare-embed-code").get_text()
    assert code.startswith("<iframe src=") and "/budget/compare/embed?" in code
    assert all(f"doc={i}" in code for i in ids) and "tree=chapitre" in code
    embed = soup(app, compare_url(ids, "embed", tree="chapitre"))
    assert embed.select_one("header") is None and embed.select_one("footer") is None
    assert embed.select_one("#budget-compare-chart svg[role=img]") is not None
    assert embed.select_one("form") is None
    assert not embed.select("script[src^='http'], link[href^='http']")
    # Its one script only tells the host page its height (the embed code sizes the iframe).
    assert [s["src"].rsplit("/", 1)[-1] for s in embed.select("script[src]")] == ["embed.js"]


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_french_by_default(app: Any, documents) -> None:
    ids = [documents["montreuil-2018"].resource_id, documents["montreuil-2019"].resource_id]
    page = soup(app, compare_url(ids, tree="chapitre", node="D"))
    assert page.select_one("#budget-compare-heading").get_text() == "Comparer des budgets"
    assert "Compte administratif 2018" in page.select_one("#budget-compare-documents").get_text()
    spending = stored_node(ids[0], "chapitre", "DF").amount
    row = page.select_one("table.budget-compare-table tr[data-id='DF']")
    assert cell(row, ids[0]).get_text(strip=True) == format_currency(
        spending, "EUR", locale="fr_FR"
    )
