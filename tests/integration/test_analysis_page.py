"""The financial analysis of a budget: the cascade, investment, debt and neutral
operations of each year equal to sums computed here from the XML (``independent_sums``,
none of the core's code), in euros and per inhabitant; the waterfall draws a negative net
saving below zero; CSV and JSON equal the table; English and French pages; a missing
figure shows its reason; the budget page's section and links; a private budget's
analysis is hidden from outsiders.

One portal for the module (uploading Montreuil's accounts is most of the time): a public
dataset with Montreuil's accounts 2016 (no population, no debt annex), 2018 (negative net
savings) and 2019; a private one with Crach's 2021 account and 2022 budget primitif.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app

from ..unit import independent_sums
from ..unit.independent_sums import SAMPLES, counted_lines, neutral_operations
from .budget_pages import budget_dataset
from .security_portal import module_portal

MONTREUIL = {
    2016: "montreuil/Montreuil_CA_2016.xml.gz",
    2018: "montreuil/Montreuil_CA_2018.xml.gz",
    2019: "montreuil/Montreuil_CA_2019.xml.gz",
}
CRACH = ("crach/Crach_principal_CA_2021.xml", "crach/Crach_principal_BP_2022.xml")
CENT = Decimal("0.01")
NOT_CAPITAL = ("165", "166", "16449", "1645", "1688", "169")
"""Accounts 16 that do not repay or borrow capital (DOMAIN.md §9), written out here."""
CASCADE = (
    "rrf",
    "drf",
    "epargne_gestion",
    "interets_dette",
    "epargne_brute",
    "remboursement_capital",
    "epargne_nette",
)


@dataclass
class Portal:
    app: Any
    montreuil: dict[str, Any]
    crach: dict[str, Any]
    member: dict[str, Any]


def _build() -> Portal:
    member = factories.UserWithToken()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    montreuil = budget_dataset(
        "montreuil-analyse", tuple(MONTREUIL.values()), org=org, title="Montreuil"
    )
    crach = budget_dataset("crach-analyse", CRACH, org=org, private=True, title="Crach")
    return Portal(_get_test_app(), montreuil, crach, member)


@pytest.fixture(scope="module")
def portal(reset_db: Any, migrate_db_for: Any) -> Iterator[Portal]:
    yield from module_portal(reset_db, migrate_db_for, _build)


@pytest.fixture(autouse=True)
def load_standard_plugins() -> None:
    """The module's portal keeps the plugins loaded (see ``module_portal``)."""


# --- what the XML says, summed here ----------------------------------------------------------


def _is_capital(nature: str) -> bool:
    return nature.startswith("16") and not nature.startswith(NOT_CAPITAL)


def _outstanding(path: Path) -> Decimal | None:
    """Capital owed at 31 December on the authority's own loans (loans annex, types 01
    and 02, revolving credit left out); None without a loans annex."""
    data = path.read_bytes()
    root = ET.fromstring(gzip.decompress(data) if path.suffix == ".gz" else data)
    loans = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "EMPRUNT"]
    if not loans:
        return None
    total = Decimal(0)
    for loan in loans:
        fields = {child.tag.rsplit("}", 1)[-1]: child.get("V") or "" for child in loan}
        own = fields.get("CodTypEmpr") in ("01", "02")
        revolving = fields.get("CodArticle", "").startswith(("16449", "1645"))
        if own and not revolving:
            total += Decimal(fields.get("MtCapitalRestDu_31_12") or "0")
    return total


def expected(year: int) -> dict[str, Decimal | None]:
    """The figures of Montreuil's account of ``year``, from its XML."""
    path = SAMPLES / MONTREUIL[year]
    sums: dict[str, Decimal] = dict.fromkeys(
        (
            "rrf",
            "drf",
            "interets_dette",
            "remboursement_capital",
            "depenses_equipement",
            "subventions_equipement_versees",
            "emprunts_nouveaux",
            "cessions",
        ),
        Decimal(0),
    )
    for line in counted_lines(path):
        nature, amount = line["Nature"], Decimal(line["amount"])
        where = line["CodRD"] + line["section"]
        found = {
            "rrf": where == "RF",
            "drf": where == "DF",
            "interets_dette": where == "DF" and nature.startswith("6611"),
            "remboursement_capital": where == "DI" and _is_capital(nature),
            "emprunts_nouveaux": where == "RI" and _is_capital(nature),
            "depenses_equipement": where == "DI"
            and nature.startswith(("20", "21", "23"))
            and not nature.startswith("204"),
            "subventions_equipement_versees": where == "DI" and nature.startswith("204"),
            "cessions": line["CodRD"] == "R" and nature.startswith("775"),
        }
        for key, counts in found.items():
            if counts:
                sums[key] += amount
    out: dict[str, Decimal | None] = dict(sums)
    out["epargne_brute"] = sums["rrf"] - sums["drf"]
    out["epargne_gestion"] = out["epargne_brute"] + sums["interets_dette"]
    out["epargne_nette"] = out["epargne_brute"] - sums["remboursement_capital"]
    neutral = neutral_operations(path)
    out["refinancements"] = neutral.get("refinancements", {}).get("DI", Decimal(0))
    out["tresorerie"] = neutral.get("tresorerie", {}).get("DI", Decimal(0))
    out["encours_dette"] = _outstanding(path)
    return out


def population(year: int) -> int | None:
    try:
        return independent_sums.population(SAMPLES / MONTREUIL[year]) or None
    except StopIteration:
        return None


def per_inhabitant(amount: Decimal | None, people: int | None) -> Decimal | None:
    if amount is None or not people:
        return None
    return (amount / people).quantize(CENT, rounding=ROUND_HALF_UP)


# --- what the page shows ---------------------------------------------------------------------


def url(dataset: dict[str, Any], what: str = "", lang: str = "", **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    prefix = f"/{lang}" if lang else ""
    suffix = f"/{what}" if what else ""
    return f"{prefix}/budget/{dataset['name']}/explorer/analysis{suffix}?{query}"


def soup(portal: Portal, address: str, headers: dict[str, str] | None = None) -> BeautifulSoup:
    response = portal.app.get(address, headers=headers or {})
    assert response.status_code == 200, address
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def table(page: BeautifulSoup) -> dict[str, dict[int, Any]]:
    """Each row of the analysis table by indicator, then year: the exact value, or the
    cell itself when it holds none."""
    found = page.select_one("table.budget-analysis-table")
    years = [int(th["data-year"]) for th in found.select("thead th[data-year]")]
    return {
        tr["data-indicator"]: {
            year: Decimal(td["data-value"]) if td.has_attr("data-value") else td
            for year, td in zip(years, tr.select("td"), strict=True)
        }
        for tr in found.select("tbody tr[data-indicator]")
    }


def test_figures_equal_sums_from_the_xml(portal: Portal) -> None:
    euros = table(soup(portal, url(portal.montreuil)))
    per_head = table(soup(portal, url(portal.montreuil, unit="inhabitant")))
    for year in (2018, 2019):
        figures, people = expected(year), population(year)
        assert people and euros["population"][year] == people
        for key, amount in figures.items():
            assert euros[key][year] == amount, (year, key)
            assert per_head[key][year] == per_inhabitant(amount, people), (year, key)
        years = (figures["encours_dette"] / figures["epargne_brute"]).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        assert euros["capacite_desendettement"][year] == years
    assert euros["epargne_nette"][2018] == Decimal("-4116419.22")  # the figure
    figures = expected(2016)
    assert all(euros[key][2016] == figures[key] for key in CASCADE)


def test_each_year_says_realised_or_forecast(portal: Portal) -> None:
    headers = {"Authorization": portal.member["token"]}
    page = soup(portal, url(portal.crach, lang="fr"), headers)
    natures = {
        int(th["data-year"]): th.select_one(".budget-nature").get_text(strip=True)
        for th in page.select("table.budget-analysis-table thead th[data-year]")
    }
    assert natures == {2021: "réalisé", 2022: "prévisionnel"}
    assert page.select_one("#budget-analysis-definition-previsionnel") is not None
    accounts = soup(portal, url(portal.montreuil, lang="fr"))
    assert accounts.select_one("#budget-analysis-definition-previsionnel") is None
    chart = soup(portal, url(portal.crach, lang="fr", year=2022), headers)
    heading = chart.select_one("#budget-analysis-cascade-heading").get_text(" ", strip=True)
    assert "2022" in heading and "prévisionnel" in heading


def _rect(svg: Any, key: str) -> dict[str, int]:
    rect = svg.select_one(f"rect[data-key='{key}']")
    return {name: int(rect[name]) for name in ("x", "y", "width", "height")}


def test_negative_net_savings_are_drawn_below_zero(portal: Portal) -> None:
    page = soup(portal, url(portal.montreuil, year=2018))
    wide = page.select_one("svg.budget-waterfall-wide")
    zero = int(wide["data-zero"])
    line = wide.select_one("line.budget-waterfall-zero")
    assert int(line["y1"]) == int(line["y2"]) == zero
    net = _rect(wide, "epargne_nette")
    assert net["y"] == zero and net["y"] + net["height"] > zero  # hangs below the line
    for key in ("rrf", "epargne_gestion", "epargne_brute"):
        bar = _rect(wide, key)
        assert bar["y"] + bar["height"] == zero and bar["height"] > 1, key
    # capital repaid: from gross savings, above zero, down to net savings, below
    capital = _rect(wide, "remboursement_capital")
    assert capital["y"] == _rect(wide, "epargne_brute")["y"]
    assert capital["y"] + capital["height"] == net["y"] + net["height"]
    # the bars are to scale: gross savings' height over net savings' depth
    figures = expected(2018)
    ratio = Decimal(_rect(wide, "epargne_brute")["height"]) / net["height"]
    exact = figures["epargne_brute"] / -figures["epargne_nette"]
    assert abs(ratio - exact) / exact < Decimal("0.1")

    narrow = page.select_one("svg.budget-waterfall-narrow")
    zero_x = int(narrow["data-zero"])
    net = _rect(narrow, "epargne_nette")
    assert net["x"] + net["width"] == zero_x and net["x"] < zero_x  # left of zero
    assert _rect(narrow, "rrf")["x"] == zero_x

    for svg in (wide, narrow):
        assert svg["role"] == "img" and svg.title.get_text() and svg.desc.get_text()
        assert svg["viewbox"].startswith("0 0 ") and svg["width"] == "100%"
    caption = page.select_one("#budget-waterfall-text").get_text()
    assert "Net savings" in caption and "-€4.1M" in caption
    assert wide.desc.get_text() == caption

    positive = soup(portal, url(portal.montreuil, year=2019)).select_one(
        "svg.budget-waterfall-wide"
    )
    net = _rect(positive, "epargne_nette")
    assert net["y"] + net["height"] == int(positive["data-zero"])


def _csv(portal: Portal, address: str) -> list[dict[str, str]]:
    response = portal.app.get(address)
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("unit", ["euros", "inhabitant"])
def test_csv_and_json_equal_the_table(portal: Portal, unit: str) -> None:
    shown = table(soup(portal, url(portal.montreuil, unit=unit)))
    values = {
        key: {str(year): str(v) if isinstance(v, Decimal) else "" for year, v in row.items()}
        for key, row in shown.items()
    }
    exported = _csv(portal, url(portal.montreuil, "data.csv", unit=unit))
    assert [row["indicateur"] for row in exported] == list(shown)
    assert {
        row["indicateur"]: {y: row[y] for y in ("2016", "2018", "2019")} for row in exported
    } == values
    body = json.loads(portal.app.get(url(portal.montreuil, "data.json", unit=unit)).get_data())
    assert body["unite"] == unit and body["lignes"] == exported
    assert [y["nature"] for y in body["annees"]] == ["realise"] * 3
    assert body["annees"][0]["raisons"]["encours_dette"]
    units = {row["indicateur"]: row["unite"] for row in exported}
    assert units["rrf"] == ("EUR" if unit == "euros" else "EUR/habitant")
    assert units["population"] == "habitants"


def test_a_missing_figure_shows_its_reason(portal: Portal) -> None:
    page = soup(portal, url(portal.montreuil))
    cell = table(page)["encours_dette"][2016]
    assert "not computed" in cell.get_text()
    note = page.select_one(f"#budget-analysis-note-{cell['data-note']}")
    assert note["data-year"] == "2016"
    assert "neither a loans annex nor an other-debts annex" in note.get_text()
    assert cell.a["href"] == f"#budget-analysis-note-{cell['data-note']}"

    per_head = soup(portal, url(portal.montreuil, unit="inhabitant", year=2016))
    cell = table(per_head)["epargne_brute"][2016]
    note = per_head.select_one(f"#budget-analysis-note-{cell['data-note']}").get_text()
    assert "gives no population" in note
    assert per_head.select_one("svg.budget-waterfall-wide") is None
    assert "gives no population" in per_head.select_one("#budget-analysis-no-chart").get_text()


def test_english_and_french(portal: Portal) -> None:
    english = soup(portal, url(portal.montreuil, lang="en", year=2016))
    text = english.get_text(" ")
    assert (
        english.select_one("#budget-analysis-heading").get_text().startswith("Financial analysis")
    )
    for words in ("Gross savings", "realised", "not computed", "Definitions", "Per inhabitant"):
        assert words in text, words
    for french in ("Épargne brute", "réalisé", "non calculé", "Définitions", "Par habitant"):
        assert french not in text, french

    french = soup(portal, url(portal.montreuil, lang="fr", year=2016))
    text = french.get_text(" ")
    assert french.select_one("html")["lang"].startswith("fr")
    assert french.select_one("#budget-analysis-heading").get_text().startswith("Analyse financière")
    for words in ("Épargne brute", "réalisé", "non calculé", "Définitions", "Par habitant"):
        assert words in text, words
    assert "ni annexe des emprunts ni annexe des autres dettes" in text
    assert "Gross savings" not in text and "not computed" not in text
    definition = french.select_one("#budget-analysis-definition-remboursement_capital")
    assert "16449" in definition.find_next("dd").get_text()


def test_the_budget_page_shows_the_years_cascade_and_links_to_the_analysis(
    portal: Portal,
) -> None:
    name = portal.montreuil["name"]
    page = soup(portal, f"/budget/{name}/explorer?year=2018")
    section = page.select_one("#budget-analysis-summary")
    rows = {
        tr["data-indicator"]: [Decimal(td["data-value"]) for td in tr.select("td")]
        for tr in section.select("tbody tr")
    }
    figures, people = expected(2018), population(2018)
    assert list(rows) == list(CASCADE)
    assert rows == {k: [figures[k], per_inhabitant(figures[k], people)] for k in CASCADE}
    link = section.select_one("#budget-analysis-link")["href"]
    assert link == f"/budget/{name}/explorer/analysis?year=2018"
    nav = soup(portal, f"/dataset/{name}")
    assert nav.select_one(f"a[href='/budget/{name}/explorer/analysis']") is not None


def test_a_private_budgets_analysis_is_hidden_from_outsiders(portal: Portal) -> None:
    outsider = factories.UserWithToken()
    for what in ("", "embed", "data.csv", "data.json"):
        address = url(portal.crach, what)
        assert portal.app.get(address).status_code == 404, address
        headers = {"Authorization": outsider["token"]}
        assert portal.app.get(address, headers=headers).status_code == 404, address
        headers = {"Authorization": portal.member["token"]}
        response = portal.app.get(address, headers=headers)
        assert response.status_code == 200, address
        assert re.search(r"\b2022\b", response.get_data(as_text=True))


def test_anonymous_visitors_get_the_analysis_from_the_page_cache(portal: Portal) -> None:
    address = url(portal.montreuil, year=2019)
    portal.app.get(address)
    assert portal.app.get(address).headers.get("X-Budget-Cache") == "hit"
    member = portal.app.get(address, headers={"Authorization": portal.member["token"]})
    assert member.status_code == 200 and "X-Budget-Cache" not in member.headers
