"""The budget page of a dataset: every document over the years, figures equal to the stored
aggregations to the cent, drill-down, year and stage switches through plain links, voted
against realised, key indicators, exports equal to the tables, the embeddable variant,
the link from the dataset page, access and French rendering."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_currency, format_percent
from bs4 import BeautifulSoup
from ckan import model
from ckan.tests import factories
from sqlalchemy.orm.attributes import flag_modified

from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service
from ckanext.budget.rulesets.model import now

from ..unit import independent_sums
from ..unit.independent_sums import SAMPLES
from .budget_pages import budget_dataset, children_amounts, stored_node
from .budget_uploads import upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

MONTREUIL = ("montreuil/Montreuil_CA_2018.xml.gz", "montreuil/Montreuil_CA_2019.xml.gz")
CRACH = (
    "crach/Crach_principal_CA_2021.xml",
    "crach/Crach_principal_DM2_2021.xml",
    "crach/Crach_principal_DM3_2021.xml",
    "crach/Crach_principal_BP_2022.xml",
)
KEYS = ("RF", "DF", "RI", "DI")


@pytest.fixture
def montreuil() -> dict[str, Any]:
    """Montreuil's accounts 2018 and 2019 in one dataset."""
    return budget_dataset("montreuil-budget-principal", MONTREUIL, title="Montreuil")


@pytest.fixture
def crach() -> dict[str, Any]:
    """Crach: 2021 account and two amending budgets, 2022 budget primitif."""
    return budget_dataset("crach-budget-principal", CRACH, title="Crach")


def page_url(dataset: dict[str, Any], what: str = "", lang: str = "", **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    prefix = f"/{lang}" if lang else ""
    suffix = f"/{what}" if what else ""
    return f"{prefix}/budget/{dataset['name']}/explorer{suffix}?{query}"


def soup(app: Any, url: str, status: int = 200) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == status, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def document(dataset: dict[str, Any], stage: str, year: int, num: str | None = None):
    return next(
        d
        for d in db.documents_for_package(dataset["id"])
        if d.stage == stage and d.exercice == year and (num is None or d.num_dec == num)
    )


def table_rows(table: Any, width: int | None = None) -> dict[str, list[Decimal | None]]:
    """Rows of a table by their ``data-id``: the amounts of their first ``width`` cells
    (None for a cell without amount)."""
    return {
        tr["data-id"]: [
            Decimal(td["data-amount"]) if td.has_attr("data-amount") else None
            for td in tr.select("td")[:width]
        ]
        for tr in table.select("tbody tr")
    }


def level_amounts(page: BeautifulSoup) -> dict[str, Decimal]:
    table = page.select_one("#budget-year table.budget-explorer-table")
    return {
        tr.th.get_text(strip=True): Decimal(tr.td["data-amount"]) for tr in table.select("tbody tr")
    }


def labels_by_id(resource_id: str, tree_id: str, node_id: str | None) -> dict[str, str]:
    node = stored_node(resource_id, tree_id, node_id)
    return {c.id: c.label_en or c.label for c in node.children}


def test_default_state_is_the_latest_account_equal_to_its_stored_aggregation(
    app: Any, montreuil: dict[str, Any]
) -> None:
    page = soup(app, page_url(montreuil))
    root = page.select_one("#budget-page")
    assert (root["data-year"], root["data-stage"], root["data-tree"]) == (
        "2019",
        "realised",
        "fonction",
    )
    ca_2019 = document(montreuil, "CA", 2019).resource_id
    expected = children_amounts(ca_2019, "fonction", None)
    labels = labels_by_id(ca_2019, "fonction", None)
    assert level_amounts(page) == {labels[k]: v for k, v in expected.items()}
    numbers = service.result(service.stored(ca_2019)).big_numbers
    exact = [s.get_text() for s in page.select("#budget-year .budget-exact-amount")]
    assert exact == [
        f"({format_currency(numbers[k], 'EUR', locale='en_GB')})" for k in ("RF", "DF", "RI", "DI")
    ]
    years = [a.get_text(strip=True) for a in page.select("#budget-year-nav a")]
    assert years == ["2018", "2019"]
    assert page.select_one("#budget-year-nav a[aria-current=page]").get_text() == "2019"


def test_evolution_gives_each_year_its_own_account(app: Any, montreuil: dict[str, Any]) -> None:
    page = soup(app, page_url(montreuil, tree="chapitre"))
    ids = {year: document(montreuil, "CA", year).resource_id for year in (2018, 2019)}
    tables = page.select("#budget-evolution table.budget-evolution-table")
    assert [t["data-category"] for t in tables] == ["D", "R"]
    for table in tables:
        years = [int(th.get_text(strip=True)) for th in table.select("thead th")[1:]]
        assert years == [2018, 2019]
        shown = table_rows(table)
        for part_id, amounts in shown.items():
            for year, amount in zip(years, amounts, strict=True):
                stored = children_amounts(ids[year], "chapitre", table["data-category"])
                assert amount == stored[part_id], (part_id, year)
        totals = [Decimal(td["data-amount"]) for td in table.select("tfoot td")]
        assert totals == [
            stored_node(ids[y], "chapitre", table["data-category"]).amount for y in years
        ]
    svg = page.select_one("#budget-evolution-1 svg")
    assert svg["role"] == "group" and svg.title and svg.desc
    legend = [t.get_text() for t in svg.select("g > text")]
    assert "1. Operating expenditure" in legend and "2. Capital expenditure" in legend


def test_drill_down_and_year_links_keep_the_rest_of_the_state(
    app: Any, montreuil: dict[str, Any]
) -> None:
    page = soup(app, page_url(montreuil, tree="chapitre"))
    link = next(
        a["href"]
        for a in page.select("#budget-year table.budget-explorer-table tbody th a")
        if a.get_text(strip=True) == "Expenditure"
    )
    down = soup(app, link)
    root = down.select_one("#budget-page")
    assert (root["data-tree"], root["data-node"], root["data-year"]) == ("chapitre", "D", "2019")
    ca_2019 = document(montreuil, "CA", 2019).resource_id
    labels = labels_by_id(ca_2019, "chapitre", "D")
    expected = children_amounts(ca_2019, "chapitre", "D")
    assert level_amounts(down) == {labels[k]: v for k, v in expected.items()}
    path = [a.get_text(strip=True) for a in down.select("#budget-path-nav a")]
    assert path == ["By chapter (nature)", "Expenditure"]

    to_2018 = down.select_one("#budget-year-nav a[data-year='2018']")["href"]
    earlier = soup(app, to_2018)
    root = earlier.select_one("#budget-page")
    assert (root["data-tree"], root["data-node"], root["data-year"]) == ("chapitre", "D", "2018")
    ca_2018 = document(montreuil, "CA", 2018).resource_id
    expected = children_amounts(ca_2018, "chapitre", "D")
    assert level_amounts(earlier) == {labels[k]: v for k, v in expected.items()}

    segment = earlier.select_one(
        "#budget-evolution-1 g.budget-stack-column[data-year='2019'] a[href*='node=DF']"
    )
    leaf_parent = soup(app, segment["href"])
    root = leaf_parent.select_one("#budget-page")
    assert (root["data-node"], root["data-year"]) == ("DF", "2019")


def test_leaf_links_to_the_lines_in_each_documents_explorer(
    app: Any, montreuil: dict[str, Any]
) -> None:
    ca_2019 = document(montreuil, "CA", 2019).resource_id
    leaf = max(stored_node(ca_2019, "chapitre", "DF").children, key=lambda c: c.amount)
    page = soup(app, page_url(montreuil, tree="chapitre", node=leaf.id))
    assert level_amounts(page) == {leaf.label: leaf.amount}
    links = page.select("#budget-leaf-lines a")
    assert len(links) == 1 and ca_2019 in links[0]["href"]
    assert f"node={leaf.id}" in links[0]["href"] and "view_id=" in links[0]["href"]
    lines = soup(app, links[0]["href"]).select("table.budget-explorer-lines tbody td[data-amount]")
    assert sum(Decimal(td["data-amount"]) for td in lines) == leaf.amount


def exact_big_numbers(page: BeautifulSoup) -> list[str]:
    return [s.get_text() for s in page.select("#budget-year .budget-exact-amount")]


def test_voted_is_the_credits_after_the_latest_decision_compared_with_the_account(
    app: Any, crach: dict[str, Any]
) -> None:
    """Crach 2021 has DM2 and DM3 on the portal, no budget primitif: voted is the credits
    after DM3 (``MtBudgPrec`` + ``MtPrev``), not 0 € (their changes added up)."""
    dm3 = document(crach, "DM", 2021, "3").resource_id
    ca = document(crach, "CA", 2021).resource_id
    after_dm3 = independent_sums.big_numbers(SAMPLES / "crach/Crach_principal_DM3_2021.xml")
    assert all(after_dm3[key] > 0 for key in KEYS)
    voted = children_amounts(dm3, "chapitre", "DF")
    assert sum(voted.values()) == after_dm3["DF"]
    labels = labels_by_id(ca, "chapitre", "DF")

    page = soup(app, page_url(crach, year=2021, stage="voted", tree="chapitre", node="DF"))
    assert page.select_one("#budget-page")["data-stage"] == "voted"
    assert exact_big_numbers(page) == [
        f"({format_currency(after_dm3[key], 'EUR', locale='en_GB')})" for key in KEYS
    ]
    assert level_amounts(page) == {labels[k]: v for k, v in voted.items()}
    sources = page.select("#budget-year-documents a")
    assert [a.get_text() for a in sources] == ["Amending budget no. 3 2021"]
    words = "Credits voted after amending budget no. 3 (MtBudgPrec + MtPrev)"
    assert page.select_one("#budget-amount-words").get_text() == words
    own_page = soup(app, sources[0]["href"])  # DM3's page and explorer name it too
    assert own_page.select_one("#budget-explorer-amount").get_text() == words
    assert own_page.select_one(".budget-key-figures .budget-amount-words").get_text() == words
    assert [td.get_text(strip=True) for td in own_page.select(".budget-key-figures td")] == [
        format_currency(after_dm3[key], "EUR", locale="en_GB") for key in KEYS
    ]
    assert page.select_one("#budget-no-primitive").get_text() == (
        "The 2021 initial budget is not on the portal: these amounts are the credits voted "
        "after the latest decision it holds, amending budget no. 3."
    )
    checked = page.select("#budget-voted-checked a")
    assert [a.get_text() for a in checked] == ["Amending budget no. 2 2021"]
    assert page.select_one("#budget-voted-warnings") is None  # DM3 starts from DM2's credits

    realised = children_amounts(ca, "chapitre", "DF")
    rows = table_rows(page.select_one("table.budget-execution-table"), width=2)
    expected = {k: [voted.get(k), realised.get(k)] for k in voted.keys() | realised.keys()}
    assert rows == {k: v for k, v in expected.items() if any(v)}
    rates = {
        tr["data-id"]: tr.select("td")[-1].get_text(strip=True)
        for tr in page.select("table.budget-execution-table tbody tr")
    }
    for key, (planned, spent) in rows.items():  # realised ÷ credits after DM3
        shown = format_percent(spent / planned, "#,##0.0 %", locale="en_GB") if planned else "—"
        assert rates[key] == (shown if spent is not None else "—"), key

    account = soup(app, page_url(crach, year=2021, stage="realised"))
    assert account.select_one("#budget-execution-voted").get_text() == (
        "Voted: Credits voted after amending budget no. 3 (MtBudgPrec + MtPrev)"
    )
    assert account.select_one("#budget-amount-words").get_text() == (
        "Amounts realised, from the administrative account (MtReal)"
    )


def test_decisions_that_do_not_follow_on_are_reported(app: Any) -> None:
    """A DM3 whose credits before it are not those voted after DM2 (one line changed
    here): the page warns, in the reader's language, and names the line."""
    dm3 = read_document(SAMPLES / "crach/Crach_principal_DM3_2021.xml")
    (line,) = [el for el in dm3.line_elements() if el.find(q("Nature")).get("V") == "6411"]
    field = line.find(q("MtBudgPrec"))
    before = Decimal(field.get("V"))
    field.set("V", str(before + 1000))
    dataset = budget_dataset("crach-decisions", CRACH[1:2], title="Crach")
    upload_resource(dataset["id"], dm3.to_bytes(), "dm3.xml")

    page = soup(app, page_url(dataset, year=2021, stage="voted"))
    (warning,) = page.select("#budget-voted-warnings .budget-voted-warning")
    text = warning.get_text()
    assert text.startswith(
        "The credits voted after amending budget no. 2 are not those amending budget no. 3 "
        "starts from (MtBudgPrec) on 1 line(s)"
    )
    assert f"spending 6411: {before} € after the first, {before + 1000} €" in text
    assert "DF +1000.00 €" in text
    french = soup(app, page_url(dataset, lang="fr", year=2021, stage="voted"))
    assert (
        french.select_one("#budget-voted-warnings")
        .get_text(strip=True)
        .startswith("Les crédits votés après la décision modificative n° 2 ne sont pas ceux")
    )
    assert french.select_one("#budget-amount-words").get_text() == (
        "Crédits votés après la décision modificative n° 3 (MtBudgPrec + MtPrev)"
    )


def test_stage_switch_offers_the_stages_of_the_year(app: Any, crach: dict[str, Any]) -> None:
    page = soup(app, page_url(crach))
    root = page.select_one("#budget-page")
    assert (root["data-year"], root["data-stage"]) == ("2022", "voted")
    assert page.select_one("#budget-stage-nav a[data-stage='realised']") is None
    assert page.select_one("#budget-stage-nav .budget-unavailable[data-stage='realised']")
    # a stage the year lacks: a 404 offering the year's stages (issue 15), not another stage
    asked = app.get(page_url(crach, year=2022, stage="realised"), status=404)
    offered = BeautifulSoup(asked.get_data(as_text=True), "html.parser")
    links = offered.select("[data-budget-unknown='stage'] a")
    assert [a["href"].split("?")[0] for a in links] == [page_url(crach).split("?")[0]]
    assert "year=2022" in links[0]["href"] and "stage=voted" in links[0]["href"]

    to_2021 = page.select_one("#budget-year-nav a[data-year='2021']")["href"]
    assert "stage=voted" in to_2021
    in_2021 = soup(app, to_2021)
    realised = in_2021.select_one("#budget-stage-nav a[data-stage='realised']")["href"]
    account = soup(app, realised)
    assert account.select_one("#budget-page")["data-stage"] == "realised"
    # Crach votes by nature (no function): its figures open by chapter (issue 15)
    assert account.select_one("#budget-page")["data-tree"] == "chapitre"
    ca = document(crach, "CA", 2021).resource_id
    labels = labels_by_id(ca, "chapitre", None)
    assert level_amounts(account) == {
        labels[k]: v for k, v in children_amounts(ca, "chapitre", None).items()
    }


def test_csv_and_json_exports_equal_the_tables(app: Any, crach: dict[str, Any]) -> None:
    state = {"year": 2021, "stage": "realised", "tree": "chapitre", "node": "DF"}
    page = soup(app, page_url(crach, **state))
    tables = {
        "level": page.select_one("#budget-year table.budget-explorer-table"),
        "evolution": page.select_one("#budget-evolution table.budget-evolution-table"),
        "execution": page.select_one("table.budget-execution-table"),
    }
    for name, table in tables.items():
        exports = page.select_one(f".budget-explorer-exports[data-table='{name}']")
        csv_url = exports.select_one("a.budget-export-csv")["href"]
        json_url = exports.select_one("a.budget-export-json")["href"]
        response = app.get(csv_url)
        assert response.headers["Content-Type"].startswith("text/csv")
        exported = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        body = app.get(json_url).json
        assert body["lignes"] == exported and body["table"] == name
        shown = [
            [Decimal(td["data-amount"]) for td in tr.select("td[data-amount]")]
            for tr in table.select("tbody tr")
        ]
        amounts = {
            "level": ["montant"],
            "evolution": ["2021"],
            "execution": ["vote", "realise"],
        }[name]
        assert [[Decimal(row[k]) for k in amounts] for row in exported] == shown, name


def test_indicators_over_the_years_are_the_stored_ones(app: Any, montreuil: dict[str, Any]):
    ca_2018 = document(montreuil, "CA", 2018)
    ca_2019 = document(montreuil, "CA", 2019)
    assert ca_2019.indicators and ca_2019.indicators["population"]
    # Figures missing (or stored under other conventions) are computed again by a job:
    # until then the year is said to be computing, never shown with other figures.
    ca_2018.indicators = None
    model.Session.commit()

    response = app.get(page_url(montreuil))
    assert "being computed" in response.get_data(as_text=True)
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    table = page.select_one("table.budget-indicators-table")
    headers = [th.get_text(" ", strip=True) for th in table.select("thead th")[1:]]
    assert not any("2018" in header for header in headers) and "2019" in headers[0]
    values = {tr["data-indicator"]: tr.select("td") for tr in table.select("tbody tr")}
    assert values["population"][0]["data-value"] == str(ca_2019.indicators["population"])
    for key in ("rrf", "epargne_brute", "encours_dette"):
        assert Decimal(values[key][0]["data-value"]) == Decimal(ca_2019.indicators[key])
    per_head = Decimal(values["par_habitant.epargne_nette"][0]["data-value"])
    assert per_head == Decimal(ca_2019.indicators["par_habitant"]["epargne_nette"])
    definitions = page.select_one(".budget-definitions")
    assert definitions.select_one("#budget-definition-epargne_brute").find_next("dd").get_text()

    document(montreuil, "CA", 2019).indicators = None  # the request detached ca_2019
    model.Session.commit()
    pending = app.get(page_url(montreuil)).get_data(as_text=True)
    assert "being computed" in pending
    assert "budget-indicators-table" not in pending


def test_page_follows_a_recomputed_aggregation(app: Any, montreuil: dict[str, Any]) -> None:
    """The cache is keyed on the stored aggregation: a new computation shows at once."""
    ca_2019 = document(montreuil, "CA", 2019).resource_id
    first = soup(app, page_url(montreuil))
    aggregation = service.stored(ca_2019)
    category = aggregation.result["trees"][0]["categories"][0]
    category["amount"] = str(Decimal(category["amount"]) + Decimal("0.01"))
    flag_modified(aggregation, "result")
    aggregation.computed = now()
    model.Session.commit()
    second = soup(app, page_url(montreuil))
    label = category.get("label_en") or category["label"]
    assert level_amounts(second)[label] == level_amounts(first)[label] + Decimal("0.01")


def test_embed_has_no_portal_chrome_and_the_page_offers_its_code(
    app: Any, montreuil: dict[str, Any]
) -> None:
    page = soup(app, page_url(montreuil, tree="chapitre", node="D"))
    code = page.select_one("#budget-page-embed-code").get_text()
    assert code.startswith("<iframe src=") and "/explorer/embed?" in code
    assert "tree=chapitre" in code and "node=D" in code
    embed = soup(app, page_url(montreuil, "embed", tree="chapitre", node="D"))
    assert embed.select_one("header") is None and embed.select_one("footer") is None
    assert embed.select_one("#budget-evolution svg") is not None
    assert not embed.select("script[src^='http'], link[href^='http'], img[src^='http']")
    # Its one script only tells the host page its height (the embed code sizes the iframe).
    assert [s["src"].rsplit("/", 1)[-1] for s in embed.select("script[src]")] == ["embed.js"]
    years = [a["href"] for a in embed.select("#budget-year-nav a")]
    assert years and all("/explorer/embed?" in href for href in years)


def test_dataset_page_links_to_its_budget_page(app: Any, montreuil: dict[str, Any]) -> None:
    page = soup(app, f"/dataset/{montreuil['name']}")
    assert page.select_one(f"a[href='/budget/{montreuil['name']}/explorer']") is not None
    other = factories.Dataset(owner_org=factories.Organization()["id"])
    assert "/explorer" not in app.get(f"/dataset/{other['name']}").get_data(as_text=True)


def test_private_budget_is_hidden_from_outsiders(app: Any) -> None:
    member = factories.UserWithToken()
    outsider = factories.UserWithToken()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    dataset = budget_dataset("secret-budget", CRACH[3:], org=org, private=True)
    for what in ("", "embed", "data.csv", "data.json"):
        url = page_url(dataset, what)
        assert app.get(url).status_code == 404, url
        headers = {"Authorization": outsider["token"]}
        assert app.get(url, headers=headers).status_code == 404, url
        assert app.get(url, headers={"Authorization": member["token"]}).status_code == 200


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_french_by_default(app: Any, montreuil: dict[str, Any]) -> None:
    page = soup(app, page_url(montreuil, tree="chapitre"))
    assert page.select_one("html")["lang"].startswith("fr")
    assert page.select_one("#budget-page-heading").get_text().startswith("Explorateur budgétaire")
    assert page.select_one("#budget-year-nav")["aria-label"] == "Année"
    assert page.select_one("#budget-year-heading").get_text(strip=True) == "2019 — Réalisé (compte)"
    ca_2019 = document(montreuil, "CA", 2019).resource_id
    spending = stored_node(ca_2019, "chapitre", "D").amount
    cells = [td.get_text() for td in page.select("#budget-year table.budget-explorer-table td")]
    assert format_currency(spending, "EUR", locale="fr_FR") in cells
    assert "," in format_currency(spending, "EUR", locale="fr_FR")
    english = soup(app, page_url(montreuil, lang="en", tree="chapitre"))
    assert english.select_one("#budget-year-heading").get_text(strip=True) == (
        "2019 — Realised (account)"
    )


def test_labels_are_escaped(app: Any, montreuil: dict[str, Any]) -> None:
    aggregation = service.stored(document(montreuil, "CA", 2019).resource_id)
    category = aggregation.result["trees"][0]["categories"][0]
    category["label"] = category["label_en"] = "<script>alert(1)</script>"
    flag_modified(aggregation, "result")
    aggregation.computed = now()
    model.Session.commit()
    for what in ("", "embed"):
        html = app.get(page_url(montreuil, what)).get_data(as_text=True)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
