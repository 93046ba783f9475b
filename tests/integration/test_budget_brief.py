"""« Le budget en bref », the first section of the budget page: big numbers with their
change against the previous year of the same kind and per inhabitant; where the money
comes from and goes, each group table adding up to the big numbers — checked against
sums made here from the XML alone (``independent_sums``); a commune that does not vote by
function shown by nature (never « Non ventilé » 100 %); French and English; the glossary."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from babel.numbers import format_percent

from ..unit import independent_sums
from ..unit.independent_sums import SAMPLES
from .budget_pages import budget_dataset
from .test_budget_page import page_url, soup

pytestmark = pytest.mark.usefixtures("clean_db")

MONTREUIL_2018 = "montreuil/Montreuil_CA_2018.xml.gz"
MONTREUIL_2019 = "montreuil/Montreuil_CA_2019.xml.gz"
CRACH_CA = "crach/Crach_principal_CA_2021.xml"
MOHON = "mohon/Mohon_CFU_2023.xml.gz"
ZERO = Decimal(0)
CENT = Decimal("0.01")


def _sum(path: str, keep) -> Decimal:
    lines = independent_sums.counted_lines(SAMPLES / path)
    return sum((Decimal(line["amount"]) for line in lines if keep(line)), ZERO)


def _key(line: dict[str, str]) -> str:
    return line["CodRD"] + line["section"]


def _debt(nature: str) -> bool:
    return nature.startswith("16") and not nature.startswith(
        ("165", "166", "16449", "1645", "1688", "169")
    )


def figure(page: Any, key: str) -> Any:
    found = page.select_one(f"#budget-brief-figures li[data-figure='{key}']")
    assert found is not None, key
    return found


def group_rows(page: Any, side: str) -> dict[str, Decimal]:
    table = page.select_one(f"#budget-brief-{side}-chart table")
    return {
        tr["data-group"]: Decimal(tr.select_one("td[data-value]")["data-value"])
        for tr in table.select("tbody tr")
    }


def group_total(page: Any, side: str) -> Decimal:
    return Decimal(
        page.select_one(f"#budget-brief-{side}-chart tfoot td[data-value]")["data-value"]
    )


@pytest.fixture
def montreuil() -> dict[str, Any]:
    return budget_dataset("montreuil-brief", (MONTREUIL_2018, MONTREUIL_2019), title="Montreuil")


def test_big_numbers_with_change_and_per_inhabitant(app: Any, montreuil: dict[str, Any]) -> None:
    page = soup(app, page_url(montreuil))
    brief = page.select_one("#budget-brief")
    # the first section of the page, before the breakdown and its chart
    assert page.select_one("#budget-page > section") is brief
    source = page.select_one("#budget-brief-source").get_text(" ", strip=True)
    assert "2019" in source and "2018" in source
    now = independent_sums.big_numbers(SAMPLES / MONTREUIL_2019)
    before = independent_sums.big_numbers(SAMPLES / MONTREUIL_2018)
    population = independent_sums.population(SAMPLES / MONTREUIL_2019)
    for name, key in (
        ("recettes_fonctionnement", "RF"),
        ("depenses_fonctionnement", "DF"),
        ("recettes_investissement", "RI"),
        ("depenses_investissement", "DI"),
    ):
        item = figure(page, name)
        assert Decimal(item.select_one(".budget-brief-amount")["data-value"]) == now[key]
        change = (now[key] - before[key]) / abs(before[key])
        shown = item.select_one(".budget-brief-change")
        assert Decimal(shown["data-value"]) == change
        assert format_percent(change, format="#,##0.0 %", locale="en_GB") in shown.get_text()
        assert "2018" in shown.get_text()
        per_head = (now[key] / population).quantize(CENT, rounding=ROUND_HALF_UP)
        assert Decimal(item.select_one(".budget-brief-per-head")["data-value"]) == per_head
        assert item.select_one("details.budget-term p").get_text(strip=True)
    savings = figure(page, "epargne_brute")
    assert (
        Decimal(savings.select_one(".budget-brief-amount")["data-value"]) == now["RF"] - now["DF"]
    )
    assert f"{population:,}" in page.select_one("#budget-brief-population").get_text()
    sentences = page.select("#budget-brief-sentences li")
    assert [li["data-indicator"] for li in sentences][:1] == ["epargne_brute"]
    assert "gross savings" in sentences[0].get_text().lower()


def test_groups_add_up_to_the_big_numbers_summed_from_the_xml(
    app: Any, montreuil: dict[str, Any]
) -> None:
    page = soup(app, page_url(montreuil))
    path = MONTREUIL_2019
    now = independent_sums.big_numbers(SAMPLES / path)
    receipts = group_rows(page, "receipts")
    assert sum(receipts.values(), ZERO) == now["RF"] + now["RI"] == group_total(page, "receipts")
    assert receipts["impots_taxes"] == _sum(
        path, lambda x: _key(x) == "RF" and x["Nature"].startswith("73")
    )
    assert receipts["dotations_participations"] == _sum(
        path, lambda x: _key(x) == "RF" and x["Nature"].startswith("74")
    )
    assert receipts["emprunts"] == _sum(path, lambda x: _key(x) == "RI" and _debt(x["Nature"]))
    assert receipts["cessions"] == _sum(
        path, lambda x: x["CodRD"] == "R" and x["Nature"].startswith("775")
    )
    # Montreuil votes by function: spending by public policy, by top-level function
    spending = page.select_one("#budget-brief-spending")
    assert spending["data-by-function"] == "true"
    by_function = group_rows(page, "spending")
    assert sum(by_function.values(), ZERO) == now["DF"] + now["DI"] == group_total(page, "spending")
    for top in "0123456789":
        if top in by_function:
            assert by_function[top] == _sum(
                path, lambda x, t=top: x["CodRD"] == "D" and x.get("Fonction", "")[:1] == t
            )
    assert page.select_one("#budget-brief-spending-chart svg.budget-donut path")
    labels = page.select("#budget-brief-spending-chart svg text")
    assert labels and all(int(t["font-size"]) >= 12 for t in labels)

    # the data behind the donuts, every year: the groups each year's page shows, adding
    # up to that year's big numbers
    links = page.select_one("#budget-brief .budget-explorer-exports[data-table='brief']")
    csv_url = links.select_one("a.budget-export-csv")["href"]
    rows = list(csv.DictReader(io.StringIO(app.get(csv_url).get_data(as_text=True))))
    assert {(r["annee"], r["donnees"]) for r in rows} == {("2018", "realise"), ("2019", "realise")}
    for year, path in (("2018", MONTREUIL_2018), ("2019", MONTREUIL_2019)):
        shown = soup(app, page_url(montreuil, year=year))
        big = independent_sums.big_numbers(SAMPLES / path)
        for side, sens, keys in (("receipts", "recettes", "RI"), ("spending", "depenses", "DI")):
            mine = [r for r in rows if r["annee"] == year and r["sens"] == sens]
            amounts = {r["id"]: Decimal(r["montant"]) for r in mine}
            assert amounts == group_rows(shown, side)
            total = big[keys.replace("I", "F")] + big[keys]
            assert sum(amounts.values(), ZERO) == total == group_total(shown, side)
            operating, capital = (
                ("recettes_fonctionnement", "recettes_investissement")
                if sens == "recettes"
                else ("depenses_fonctionnement", "depenses_investissement")
            )
            figures = [
                Decimal(figure(shown, k).select_one(".budget-brief-amount")["data-value"])
                for k in (operating, capital)
            ]
            assert sum(figures, ZERO) == total
            assert all(
                Decimal(r["part"]) == (Decimal(r["montant"]) / total).quantize(Decimal("0.0001"))
                for r in mine
            )
        basis = {r["classement"] for r in rows if r["annee"] == year and r["sens"] == "depenses"}
        assert basis == {"fonction"}
    excel = app.get(links.select_one("a.budget-export-excel")["href"]).get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(excel.lstrip("\ufeff")), delimiter=";"))
    assert [r["montant"] for r in table] == [r["montant"].replace(".", ",") for r in rows]
    assert app.get(links.select_one("a.budget-export-json")["href"]).json["lignes"] == rows


@pytest.mark.parametrize("path", [CRACH_CA, MOHON])
def test_a_commune_without_functions_is_shown_by_nature(app: Any, path: str) -> None:
    name = path.split("/")[0] + "-brief"
    dataset = budget_dataset(name, (path,), title=name)
    page = soup(app, page_url(dataset))
    root = page.select_one("#budget-page")
    assert root["data-tree"] == "chapitre"
    level = page.select_one("#budget-year table.budget-explorer-table").get_text()
    assert "Not broken down by function" not in level
    spending = page.select_one("#budget-brief-spending")
    assert spending["data-by-function"] == "false"
    assert "does not vote by function" in spending.get_text()
    now = independent_sums.big_numbers(SAMPLES / path)
    groups = group_rows(page, "spending")
    assert sum(groups.values(), ZERO) == now["DF"] + now["DI"]
    assert groups["equipement"] == _sum(
        path,
        lambda x: (
            _key(x) == "DI"
            and x["Nature"].startswith(("20", "21", "23"))
            and not x["Nature"].startswith("204")
        ),
    )
    assert groups["remboursement_dette"] == _sum(
        path, lambda x: _key(x) == "DI" and _debt(x["Nature"])
    )
    assert groups["subventions_versees"] == _sum(
        path,
        lambda x: (
            (_key(x) == "DF" and x["Nature"].startswith("657"))
            or (_key(x) == "DI" and x["Nature"].startswith("204"))
        ),
    )
    assert groups["interets"] == _sum(
        path, lambda x: _key(x) == "DF" and x["Nature"].startswith("66")
    )
    receipts = group_rows(page, "receipts")
    assert sum(receipts.values(), ZERO) == now["RF"] + now["RI"]
    # one year only: nothing to compare with, and it says so
    change = figure(page, "recettes_fonctionnement").select_one(".budget-brief-change")
    assert not change.has_attr("data-value")
    assert "no previous year" in change.get_text()


def test_french_and_glossary(app: Any, montreuil: dict[str, Any]) -> None:
    page = soup(app, page_url(montreuil, lang="fr"))
    brief = page.select_one("#budget-brief")
    assert brief.h2.get_text().startswith("Le budget en bref")
    text = brief.get_text(" ", strip=True)
    assert "D'où vient l'argent" in text and "Où va l'argent" in text
    assert "par habitant" in figure(page, "recettes_fonctionnement").get_text()
    assert "Impôts et taxes" in page.select_one("#budget-brief-receipts-chart table").get_text()
    glossary = page.select_one("details#budget-glossary")
    terms = [dt.get_text(strip=True) for dt in glossary.select("dt")]
    assert "Compte administratif (CA)" in terms and "Épargne brute" in terms
    # the stage of the figures, explained where it is named
    assert page.select_one("#budget-brief details.budget-term[data-term='CA']")
    english = soup(app, page_url(montreuil))
    assert english.select_one("#budget-brief h2").get_text().startswith("The budget in brief")
    assert "Where the money comes from" in english.select_one("#budget-brief").get_text()


def test_dataset_page_has_the_short_version_linking_to_the_full_one(
    app: Any, montreuil: dict[str, Any]
) -> None:
    page = soup(app, f"/dataset/{montreuil['name']}")
    short = page.select_one("#budget-brief-short")
    assert short is not None
    assert short.h2.get_text().startswith("The budget in brief — 2019")
    now = independent_sums.big_numbers(SAMPLES / MONTREUIL_2019)
    amount = short.select_one("li[data-figure='recettes_fonctionnement'] .budget-brief-amount")
    assert Decimal(amount["data-value"]) == now["RF"]
    assert short.select_one("li[data-figure='recettes_fonctionnement'] .budget-brief-change")
    link = short.select_one("#budget-brief-short-link")["href"]
    assert link.endswith(f"/budget/{montreuil['name']}/explorer#budget-brief")


def test_receipts_and_spending_side_by_side_are_not_added_up(
    app: Any, montreuil: dict[str, Any]
) -> None:
    page = soup(app, page_url(montreuil, tree="chapitre"))
    table = page.select_one("#budget-year table.budget-explorer-table")
    assert len(table.select("tbody tr")) == 2  # Dépenses / Recettes
    assert table.select_one("tfoot") is None
    assert all(not tr.select("td")[-1].get_text(strip=True) for tr in table.select("tbody tr"))
    deeper = soup(app, page_url(montreuil, tree="chapitre", node="D"))
    assert deeper.select_one("#budget-year table.budget-explorer-table tfoot")
