"""The comparison page for a journalist: documents named in full (short in the chart),
amounts per inhabitant (and said when the population is unknown), and the median of a
reference group — the portal's other authorities of the same OFGL population class and
norm, same year and stage — at every level, never counting a dataset the visitor cannot
see. Expected medians are computed here from each member's stored aggregation."""

from __future__ import annotations

import csv
import io
import re
import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from babel.numbers import format_currency
from bs4 import BeautifulSoup
from ckan.tests import factories

from ckanext.budget.docbudg.validation.siret import luhn_valid
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service

from .budget_pages import budget_dataset, children_amounts, stored_node
from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")
CENT = Decimal("0.01")
CRACH = "crach/Crach_principal_CA_2021.xml"


def siret(prefix: str) -> str:
    """A valid SIRET (Luhn) starting with ``prefix``."""
    for last in range(100):
        candidate = f"{prefix}{last:02d}"
        if luhn_valid(candidate):
            return candidate
    raise AssertionError(prefix)


def variant(name: str, prefix: str, population: int | None, factor: int) -> bytes:
    """Crach's CA 2021 as another authority: its SIRET, name, population, and every
    realised amount multiplied by ``factor``."""
    text = sample_bytes(CRACH).decode("iso-8859-1")
    number = siret(prefix)
    text = re.sub(r'<(IdColl|IdEtab) V="\d+"/>', rf'<\1 V="{number}"/>', text)
    text = text.replace('<LibelleColl V="CRACH"/>', f'<LibelleColl V="{name}"/>')
    if population is None:
        text = re.sub(r'<Information Code="PopTot" V="[^"]*"/>', "", text)
    else:
        text = re.sub(
            r'<Information Code="PopTot" V="[^"]*"/>',
            f'<Information Code="PopTot" V="{population}"/>',
            text,
        )
    text = re.sub(
        r'<MtReal V="(-?[\d.]+)"/>',
        lambda m: f'<MtReal V="{Decimal(m.group(1)) * factor:.2f}"/>',
        text,
    )
    return text.encode("iso-8859-1")


def upload(name: str, data: bytes, **fields: Any) -> db.BudgetDocumentRecord:
    dataset = budget_dataset(name, (), title=name.capitalize(), **fields)
    upload_resource(dataset["id"], data, f"{name}.xml")
    return db.documents_for_package(dataset["id"])[0]


@pytest.fixture
def portal() -> dict[str, Any]:
    """Crach (3,446 inhabitants, M14) and four other communes of 2,000–3,500 inhabitants
    (one private), one of another class, one without population."""
    member = factories.UserWithToken()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    found: dict[str, Any] = {"member": member}
    found["crach"] = db.documents_for_package(
        budget_dataset("crach", (CRACH,), title="Crach")["id"]
    )[0]
    found["a"] = upload("commune-a", variant("COMMUNE A", "111111111000", 2_500, 2))
    found["b"] = upload("commune-b", variant("COMMUNE B", "222222222000", 3_000, 3))
    found["private"] = upload(
        "commune-privee", variant("COMMUNE P", "333333333000", 2_100, 10), org=org, private=True
    )
    found["large"] = upload("commune-grande", variant("COMMUNE G", "444444444000", 5_000, 5))
    found["nopop"] = upload("commune-sans", variant("COMMUNE S", "555555555000", None, 4))
    populations = {k: found[k].indicators.get("population") for k in ("a", "b", "large")}
    assert populations == {"a": 2_500, "b": 3_000, "large": 5_000}
    return found


def page(app: Any, ids: list[str], user: dict | None = None, **params: str) -> BeautifulSoup:
    query = "&".join([*(f"doc={i}" for i in ids), *(f"{k}={v}" for k, v in params.items())])
    headers = {"Authorization": user["token"]} if user else {}
    response = app.get(f"/budget/compare?{query}", headers=headers)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def expected(
    members: list[db.BudgetDocumentRecord], tree: str, node: str | None
) -> dict[str, tuple[Decimal, Decimal]]:
    """Each category's (median, median per inhabitant) over ``members``, zero when a
    member has no such category."""
    amounts = [children_amounts(m.resource_id, tree, node) for m in members]
    populations = [m.indicators["population"] for m in members]
    out = {}
    for category in {k for a in amounts for k in a}:
        values = [a.get(category, Decimal(0)) for a in amounts]
        heads = [
            (v / p).quantize(CENT, ROUND_HALF_UP) for v, p in zip(values, populations, strict=True)
        ]
        out[category] = (
            Decimal(statistics.median(values)).quantize(CENT, ROUND_HALF_UP),
            Decimal(statistics.median(heads)).quantize(CENT, ROUND_HALF_UP),
        )
    return out


def medians_shown(soup: BeautifulSoup) -> dict[str, tuple[Decimal, Decimal]]:
    out = {}
    for tr in soup.select("table.budget-compare-table tbody tr"):
        cells = tr.select("td.budget-compare-median")
        out[tr["data-id"]] = (
            Decimal(cells[0]["data-median"]),
            Decimal(cells[1]["data-median-head"]),
        )
    return out


def test_median_of_the_same_class_and_norm_at_every_level(app: Any, portal) -> None:
    crach = portal["crach"].resource_id
    soup = page(app, [crach])
    note = soup.select_one("#budget-compare-reference")
    label = "Median of the portal's municipalities with 2,000 to 3,500 inhabitants, M14 (n = 2)"
    assert label in note.get_text(" ", strip=True)
    assert soup.select_one(".budget-compare-reference-heading").get_text(strip=True) == label
    members = [portal["a"], portal["b"]]
    shown = medians_shown(soup)
    wanted = expected(members, "fonction", None)
    assert shown and all(shown[k] == wanted[k] for k in shown)
    # a median, not one member's figure nor Crach's: the middle of ×2 and ×3
    some = next(k for k, v in wanted.items() if v[0])
    crach_amount = children_amounts(crach, "fonction", None)[some]
    assert shown[some][0] == (crach_amount * Decimal("2.5")).quantize(CENT, ROUND_HALF_UP)

    # the totals table: the median of the members' big numbers
    for key in ("RF", "DF", "RI", "DI"):
        big = [service.result(service.stored(m.resource_id)).big_numbers[key] for m in members]
        cell = soup.select_one(f"table.budget-compare-totals tr[data-id='{key}'] td[data-median]")
        assert Decimal(cell["data-median"]) == Decimal(statistics.median(big)).quantize(
            CENT, ROUND_HALF_UP
        )

    # one level down, in the chapters tree: the same group, medians of the sub-categories
    down = page(app, [crach], tree="chapitre", node="DF")
    assert down.select_one("#budget-compare")["data-node"] == "DF"
    shown = medians_shown(down)
    wanted = expected(members, "chapitre", "DF")
    assert shown and all(shown[k] == wanted[k] for k in shown)
    total = down.select("table.budget-compare-table tfoot td.budget-compare-median")
    totals = [stored_node(m.resource_id, "chapitre", "DF").amount for m in members]
    assert Decimal(total[0]["data-median"]) == Decimal(statistics.median(totals)).quantize(
        CENT, ROUND_HALF_UP
    )

    # the exports carry the group's column, named in full
    csv_url = down.select_one(
        ".budget-explorer-exports[data-table='categories'] a.budget-export-csv"
    )
    rows = list(csv.DictReader(io.StringIO(app.get(csv_url["href"]).get_data(as_text=True))))
    assert {r["id"]: Decimal(r[label]) for r in rows} == {k: v[0] for k, v in shown.items()}


def test_a_private_dataset_counts_only_for_who_may_see_it(app: Any, portal) -> None:
    crach = portal["crach"].resource_id
    anonymous = page(app, [crach]).select_one("#budget-compare-reference").get_text()
    assert "(n = 2)" in anonymous
    member = page(app, [crach], user=portal["member"])
    assert "(n = 3)" in member.select_one("#budget-compare-reference").get_text()
    wanted = expected([portal["a"], portal["b"], portal["private"]], "fonction", None)
    shown = medians_shown(member)
    assert shown and all(shown[k] == wanted[k] for k in shown)
    outsider = factories.UserWithToken()
    assert (
        "(n = 2)"
        in page(app, [crach], user=outsider).select_one("#budget-compare-reference").get_text()
    )


def test_compared_documents_leave_the_group_and_unknown_population_is_said(
    app: Any, portal
) -> None:
    crach, a = portal["crach"].resource_id, portal["a"].resource_id
    soup = page(app, [crach, a])
    assert "(n = 1)" in soup.select_one("#budget-compare-reference").get_text()
    nopop = portal["nopop"].resource_id
    soup = page(app, [nopop, crach])  # the second document still gets its group
    missing = soup.select("#budget-compare-reference .budget-compare-reference-missing")
    assert [m.get_text(" ", strip=True)[:12] for m in missing] == ["Document 1 —"]
    assert "population" in missing[0].get_text()
    group = soup.select_one("#budget-compare-reference li.budget-compare-reference")
    assert group["data-documents"] == "2" and group["data-count"] == "2"
    assert (
        soup.select_one(".budget-compare-reference-heading")
        .get_text(strip=True)
        .endswith("(n = 2) — document 2")
    )
    items = soup.select("#budget-compare-documents li")
    assert items[0].select_one(".budget-compare-population-unknown") is not None
    assert items[1].select_one(".budget-compare-population-unknown") is None
    soup = page(app, [nopop])
    assert soup.select_one("#budget-compare-reference") is None
    assert "population" in soup.select_one("#budget-compare-reference-none").get_text()


def first_bar(soup: BeautifulSoup) -> str:
    """The title of the first category's bar of document 1 (after the legend's)."""
    return next(
        t.get_text()
        for t in soup.select("#budget-compare-chart svg g title")
        if " — 1. " in t.get_text()
    )


def test_names_in_full_short_in_the_chart_and_per_inhabitant(app: Any, portal) -> None:
    montreuil = budget_dataset(
        "montreuil", ("montreuil/Montreuil_CA_2018.xml.gz",), title="Montreuil — budget principal"
    )
    record = db.documents_for_package(montreuil["id"])[0]
    crach = portal["crach"].resource_id
    soup = page(app, [record.resource_id, crach], unit="inhabitant")
    full = "Montreuil — budget principal — Administrative account 2018 — VILLE DE MONTREUIL"
    headings = [
        th.get_text(" ", strip=True)
        for th in soup.select("table.budget-compare-table th.budget-compare-heading")
    ]
    assert headings[0] == f"1. {full}"
    assert headings[1] == "2. Crach — Administrative account 2021"
    assert full in soup.select_one("table.budget-compare-table caption").get_text()
    legend = [
        t.get_text(" ", strip=True) for t in soup.select("#budget-compare-chart svg > g > text")
    ]
    assert legend[:2] == ["1. Montreuil CA 2018", "2. Crach CA 2021"]
    assert not any("…" in h for h in headings)
    # the chart draws amounts per inhabitant
    assert soup.select_one("#budget-unit-nav a[aria-current]")["data-unit"] == "inhabitant"
    row = soup.select_one("table.budget-compare-table tbody tr")
    head = row.select_one(f"td[data-resource='{record.resource_id}']").find_next_sibling("td")
    bar = first_bar(soup)
    assert head.get_text(strip=True) in bar
    assert (
        format_currency(
            Decimal(row.select_one(f"td[data-resource='{record.resource_id}']")["data-amount"]),
            "EUR",
            locale="en_GB",
        )
        not in bar
    )
    euros = page(app, [record.resource_id, crach])
    bar = first_bar(euros)
    row = euros.select_one("table.budget-compare-table tbody tr")
    amount = Decimal(row.select_one(f"td[data-resource='{record.resource_id}']")["data-amount"])
    assert format_currency(amount, "EUR", locale="en_GB") in bar


def test_each_size_class_gets_its_own_group(app: Any, portal) -> None:
    """Crach (2,000–3,500 inhabitants) beside a commune of 5,000: each is set beside the
    median of its own class, named with the document it belongs to, on the page and in
    the exports (the old page gave every document the first one's group)."""
    medium = [
        upload("commune-m1", variant("COMMUNE M1", "666666666000", 6_000, 6)),
        upload("commune-m2", variant("COMMUNE M2", "777777777000", 8_000, 7)),
    ]
    crach, large = portal["crach"].resource_id, portal["large"].resource_id
    soup = page(app, [crach, large])
    small_label = (
        "Median of the portal's municipalities with 2,000 to 3,500 inhabitants, M14 (n = 2)"
    )
    large_label = (
        "Median of the portal's municipalities with 3,500 to 10,000 inhabitants, M14 (n = 2)"
    )
    groups = {
        li["data-documents"]: li.get_text(" ", strip=True)
        for li in soup.select("#budget-compare-reference li.budget-compare-reference")
    }
    assert groups == {
        "1": f"Reference of document 1: {small_label}",
        "2": f"Reference of document 2: {large_label}",
    }
    headings = [
        th.get_text(strip=True)
        for th in soup.select("table.budget-compare-table .budget-compare-reference-heading")
    ]
    assert headings == [f"{small_label} — document 1", f"{large_label} — document 2"]

    wanted = {
        "1": expected([portal["a"], portal["b"]], "fonction", None),
        "2": expected(medium, "fonction", None),
    }
    shown: dict[str, dict[str, tuple[Decimal, Decimal]]] = {"1": {}, "2": {}}
    for tr in soup.select("table.budget-compare-table tbody tr"):
        for number in shown:
            cells = tr.select(f"td.budget-compare-median[data-documents='{number}']")
            shown[number][tr["data-id"]] = (
                Decimal(cells[0]["data-median"]),
                Decimal(cells[1]["data-median-head"]),
            )
    for number in shown:
        assert shown[number] and all(shown[number][k] == wanted[number][k] for k in shown[number])
    assert shown["1"] != shown["2"]
    # the totals: each group's median of its members' big numbers
    for key in ("RF", "DF"):
        cells = soup.select(f"table.budget-compare-totals tr[data-id='{key}'] td[data-median]")
        for cell, members in zip(cells, ([portal["a"], portal["b"]], medium), strict=True):
            big = [service.result(service.stored(m.resource_id)).big_numbers[key] for m in members]
            assert Decimal(cell["data-median"]) == Decimal(statistics.median(big)).quantize(
                CENT, ROUND_HALF_UP
            )

    # the exports: one column per group, named with its document
    csv_url = soup.select_one(
        ".budget-explorer-exports[data-table='categories'] a.budget-export-csv"
    )["href"]
    rows = list(csv.DictReader(io.StringIO(app.get(csv_url).get_data(as_text=True))))
    for number, label in (("1", small_label), ("2", large_label)):
        column = f"{label} — document {number}"
        assert {r["id"]: Decimal(r[column]) for r in rows} == {
            k: v[0] for k, v in shown[number].items()
        }
    body = app.get(csv_url.replace("data.csv", "data.json")).json
    assert [(g["libelle"], g["effectif"], g["documents"]) for g in body["references"]] == [
        (f"{small_label} — document 1", 2, [crach]),
        (f"{large_label} — document 2", 2, [large]),
    ]
