"""The budget page of a dataset (every document over the years), as a visitor uses it in
Chromium: drilling down, switching the year and the stage (voted or realised), the
comparison of the accounts, and the embeddable variant inside another site's page.
Every page is checked with axe-core and photographed under test-output/browser/."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Locator, Page, expect

from .browsing import Screenshots, amounts, assert_accessible
from .conftest import MONTREUIL_YEARS, Site

REALISED = "Realised (account)"
VOTED = "Voted (budget and amendments)"


def budget_page_url(dataset: str, **params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/budget/{dataset}/explorer" + (f"?{query}" if query else "")


def state(page: Page) -> dict[str, str]:
    """What the page says it shows (its ``data-*`` attributes): year, stage, tree, node."""
    return page.locator("#budget-page").evaluate("el => ({...el.dataset})")


def exact_big_numbers(section: Locator) -> list[str]:
    return [t.strip() for t in section.locator(".budget-exact-amount").all_inner_texts()]


def drill_into(page: Page) -> Decimal:
    """Follow the largest category of the year's table; check the new level is that
    category, the year and stage are kept, and its parts add up to the amount shown."""
    before = state(page)
    rows = page.locator("#budget-year table.budget-explorer-table tbody tr")
    shown = amounts(rows.locator("td[data-amount]"))
    index = shown.index(max(shown, key=abs))
    link = rows.nth(index).locator("th a")
    label, href = link.inner_text().strip(), link.get_attribute("href")
    link.click()
    page.wait_for_url(lambda url: url.endswith(href))
    expect(page.locator("#budget-path-nav [aria-current=page]")).to_have_text(label)
    after = state(page)
    assert (after["year"], after["stage"]) == (before["year"], before["stage"])
    assert after["node"]
    table = page.locator("#budget-year table.budget-explorer-table")
    total = table.locator("tfoot td[data-amount]")
    parts = total if total.count() else table.locator("tbody td[data-amount]")
    assert sum(amounts(parts)) == shown[index]
    return shown[index]


def test_drill_down_two_levels_then_another_year(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.goto(site.montreuil.resource_url("CA 2018"))
    document_numbers = exact_big_numbers(page.locator("section.budget-explorer"))

    page.goto(budget_page_url(site.montreuil.name))
    years = page.get_by_role("navigation", name="Year").get_by_role("link")
    expect(years).to_have_text([str(y) for y in MONTREUIL_YEARS])
    expect(years.last).to_have_attribute("aria-current", "page")
    stages = page.get_by_role("navigation", name="Stage")
    expect(stages.get_by_role("link", name=REALISED)).to_have_attribute("aria-current", "page")
    expect(stages.get_by_role("link", name=VOTED)).to_have_count(0)
    expect(page.locator("#budget-year-heading")).to_have_text(f"2021 — {REALISED}")
    expect(page.locator("#budget-year .budget-big-numbers li")).to_have_count(4)
    evolution_years = page.locator("#budget-evolution table.budget-evolution-table").first
    expect(evolution_years.locator("thead th a")).to_have_text([str(y) for y in MONTREUIL_YEARS])
    shots(page, "budget-page")
    assert_accessible(page)

    drill_into(page)
    shots(page, "level-1")
    drill_into(page)
    shots(page, "level-2")
    node = state(page)["node"]

    years.filter(has_text="2018").click()
    expect(page.locator("#budget-year-heading")).to_have_text(f"2018 — {REALISED}")
    expect(page).to_have_url(re.compile(r"[?&]year=2018"))
    assert (state(page)["year"], state(page)["node"]) == ("2018", node)
    assert exact_big_numbers(page.locator("#budget-year")) == document_numbers
    shots(page, "2018")
    assert_accessible(page)


def test_crach_2021_voted_against_realised(page: Page, site: Site, shots: Screenshots) -> None:
    page.goto(budget_page_url(site.crach.name, year=2021))
    stages = page.get_by_role("navigation", name="Stage")
    expect(stages.get_by_role("link", name=REALISED)).to_have_attribute("aria-current", "page")
    expect(page.locator("#budget-year-documents a")).to_have_text(["Administrative account 2021"])
    realised_rows = page.locator("#budget-year table.budget-explorer-table tbody tr")
    realised = dict(
        zip(
            [t.strip() for t in realised_rows.locator("th").all_inner_texts()],
            amounts(realised_rows.locator("td[data-amount]")),
            strict=True,
        )
    )
    realised_numbers = exact_big_numbers(page.locator("#budget-year"))
    shots(page, "realised")

    stages.get_by_role("link", name=VOTED).click()
    expect(page.locator("#budget-year-heading")).to_have_text(f"2021 — {VOTED}")
    expect(page).to_have_url(re.compile(r"[?&]stage=voted"))
    assert (state(page)["year"], state(page)["stage"]) == ("2021", "voted")
    # Voted is the credits after the latest decision (DM3), checked against DM2.
    expect(page.locator("#budget-year-documents a")).to_have_count(1)
    expect(page.locator("#budget-year-documents")).to_contain_text("Amending budget no. 3 2021")
    expect(page.locator("#budget-voted-checked")).to_contain_text("Amending budget no. 2 2021")
    expect(page.locator("#budget-no-primitive")).to_be_visible()
    assert exact_big_numbers(page.locator("#budget-year")) != realised_numbers

    execution = page.locator("#budget-execution table.budget-execution-table")
    expect(execution.locator("thead th")).to_have_text(
        ["Category", "Voted", "Realised", "Execution rate"]
    )
    rows = execution.locator("tbody tr")
    for i in range(rows.count()):
        label = rows.nth(i).locator("th").inner_text().strip()
        realised_cell = rows.nth(i).locator("td").nth(1)
        assert amounts(realised_cell) == [realised[label]], label
    shots(page, "voted")
    assert_accessible(page)

    page.get_by_role("navigation", name="Year").get_by_role("link", name="2022").click()
    expect(page.locator("#budget-year-heading")).to_have_text(f"2022 — {VOTED}")
    expect(stages.get_by_role("link", name=REALISED)).to_have_count(0)
    expect(stages.locator(".budget-unavailable[data-stage=realised]")).to_contain_text(
        "no document for 2022"
    )
    expect(page.locator("#budget-execution table")).to_have_count(0)
    shots(page, "2022")


def test_compare_the_accounts_from_the_budget_page(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.goto(budget_page_url(site.montreuil.name))
    page.locator("#budget-compare-link").click()
    expect(page.locator("#budget-compare-heading")).to_be_visible()
    documents = page.locator("#budget-compare-documents li")
    expect(documents).to_have_count(len(MONTREUIL_YEARS))
    expect(documents.first).to_contain_text("2016")
    receipts = page.locator("table.budget-compare-totals tr[data-id=RF] td[data-amount]")
    expect(receipts).to_have_count(len(MONTREUIL_YEARS))
    shots(page, "compare")
    assert_accessible(page)

    link = page.locator("table.budget-compare-table tbody th a").first
    label = link.inner_text().strip()
    link.click()
    expect(page.locator("#budget-path-nav [aria-current=page]")).to_have_text(label)
    expect(page.locator("#budget-compare-documents li")).to_have_count(len(MONTREUIL_YEARS))
    shots(page, "compare-level-1")


def test_embed_code_puts_the_budget_page_in_another_sites_page(
    page: Page, site: Site, shots: Screenshots
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(budget_page_url(site.crach.name))
    share = page.locator("#budget-share")
    share.locator("summary").click()
    code = share.get_by_label("Code to copy:")
    expect(code).to_be_visible()
    share.get_by_role("button", name="Copy").click()
    expect(share.get_by_role("status")).to_have_text("Copied")
    snippet = code.input_value()
    assert page.evaluate("() => navigator.clipboard.readText()") == snippet
    shots(page, "embed-code")
    assert snippet.startswith(f'<iframe src="{site.url}{budget_page_url(site.crach.name)}/embed')

    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>A newspaper</title></head>'
        f"<body><main><h1>Crach's budget</h1>{snippet}</main></body></html>"
    )
    frame = page.frame_locator("iframe")
    expect(frame.locator("#budget-page-heading")).to_contain_text("Crach")
    assert frame.locator("header, footer, #budget-share").count() == 0
    heading = frame.locator("#budget-year-heading")
    expect(heading).to_have_text(f"2022 — {VOTED}")
    frame.get_by_role("navigation", name="Year").get_by_role("link", name="2021").click()
    expect(heading).to_have_text(f"2021 — {VOTED}")
    frame.get_by_role("navigation", name="Stage").get_by_role("link", name=REALISED).click()
    expect(heading).to_have_text(f"2021 — {REALISED}")
    embedded = page.frames[1]
    assert "/explorer/embed" in embedded.url and "stage=realised" in embedded.url
    expect(frame.locator("#budget-year-documents a").first).to_have_attribute("target", "_top")
    shots(page, "embedded")

    page.goto(embedded.url)
    assert_accessible(page)
