"""« Le budget en bref » in Chromium on a 390 px phone and a 1366 px desktop, in French
and English: it is the first section of the budget page, nothing scrolls sideways, the
donuts' text is drawn at 12 px at least, axe-core finds nothing serious in it; a commune
that does not vote by function (Crach) shows its spending by nature. Screenshots:
``brief-<budget>-<width>-<lang>.png`` under test-output/browser/<ckan>/brief/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from .browsing import assert_accessible
from .conftest import OUTPUT, Site

PHONE, DESKTOP = 390, 1366
SHOTS = OUTPUT / "brief"
"""A folder of their own: a browser session empties OUTPUT's own screenshots."""
MIN_TEXT_PX = 12

# The size of every SVG <text> of the section as drawn: font size × the viewBox's scale.
SVG_TEXT_SIZES = """() => [...document.querySelectorAll('#budget-brief svg text')].flatMap(t => {
    const box = t.getBoundingClientRect();
    if (!box.width || !box.height || !t.textContent.trim()) return [];
    const m = t.getScreenCTM();
    return [parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)];
})"""


@pytest.fixture(params=[PHONE, DESKTOP], ids=["390", "1366"])
def sized_page(request: pytest.FixtureRequest, browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site.url,
        viewport={"width": request.param, "height": 844 if request.param == PHONE else 900},
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_budget_in_brief_fits_and_reads_on_phone_and_desktop(
    sized_page: Page, site: Site, lang: str
) -> None:
    page = sized_page
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    prefix = "/fr" if lang == "fr" else ""
    for budget, by_function in ((site.montreuil, "true"), (site.crach, "false")):
        reply = page.goto(f"{prefix}/budget/{budget.name}/explorer")
        assert reply is not None and reply.ok
        section = page.locator("#budget-brief")
        assert section.is_visible()
        first = page.locator("#budget-page > section").first
        assert first.get_attribute("id") == "budget-brief"
        heading = section.locator("h2").inner_text()
        assert heading.startswith("Le budget en bref" if lang == "fr" else "The budget in brief")
        spending = page.locator("#budget-brief-spending")
        assert spending.get_attribute("data-by-function") == by_function
        assert page.locator("#budget-brief svg.budget-donut").count() == 2
        page.screenshot(path=str(SHOTS / f"brief-{budget.name}-{width}-{lang}.png"), full_page=True)
        section.screenshot(path=str(SHOTS / f"brief-section-{budget.name}-{width}-{lang}.png"))

        scroll, window = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll <= window == width, f"{budget.name}: {scroll} px wide in {window} px"
        box = section.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
        sizes = page.evaluate(SVG_TEXT_SIZES)
        assert sizes, "the donuts carry their numbers"
        assert min(sizes) >= MIN_TEXT_PX, sizes
        # the definitions open without JavaScript: <details>
        term = section.locator("details.budget-term").first
        term.locator("summary").click()
        assert term.locator("p").is_visible()
        assert_accessible(page, "#budget-brief")
