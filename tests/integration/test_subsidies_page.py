"""The subsidies search of a budget: the grants of every year equal the CONCOURS
records of the XML (read here independently), text search ignoring case and accents,
year filter, largest first, totals per year, exports equal to the search; a natural
person is never named nor findable; a private dataset is not found by outsiders."""

from __future__ import annotations

import csv
import io
import unicodedata
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories

from ..fixtures.privacy import KEPT, PLANTED, make_document_with_personal_data
from .budget_pages import budget_dataset
from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")
YEARS = (2018, 2019)
NS = "{http://www.minefi.gouv.fr/cp/demat/docbudgetaire}"


def fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()


def concours(year: int) -> list[dict[str, str]]:
    """The CONCOURS records of Montreuil's CA, straight from the XML."""
    root = ET.fromstring(sample_bytes(f"montreuil/Montreuil_CA_{year}.xml.gz"))
    out = []
    for record in root.iter(f"{NS}CONCOURS"):
        fields = {child.tag.removeprefix(NS): child.get("V", "") for child in record}
        out.append({**fields, "year": str(year)})
    return out


@pytest.fixture
def montreuil() -> dict[str, Any]:
    files = tuple(f"montreuil/Montreuil_CA_{year}.xml.gz" for year in YEARS)
    return budget_dataset("montreuil", files, title="Montreuil — budget principal")


def get(app: Any, url: str, **headers: str) -> BeautifulSoup:
    response = app.get(url, headers=headers)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def exported(app: Any, soup: BeautifulSoup) -> list[dict[str, str]]:
    url = soup.select_one(".budget-explorer-exports a.budget-export-csv")["href"]
    return list(csv.DictReader(io.StringIO(app.get(url).get_data(as_text=True))))


def test_every_year_equals_the_xml_largest_first(app: Any, montreuil) -> None:
    records = [r for year in YEARS for r in concours(year)]
    page = get(app, "/budget/montreuil/explorer/subsidies")
    for year in YEARS:
        mine = [r for r in records if r["year"] == str(year)]
        row = page.select_one(f"table.budget-subsidies-totals tr[data-year='{year}']")
        assert int(row.select_one("td[data-count]")["data-count"]) == len(mine)
        assert Decimal(row.select_one("td[data-amount]")["data-amount"]) == sum(
            Decimal(r["MtSubv"]) for r in mine
        )
    assert int(page.select_one("#budget-subsidies-count")["data-count"]) == len(records)

    rows = exported(app, page)
    amounts = [Decimal(r["montant"]) for r in rows]
    assert amounts == sorted(amounts, reverse=True)
    people = [r for r in records if r.get("CodNatJurBenefCA") == "P3"]
    organisations = [r for r in records if r.get("CodNatJurBenefCA") != "P3"]
    assert people and organisations
    shown = sorted((r["annee"], r["beneficiaire"], Decimal(r["montant"])) for r in rows)
    expected = sorted(
        [(r["year"], r["LibOrgaBenef"].strip(), Decimal(r["MtSubv"])) for r in organisations]
        + [(r["year"], "", Decimal(r["MtSubv"])) for r in people]
    )
    assert shown == expected
    # the page shows the first hundred, the largest, with the same figures
    cells = page.select("table.budget-subsidies-table td[data-amount]")
    assert [Decimal(td["data-amount"]) for td in cells] == amounts[:100]
    assert len(page.select("table.budget-subsidies-table td.budget-withheld")) == sum(
        1 for r in rows[:100] if not r["beneficiaire"]
    )


def test_search_ignores_accents_and_filters_the_year(app: Any, montreuil) -> None:
    records = concours(2019)

    def matches(record: dict[str, str]) -> bool:
        if record.get("CodNatJurBenefCA") == "P3":
            return False
        objet = record.get("ObjSubv") or record.get("DenomOuNumSubv") or ""
        return "ecole" in fold(f"{record['LibOrgaBenef']} {objet}")

    wanted = [r for r in records if matches(r)]
    assert wanted
    for query in ("ecole", "ÉCOLE"):
        page = get(app, f"/budget/montreuil/explorer/subsidies?q={query}&year=2019")
        assert page.select_one("#budget-subsidies-year option[selected]")["value"] == "2019"
        rows = exported(app, page)
        assert sorted((r["beneficiaire"], Decimal(r["montant"])) for r in rows) == sorted(
            (r["LibOrgaBenef"].strip(), Decimal(r["MtSubv"])) for r in wanted
        )
        assert {r["annee"] for r in rows} == {"2019"}
        totals = page.select("table.budget-subsidies-totals tbody tr")
        assert [tr["data-year"] for tr in totals] == ["2019"]
        json_url = page.select_one(".budget-explorer-exports a.budget-export-json")["href"]
        body = app.get(json_url).json
        assert body["lignes"] == rows and body["annee"] == 2019
        assert Decimal(body["totaux"][0]["montant"]) == sum(Decimal(r["MtSubv"]) for r in wanted)


def test_the_budget_page_links_to_the_search(app: Any, montreuil) -> None:
    page = get(app, "/budget/montreuil/explorer")
    link = page.select_one("#budget-subsidies-link")
    assert link["href"].endswith("/budget/montreuil/explorer/subsidies")


def test_a_person_is_neither_shown_nor_findable(app: Any) -> None:
    dataset = budget_dataset("exemple", (), title="Commune exemple")
    upload_resource(dataset["id"], make_document_with_personal_data(), "CA_2022.xml")
    names = [PLANTED["concours_p3"], PLANTED["concours_nocode"], PLANTED["concours_civility"]]
    everything = get(app, "/budget/exemple/explorer/subsidies")
    text = everything.get_text(" ")
    assert KEPT["organisation"] in text and KEPT["organisation_p1"] in text
    csv_text = app.get("/budget/exemple/explorer/subsidies/data.csv").get_data(as_text=True)
    for name in names:
        surname = name.split()[0] if name.split()[0].isupper() else name.split()[-1]
        assert surname not in text and surname not in csv_text
        found = get(app, f"/budget/exemple/explorer/subsidies?q={surname}")
        assert found.select_one("#budget-subsidies-count")["data-count"] == "0"
    assert int(everything.select_one("#budget-subsidies-count")["data-count"]) == 5
    assert len(everything.select("td.budget-withheld")) == 3
    found = get(app, "/budget/exemple/explorer/subsidies?q=patrimoine")
    assert [td["data-amount"] for td in found.select("td[data-amount]")][-1] == "1500.00"


def test_a_private_dataset_is_not_found_by_outsiders(app: Any) -> None:
    member = factories.UserWithToken()
    outsider = factories.UserWithToken()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    budget_dataset(
        "secret", ("crach/Crach_principal_CA_2021.xml",), org=org, private=True, title="Secret"
    )
    for suffix in ("", "/embed", "/data.csv", "/data.json"):
        url = f"/budget/secret/explorer/subsidies{suffix}"
        assert app.get(url).status_code == 404, url
        assert app.get(url, headers={"Authorization": outsider["token"]}).status_code == 404
        assert app.get(url, headers={"Authorization": member["token"]}).status_code == 200


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_in_french(app: Any, montreuil) -> None:
    page = get(app, "/budget/montreuil/explorer/subsidies?year=2018")
    assert (
        page.select_one("#budget-subsidies-heading").get_text().startswith("Subventions accordées")
    )
    assert "Totaux par année" in page.get_text()
