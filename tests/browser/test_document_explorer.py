"""The explorer view of one document, as a visitor uses it in Chromium: the big numbers,
drilling down through the table to a category's lines, another breakdown, the keyboard,
the embeddable variant inside another site's page, and French. Every page is checked
with axe-core and photographed under test-output/browser/."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Locator, Page, expect

from .browsing import Screenshots, amounts, assert_accessible
from .conftest import Site

DOCUMENT = "CA 2018"
MAX_DEPTH = 8
"""More levels than any default tree has: the drill-down loop cannot run forever."""


def explorer(page: Page) -> Locator:
    return page.locator("section.budget-explorer")


def biggest_row(section: Locator) -> tuple[Locator, str, Decimal]:
    """The table row with the largest amount (a category that has lines): its link, its
    label and its amount."""
    rows = section.locator("table.budget-explorer-table tbody tr")
    shown = amounts(rows.locator("td[data-amount]"))
    index = shown.index(max(shown, key=abs))
    link = rows.nth(index).locator("th a")
    return link, link.inner_text().strip(), shown[index]


def drill_into(page: Page, section: Locator) -> Decimal:
    """Follow the largest category's link; check the new level is that category and that
    its table (or its lines) adds up to the amount the parent showed."""
    link, label, amount = biggest_row(section)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(lambda url: url.endswith(href))
    expect(section.locator(".budget-explorer-path [aria-current=page]")).to_have_text(label)
    total = section.locator("table tfoot td[data-amount]")
    assert amounts(total) == [amount]
    if section.locator("table.budget-explorer-table").count():
        rows = section.locator("table.budget-explorer-table tbody td[data-amount]")
        assert sum(amounts(rows)) == amount
        bars = section.locator("figure.budget-explorer-chart svg[role=img] > g")
        expect(bars).to_have_count(rows.count())
    return amount


def test_big_numbers_then_two_levels_down_to_a_categorys_lines(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.goto(site.montreuil.resource_url(DOCUMENT))
    section = explorer(page)
    expect(section.locator("h2")).to_have_text("Administrative account 2018 — realised")
    numbers = section.locator(".budget-big-numbers li")
    expect(numbers).to_have_count(4)
    for i, words in enumerate(
        ("Operating receipts", "Operating spending", "Capital receipts", "Capital spending")
    ):
        expect(numbers.nth(i)).to_contain_text(words)
        expect(numbers.nth(i).locator(".budget-big-number")).to_have_text(re.compile(r"€\d"))
    shots(page, "document")
    assert_accessible(page)

    drill_into(page, section)
    shots(page, "level-1")
    drill_into(page, section)
    shots(page, "level-2")
    assert_accessible(page)
    path = section.locator(".budget-explorer-path li")
    expect(path).to_have_count(3)

    lines = section.locator("table.budget-explorer-lines")
    for _ in range(MAX_DEPTH):
        if lines.count():
            break
        drill_into(page, section)
    expect(lines.locator("caption")).to_contain_text("Budget lines of")
    assert len(amounts(lines.locator("tbody td[data-amount]"))) > 0
    shots(page, "lines")
    assert_accessible(page)

    section.locator(".budget-explorer-path li").first.get_by_role("link").click()
    expect(page).not_to_have_url(re.compile(r"[?&]node="))
    expect(section.locator("table.budget-explorer-table tbody tr")).to_have_count(2)


def test_switching_to_the_breakdown_by_chapter(page: Page, site: Site, shots: Screenshots) -> None:
    page.goto(site.montreuil.resource_url(DOCUMENT))
    section = explorer(page)
    breakdown = section.get_by_role("navigation", name="Breakdown")
    expect(breakdown.locator("[aria-current=true]")).to_have_text("By function")
    by_function = section.locator("table.budget-explorer-table caption").inner_text()

    breakdown.get_by_role("link", name="By chapter (nature)").click()
    expect(page).to_have_url(re.compile(r"[?&]tree=chapitre"))
    expect(breakdown.locator("[aria-current=true]")).to_have_text("By chapter (nature)")
    expect(section.locator("table.budget-explorer-table caption")).not_to_have_text(by_function)
    expect(breakdown.get_by_role("link", name="By function")).to_be_visible()
    shots(page, "by-chapter")
    drill_into(page, section)
    expect(page).to_have_url(re.compile(r"[?&]tree=chapitre"))
    shots(page, "by-chapter-level-1")
    assert_accessible(page)


def test_keyboard_reaches_the_drill_down_links_with_a_visible_focus(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.goto(site.montreuil.resource_url(DOCUMENT))
    in_table = "() => !!document.activeElement.closest('table.budget-explorer-table')"
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate(in_table):
            break
    assert page.evaluate(in_table), "Tab never reached the explorer's table"
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("href", re.compile(r"[?&]node="))
    indicator = focused.evaluate(
        """el => { const s = getComputedStyle(el);
            return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                    shadow: s.boxShadow !== 'none'}; }"""
    )
    assert indicator["outline"] or indicator["shadow"], "the focused link shows no focus"
    label = focused.inner_text().strip()
    shots(page, "focus")

    page.keyboard.press("Enter")
    expect(explorer(page).locator(".budget-explorer-path [aria-current=page]")).to_have_text(label)


def test_embed_code_puts_the_explorer_in_another_sites_page(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.goto(site.montreuil.resource_url(DOCUMENT))
    section = explorer(page)
    section.locator("details.budget-explorer-embed summary").click()
    code = section.get_by_label("Code to copy:")
    expect(code).to_be_visible()
    shots(page, "embed-code")
    snippet = code.input_value()
    assert snippet.startswith(f'<iframe src="{site.url}/dataset/')

    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>A newspaper</title></head>'
        f"<body><main><h1>The town's budget</h1>{snippet}</main></body></html>"
    )
    frame = page.frame_locator("iframe")
    expect(frame.locator("h2")).to_have_text("Administrative account 2018 — realised")
    expect(frame.locator(".budget-big-numbers li")).to_have_count(4)
    assert frame.locator("header, footer").count() == 0
    link, label, _ = biggest_row(frame.locator("body"))
    link.click()
    expect(frame.locator(".budget-explorer-path [aria-current=page]")).to_have_text(label)
    embedded = page.frames[1]
    assert "/budget/explorer/embed" in embedded.url and "node=" in embedded.url
    shots(page, "embedded")

    page.goto(embedded.url)
    assert_accessible(page)


def test_french_visitor_reads_the_explorer_in_french(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.goto(site.montreuil.resource_url(DOCUMENT, lang="fr"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    section = explorer(page)
    expect(section.locator("h2")).to_have_text("Compte administratif 2018 — réalisé")
    expect(section.locator(".budget-big-numbers")).to_contain_text("Dépenses de fonctionnement")
    categories = section.locator("table.budget-explorer-table tbody th")
    expect(categories).to_have_text(["Dépenses", "Recettes"])
    shots(page, "document")
    assert_accessible(page)

    drill_into(page, section)
    expect(page).to_have_url(re.compile(r"^[^?]*/fr/dataset/"))
    shots(page, "level-1")
