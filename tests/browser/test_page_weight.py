"""What a phone downloads for a citizen's first visit to a budget page, through the front
server a production portal has (nginx compressing, as in the demo): under 300 KB (the
issue's speed budget; benchmarks/bench_page_speed.py measures the same on the demo with
the paint times). The pages citizens read do without CKAN's JavaScript bundle, so the
header's menu button and the footer's languages must work without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from .conftest import Site

BUDGET_KB = 300
PHONE = {"width": 390, "height": 844}
# CKAN's bundle: jQuery, Bootstrap, htmx, CKAN's modules and what they bring.
CKAN_BUNDLE = ("/webassets/vendor/", "/webassets/base/")


@pytest.fixture
def phone(browser: Browser, front: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=front, viewport=PHONE, device_scale_factor=2)
    yield context
    context.close()


def weigh(context: BrowserContext, path: str) -> tuple[float, list[str], dict[str, str]]:
    """Load ``path`` with a cold cache: KB transferred (bodies as sent, with headers), the
    URLs fetched, and the page's own response headers."""
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: list[float] = []
    session.on("Network.loadingFinished", lambda event: sizes.append(event["encodedDataLength"]))
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    response = page.goto(path, wait_until="load")
    assert response is not None and response.status == 200, path
    page.wait_for_timeout(500)  # the icon font, asked for once the page is drawn
    page.close()
    return sum(sizes) / 1000, fetched, response.headers


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_budget_page_weighs_under_the_budget(phone: BrowserContext, site: Site, lang: str) -> None:
    prefix = "/fr" if lang == "fr" else ""
    kb, fetched, headers = weigh(phone, f"{prefix}/budget/{site.montreuil.name}/explorer")

    assert headers.get("content-encoding") == "gzip", "the front server compresses the page"
    bundle = [url for url in fetched if url.endswith(".js") and any(p in url for p in CKAN_BUNDLE)]
    assert bundle == [], "CKAN's JavaScript bundle is not needed on a budget page"
    assert any("explorer.js" in url for url in fetched)
    assert kb < BUDGET_KB, f"{kb:.1f} KB transferred: {fetched}"


def test_dataset_page_still_gets_ckan_bundle(phone: BrowserContext, site: Site) -> None:
    """The light frame is for the pages citizens read; the portal's own pages keep CKAN's
    scripts (follow buttons, forms…)."""
    _, fetched, _ = weigh(phone, f"/fr/dataset/{site.montreuil.name}")
    assert any("/webassets/base/" in url and url.endswith(".js") for url in fetched)


def test_menu_and_languages_work_without_ckan_scripts(phone: BrowserContext, site: Site) -> None:
    page = phone.new_page()
    page.goto(f"/fr/budget/{site.montreuil.name}/explorer/analysis")
    menu = page.locator("#main-navigation-toggle")
    button = page.locator(".navbar-toggler")
    assert not menu.is_visible(), "the menu is folded on a phone"

    button.click()
    assert menu.is_visible()
    assert button.get_attribute("aria-expanded") == "true"
    assert menu.get_by_role("link", name="Documents budgétaires").is_visible()
    button.click()
    assert not menu.is_visible()

    page.locator(".budget-language-links").get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/budget/{site.montreuil.name}/explorer/analysis")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Financial analysis").first.is_visible()
    current = page.locator(".budget-language-links a[aria-current]")
    assert current.inner_text().strip() == "English"
    page.close()
