"""« CSV (Excel) »: every CSV download the pages offer has a variant a French Excel opens
in columns (``;``, decimal comma, UTF-8 BOM), linked beside the standard CSV, with the
same columns and the same amounts."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action

from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db")

CRACH = ("crach/Crach_principal_CA_2021.xml", "crach/Crach_principal_BP_2022.xml")
DECIMAL = re.compile(r"[+-]?\d+\.\d+")


@pytest.fixture
def crach() -> dict[str, Any]:
    return budget_dataset("crach-excel", CRACH, title="Crach")


def soup(app: Any, url: str) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def key(url: str) -> tuple[str, frozenset]:
    """A link's path and parameters, without ``format=excel``."""
    parts = urlsplit(url)
    query = frozenset(parse_qsl(parts.query)) - {("format", "excel")}
    return parts.path, query


def standard_of(url: str) -> str:
    """The URL of the standard CSV an Excel link is the variant of (same parameters, in
    the same order: the comparison's columns follow the documents' order)."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query)
    assert ("format", "excel") in params, url
    query = [pair for pair in params if pair != ("format", "excel")]
    return parts.path + (f"?{urlencode(query)}" if query else "")


def check_pair(app: Any, page: BeautifulSoup, excel_link: Any) -> int:
    """The Excel variant of a standard CSV linked on the same page: BOM, ``;``, same
    columns and rows, amounts equal once parsed. Returns the number of amounts compared."""
    excel_url = excel_link["href"]
    standard_url = standard_of(excel_url)
    linked = {key(a["href"]) for a in page.select("a[href]") if a is not excel_link}
    assert key(excel_url) in linked, f"no standard CSV beside {excel_url}"
    standard = app.get(standard_url)
    excel = app.get(excel_url)
    assert standard.status_code == excel.status_code == 200, excel_url
    assert excel.headers["Content-Type"].startswith("text/csv")
    assert "excel" in excel.headers["Content-Disposition"]
    raw = excel.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), excel_url
    text = raw.decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    expected = list(csv.reader(io.StringIO(standard.get_data(as_text=True), newline="")))
    assert rows[0] == expected[0] and len(rows) == len(expected), excel_url
    amounts = 0
    for got, want in zip(rows[1:], expected[1:], strict=True):
        assert len(got) == len(want)
        for cell, original in zip(got, want, strict=True):
            if DECIMAL.fullmatch(original) and "," in cell:
                assert re.fullmatch(r"[+-]?\d+,\d+", cell), cell  # no thousands separator
                assert Decimal(cell.replace(",", ".")) == Decimal(original)
                amounts += 1
            else:
                assert cell in (original, "'" + original), (cell, original)
    return amounts


def excel_links(page: BeautifulSoup) -> list[Any]:
    links = page.select("a.budget-export-excel")
    assert links
    for link in links:
        assert link.get_text(strip=True) == "CSV (Excel)"
    return links


def test_every_csv_download_has_an_excel_variant(app: Any, crach: dict[str, Any]) -> None:
    resources = call_action("package_show", id=crach["id"])["resources"]
    ca_id = resources[0]["id"]  # uploaded first: the 2021 account
    name = crach["name"]
    pages = [
        f"/budget/{name}/explorer?year=2021&stage=realised&tree=chapitre&node=DF",
        f"/budget/{name}/explorer/analysis",
        f"/budget/{name}/resource/{ca_id}",
        f"/dataset/{name}/resource/{ca_id}/budget/annexes/emprunt",
        f"/dataset/{name}/resource/{ca_id}/budget/annexes/concours",
        f"/budget/compare?doc={resources[0]['id']}&doc={resources[1]['id']}",
    ]
    compared: dict[str, int] = {}
    for url in pages:
        page = soup(app, url)
        for link in excel_links(page):
            compared[link["href"]] = check_pair(app, page, link)
    kinds = {
        "explorer/data.csv": "budget page",
        "analysis/data.csv": "analysis",
        "compare/data.csv": "comparison",
        "budget/explorer/data.csv": "document explorer",
        "annexes/emprunt/data.csv": "loans",
        "annexes/concours/data.csv": "subsidies",
        "files/scdl-budget.csv": "SCDL",
    }
    for path, kind in kinds.items():
        found = [n for url, n in compared.items() if path in urlsplit(url).path]
        assert found, kind
        assert sum(found) > 0, kind  # amounts were compared, not only text


def test_excel_cells_quote_separators_and_keep_codes(app: Any) -> None:
    from ckanext.budget.web.downloads import excel_csv

    body = excel_csv('id,libelle,montant\n1.10,"Eau; assainissement ""bis""",-1234.50\n')
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [["id", "libelle", "montant"], ["1.10", 'Eau; assainissement "bis"', "-1234,50"]]
    assert b'"Eau; assainissement ""bis"""' in body
    formula = excel_csv("libelle,montant\n=HYPERLINK(1),2\n").decode("utf-8-sig")
    assert "'=HYPERLINK(1);2" in formula
