"""Every kind of page of the extension on a 390 px phone and a 1366 px desktop, in French
and in English: nothing scrolls sideways (wide tables scroll inside their own labelled
box), chart text stays readable (at least 12 px as drawn), the links of the explorer's
switches and level paths are big enough to touch on a phone, and axe-core finds nothing
serious. Each page is photographed as ``<page>-<width>-<lang>.png`` under
test-output/browser/.

One test per width and language visits all the page kinds in one browser tab, to keep
the suite short; axe-core runs on every page, at both widths and in both languages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from .browsing import axe_violations, describe
from .conftest import OUTPUT, Site

PHONE, DESKTOP = 390, 1366
MIN_TEXT_PX = 12
MIN_TOUCH_PX = 44

# The rendered size of every SVG <text> drawn (not hidden): its font size times the
# scale of the chart's viewBox on the screen.
SVG_TEXT_SIZES = """() => [...document.querySelectorAll('svg text')].flatMap(t => {
    const box = t.getBoundingClientRect();
    if (!box.width || !box.height || !t.textContent.trim()) return [];
    const m = t.getScreenCTM();
    const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    return [{text: t.textContent.trim(), size: Math.round(size * 10) / 10}];
})"""

# Links and buttons a thumb uses to move around: their box, where shown.
TOUCH_TARGETS = """() => [...document.querySelectorAll(
    '.budget-switch a, .budget-explorer-path a, .budget-explorer-trees a'
)].flatMap(a => {
    const box = a.getBoundingClientRect();
    if (!box.width) return [];
    return [{text: a.textContent.trim(), width: box.width, height: box.height}];
})"""

# Wide tables scroll in their own box: a focusable region with a name, or fit.
UNBOXED_WIDE_TABLES = """() => [...document.querySelectorAll('table')].flatMap(t => {
    if (!t.getBoundingClientRect().width) return [];
    const box = t.closest('[role=region][tabindex="0"]:is([aria-label], [aria-labelledby])');
    if (box || t.scrollWidth <= document.documentElement.clientWidth) return [];
    return [(t.querySelector('caption') || t).textContent.trim().slice(0, 60)];
})"""


# What sticks out of the window, for the failure message: the outermost such elements.
OVERFLOWING = """() => [...document.body.querySelectorAll('*')].filter(el => {
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    return box.width && box.right > innerWidth + 0.5 && parent.right <= innerWidth + 0.5;
}).slice(0, 5).map(el => `${el.parentElement.className} > `
    + `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}#${el.id}`
    + ` (${Math.round(el.getBoundingClientRect().right)} px)`)"""


def page_urls(site: Site) -> dict[str, str]:
    """The page kinds, by name, in English (the French ones are under /fr)."""
    montreuil, crach = site.montreuil, site.crach
    document = montreuil.resource_url("CA 2018")
    accounts = "&".join(f"doc={d['id']}" for d in montreuil.documents.values())
    return {
        "budget": f"/budget/{montreuil.name}/explorer",
        "analysis": f"/budget/{montreuil.name}/explorer/analysis",
        "compare": f"/budget/compare?{accounts}&tree=fonction",
        "document": document,
        "loans": f"{crach.resource_url('CA 2021')}/budget/annexes/emprunt",
        "subsidies": f"{crach.resource_url('CA 2021')}/budget/annexes/concours",
        "subsidies-search": f"/budget/{montreuil.name}/explorer/subsidies",  # 14 pages
        "report": f"{document}/budget/report",
        "rules": "/organization/montreuil/budget-rules",
    }


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
def test_every_page_fits_the_screen(sized_page: Page, site: Site, lang: str) -> None:
    page = sized_page
    width = page.viewport_size["width"]
    problems: list[str] = []
    for name, url in page_urls(site).items():
        localised = f"/fr{url}" if lang == "fr" and not url.startswith("/fr/") else url
        reply = page.goto(localised)
        assert reply is not None and reply.ok, (
            f"{name}: {localised} answered {reply and reply.status}"
        )
        assert page.locator("html").get_attribute("lang") == lang, localised
        shot = OUTPUT / f"{name}-{width}-{lang}.jpeg"
        page.screenshot(path=str(shot), full_page=True, quality=70)
        where = f"{name} ({localised}, {width} px, {lang})"

        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if sizes[1] != width or sizes[0] > sizes[1]:
            wide = page.evaluate(OVERFLOWING)
            problems.append(f"{where}: {sizes[0]} px wide in a {sizes[1]} px window: {wide}")
        small = [t for t in page.evaluate(SVG_TEXT_SIZES) if t["size"] < MIN_TEXT_PX]
        if small:
            problems.append(f"{where}: chart text under {MIN_TEXT_PX} px: {small[:5]}")
        unboxed = page.evaluate(UNBOXED_WIDE_TABLES)
        if unboxed:
            problems.append(f"{where}: tables wider than the page, not in a region: {unboxed}")
        if width == PHONE:
            tiny = [
                t
                for t in page.evaluate(TOUCH_TARGETS)
                if t["height"] < MIN_TOUCH_PX or t["width"] < MIN_TOUCH_PX
            ]
            if tiny:
                problems.append(f"{where}: touch targets under {MIN_TOUCH_PX} px: {tiny[:5]}")
        violations = axe_violations(page)
        if violations:
            problems.append(f"{where}: axe-core:\n{describe(violations)}")
    assert not problems, "\n".join(problems)
