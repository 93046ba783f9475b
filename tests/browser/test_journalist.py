"""A journalist's short journey in Chromium: from the budget page to the subsidies
search (a query typed with an accent, a year chosen), then two years compared per
inhabitant, each document named in full in headings the page does not cut."""

from __future__ import annotations

import unicodedata

from playwright.sync_api import Page, expect

from .browsing import Screenshots, assert_accessible
from .conftest import Site


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def test_search_subsidies_then_compare_per_inhabitant(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.goto(f"/budget/{site.montreuil.name}/explorer")
    page.locator("#budget-subsidies-link").click()
    page.locator("#budget-subsidies-q").fill("École")
    page.locator("#budget-subsidies-year").select_option("2019")
    page.locator("#budget-subsidies-form button[type=submit]").click()
    expect(page.locator("#budget-subsidies-year option[selected]")).to_have_attribute(
        "value", "2019"
    )
    rows = page.locator("table.budget-subsidies-table tbody tr")
    assert rows.count() > 0
    for text in rows.all_inner_texts():
        assert "2019" in text and "ecole" in fold(text)
    shots(page, "subsidies")
    assert_accessible(page)

    ids = [site.montreuil.documents[f"CA {year}"]["id"] for year in (2018, 2019)]
    page.goto("/budget/compare?" + "&".join(f"doc={i}" for i in ids) + "&unit=inhabitant")
    expect(page.locator("#budget-unit-nav a[aria-current=page]")).to_have_attribute(
        "data-unit", "inhabitant"
    )
    headings = page.locator("table.budget-compare-table th.budget-compare-heading")
    expect(headings.first).to_contain_text("Administrative account 2018")
    for i in range(headings.count()):
        cut = headings.nth(i).evaluate("el => el.scrollWidth > el.clientWidth + 1")
        assert not cut, headings.nth(i).inner_text()
    shots(page, "compare-per-inhabitant")
    assert_accessible(page)
