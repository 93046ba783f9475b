"""The budget explorer view of an uploaded document: added by default, figures equal to
the stored aggregation to the cent, drill-down and exports at stable URLs, access and
escaping like the rest of the portal."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_currency
from bs4 import BeautifulSoup
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from sqlalchemy.orm.attributes import flag_modified

from ckanext.budget.docbudg.figures.results import ResultTree
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service
from ckanext.budget.rulesets.model import now

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

MONTREUIL = "montreuil/Montreuil_CA_2018.xml.gz"


@pytest.fixture
def uploaded() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A public dataset with Montreuil's CA 2018, and its explorer view."""
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"])
    resource = upload_resource(dataset["id"], sample_bytes(MONTREUIL), "Montreuil_CA_2018.xml.gz")
    views = call_action("resource_view_list", id=resource["id"])
    view = next(v for v in views if v["view_type"] == "budget_view")
    return dataset, resource, view


def view_url(uploaded: tuple, lang: str = "", **params: str) -> str:
    dataset, resource, view = uploaded
    query = "".join(f"&{k}={v}" for k, v in params.items())
    prefix = f"/{lang}" if lang else ""
    resource_url = f"{prefix}/dataset/{dataset['name']}/resource/{resource['id']}"
    return f"{resource_url}?view_id={view['id']}{query}"


def explorer_url(uploaded: tuple, what: str, **params: str) -> str:
    dataset, resource, _ = uploaded
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/dataset/{dataset['name']}/resource/{resource['id']}/budget/explorer/{what}?{query}"


def soup(app: Any, url: str) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def table_amounts(page: BeautifulSoup, css: str = "table.budget-explorer-table") -> list[Decimal]:
    table = page.select_one(css)
    return [Decimal(td["data-amount"]) for td in table.select("tbody td[data-amount]")]


def table_total(page: BeautifulSoup, css: str = "table.budget-explorer-table") -> Decimal:
    return Decimal(page.select_one(css).select_one("tfoot td[data-amount]")["data-amount"])


def stored_tree(resource_id: str, tree_id: str) -> ResultTree:
    tree = service.result(service.stored(resource_id)).tree(tree_id)
    assert tree is not None
    return tree


def real_rdfi_of_lines(resource_id: str) -> dict[str, Decimal]:
    """The document's totals of real operations (realised), from its stored lines, without
    the carried-over results (natures 001 and 002) nor neutral debt operations (166, 16449,
    1645), with asset disposals (775) among investment receipts: the OFGL conventions."""
    _, lines = db.query_lines(resource_id, {"op_budg": "0"})
    totals = dict.fromkeys(("RF", "DF", "RI", "DI"), Decimal(0))
    for line in lines:
        if line.nature in ("001", "002") or line.nature.startswith(("166", "16449", "1645")):
            continue
        section = "I" if line.cod_rd == "R" and line.nature.startswith("775") else line.section
        totals[f"{line.cod_rd}{section}"] += line.mtreal or Decimal(0)
    return totals


def test_view_is_added_to_a_budget_document_and_not_to_a_csv() -> None:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    document = upload_resource(dataset["id"], sample_bytes(MONTREUIL), "ca.xml.gz")
    table = upload_resource(dataset["id"], b"a,b\n1,2\n", "table.csv")
    types = {
        r["id"]: [v["view_type"] for v in call_action("resource_view_list", id=r["id"])]
        for r in (document, table)
    }
    assert types[document["id"]].count("budget_view") == 1
    assert "budget_view" not in types[table["id"]]


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_french_big_numbers_equal_real_operations_of_the_document(app: Any, uploaded) -> None:
    page = soup(app, view_url(uploaded, lang="fr"))
    text = page.get_text(" ")
    assert "Compte administratif 2018 — réalisé" in text
    expected = real_rdfi_of_lines(uploaded[1]["id"])
    assert expected["DF"] > 0 and expected["RI"] > 0
    exact = [s.get_text() for s in page.select(".budget-exact-amount")]
    for key, amount in expected.items():
        assert f"({format_currency(amount, 'EUR', locale='fr_FR')})" in exact, key
    big = [s.get_text() for s in page.select(".budget-big-number")]
    assert all(value.endswith("M€") and "," in value for value in big), big


def test_first_level_sums_to_the_tree_total_and_drills_down(app: Any, uploaded) -> None:
    resource_id = uploaded[1]["id"]
    page = soup(app, view_url(uploaded))
    tree = stored_tree(resource_id, "fonction")
    amounts = table_amounts(page)
    assert amounts == [c.amount for c in tree.categories]
    # receipts and spending side by side: never added up into one total (issue 15)
    assert page.select_one("table.budget-explorer-table tfoot") is None
    svg = page.select_one("figure.budget-explorer-chart svg")
    assert svg["role"] == "img" and svg.title and svg.desc
    assert svg["aria-labelledby"].split() == [svg.title["id"], svg.desc["id"]]

    spending = tree.categories[0]
    child = soup(app, view_url(uploaded, tree="fonction", node=spending.id))
    children = spending.children
    labels = [
        th.get_text(strip=True) for th in child.select("table.budget-explorer-table tbody th")
    ]
    assert labels == [c.label_en or c.label for c in children]
    assert table_amounts(child) == [c.amount for c in children]
    assert table_total(child) == spending.amount
    assert len(child.select("figure.budget-explorer-chart svg g")) == len(children)


def test_leaf_shows_its_lines_summing_to_the_leaf(app: Any, uploaded) -> None:
    tree = stored_tree(uploaded[1]["id"], "chapitre")
    operating_spending = tree.categories[0].children[0].children
    leaf = max(operating_spending, key=lambda c: c.amount)
    page = soup(app, view_url(uploaded, tree="chapitre", node=leaf.id))
    amounts = table_amounts(page, "table.budget-explorer-lines")
    assert amounts and sum(amounts) == leaf.amount
    assert leaf.label in page.select_one("table.budget-explorer-lines caption").get_text()


def test_csv_and_json_exports_equal_the_table(app: Any, uploaded) -> None:
    page = soup(app, view_url(uploaded, tree="chapitre", node="D"))
    rows = page.select("table.budget-explorer-table tbody tr")
    shown = [(r.th.get_text(strip=True), Decimal(r.td["data-amount"])) for r in rows]
    response = app.get(explorer_url(uploaded, "data.csv", tree="chapitre", node="D"))
    assert response.headers["Content-Type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["libelle"], Decimal(r["montant"])) for r in exported] == shown
    body = app.get(explorer_url(uploaded, "data.json", tree="chapitre", node="D")).json
    assert [(c["libelle"], Decimal(c["montant"])) for c in body["categories"]] == shown
    assert Decimal(body["total"]) == sum(amount for _, amount in shown)


def test_embed_has_no_portal_chrome_and_view_offers_the_snippet(app: Any, uploaded) -> None:
    view = soup(app, view_url(uploaded))
    snippet = view.select_one("#budget-embed-code").get_text()
    assert snippet.startswith("<iframe src=") and "/budget/explorer/embed" in snippet
    embed = soup(app, explorer_url(uploaded, "embed", tree="fonction"))
    assert embed.select_one("svg[role=img]") is not None
    assert embed.select_one("header") is None and embed.select_one("footer") is None
    # Only the extension's files: its stylesheets and the script that posts the height.
    assert not embed.select("link[href^='http'], script[src^='http']")
    scripts = [script["src"] for script in embed.select("script[src]")]
    assert [s.rsplit("/", 1)[-1] for s in scripts] == ["embed.js"]
    sheets = [link["href"] for link in embed.select("link[rel=stylesheet]")]
    assert len(sheets) == 2 and "explorer.css" in sheets[0]  # the extension's CSS
    sheet = sheets[1]
    assert sheet.endswith("/ckanext-budget/embed.css")
    assert all(app.get(url).status_code == 200 for url in sheets + scripts)
    served = app.get(sheet)
    assert served.status_code == 200 and served.content_type.startswith("text/css")
    assert ".budget-big-numbers" in served.get_data(as_text=True)


def test_private_dataset_is_hidden_from_anonymous_users(app: Any) -> None:
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"], private=True)
    resource = upload_resource(dataset["id"], sample_bytes(MONTREUIL), "ca.xml.gz")
    view = next(
        v
        for v in call_action("resource_view_list", id=resource["id"])
        if v["view_type"] == "budget_view"
    )
    target = (dataset, resource, view)
    assert app.get(view_url(target)).status_code in (403, 404)
    for what in ("embed", "data.csv", "data.json"):
        assert app.get(explorer_url(target, what)).status_code in (403, 404), what


def test_labels_are_escaped(app: Any, uploaded) -> None:
    aggregation = service.stored(uploaded[1]["id"])
    category = aggregation.result["trees"][0]["categories"][0]
    category["label"] = category["label_en"] = "<script>alert(1)</script>"
    flag_modified(aggregation, "result")
    aggregation.computed = now()  # as every new outcome stored (parsed results are kept)
    model.Session.commit()
    for url in (view_url(uploaded), explorer_url(uploaded, "embed")):
        html = app.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
