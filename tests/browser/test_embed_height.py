"""The embeds in another site's page, as a visitor's Chromium shows them: the code the
producer copies makes the iframe as tall as its content (the embed posts its height, the
snippet's script checks who sent it), so nothing is cut and there is no inner scrollbar;
without JavaScript the iframe keeps the code's fixed height. The host page is served by
the test from another origin, like a newspaper's site."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from .browsing import Screenshots
from .conftest import Site

TOLERANCE = 10


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on another loopback port (another origin than the portal)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def publish(host: tuple[Path, str], name: str, snippet: str) -> str:
    folder, url = host
    (folder / name).write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A newspaper</title>'
        "</head><body><main><h1>The town's budget</h1>"
        f"<p>Our article.</p>{snippet}<p>The end of the article.</p></main></body></html>",
        encoding="utf-8",
    )
    return f"{url}/{name}"


def embed_code(page: Page, url: str, textarea: str) -> str:
    page.goto(url)
    code = page.locator(textarea)
    code.evaluate("element => element.closest('details').open = true")
    snippet = code.input_value()
    assert snippet.startswith("<iframe src=") and "<script>" in snippet
    return snippet


def embedded(page: Page) -> Frame:
    frame = next(f for f in page.frames if "/embed" in f.url)
    frame.wait_for_load_state("load")
    return frame


def assert_fits(page: Page) -> int:
    """The iframe ends as tall as its content (± TOLERANCE px), no inner scrollbar."""
    frame = embedded(page)
    content = "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"
    iframe = page.locator("iframe")
    deadline = time.monotonic() + 10
    while True:
        height = iframe.evaluate("element => element.clientHeight")
        expected = frame.evaluate(content)
        if abs(height - expected) <= TOLERANCE or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert abs(height - expected) <= TOLERANCE, (height, expected)
    scroll = frame.evaluate("() => [document.documentElement.scrollHeight, window.innerHeight]")
    assert scroll[0] <= scroll[1] + 1, f"inner scrollbar: {scroll}"
    return height


@pytest.mark.parametrize(
    "which", ["budget page", "document explorer", "annex table", "subsidies search"]
)
def test_embed_follows_its_content_height(
    page: Page, site: Site, host: tuple[Path, str], shots: Screenshots, which: str
) -> None:
    montreuil = site.montreuil.resource_url("CA 2018")
    sources = {
        "budget page": (f"/budget/{site.crach.name}/explorer", "#budget-page-embed-code", 1600),
        "document explorer": (montreuil, "#budget-embed-code", 800),
        "annex table": (f"{montreuil}/budget/annexes/concours", "#budget-annex-embed-code", 800),
        "subsidies search": (
            f"/budget/{site.montreuil.name}/explorer/subsidies",
            "#budget-subsidies-embed-code",
            1200,
        ),
    }
    url, textarea, fixed = sources[which]
    snippet = embed_code(page, url, textarea)
    page.goto(publish(host, "article.html", snippet))
    height = assert_fits(page)
    assert height != fixed  # the content's height, not the code's fixed one
    shots(page, "fitted")

    # Browsing inside the embed: the iframe follows the new content.
    frame = embedded(page)
    links = frame.locator("main a[href*='/embed']:not([target]):visible")
    if links.count():
        before = frame.url
        links.first.click()
        deadline = time.monotonic() + 10
        while frame.url == before and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert frame.url != before
        assert_fits(page)


def test_only_the_embed_itself_sets_the_height(
    page: Page, site: Site, host: tuple[Path, str]
) -> None:
    """A message from another window (the host page, another frame) is ignored."""
    snippet = embed_code(page, f"/budget/{site.crach.name}/explorer", "#budget-page-embed-code")
    page.goto(publish(host, "forged.html", snippet))
    fitted = assert_fits(page)
    page.evaluate("() => window.postMessage({type: 'ckanext-budget:embed-height', height: 5}, '*')")
    page.wait_for_timeout(300)
    assert page.locator("iframe").evaluate("element => element.clientHeight") == fitted


def test_without_javascript_the_iframe_keeps_a_fixed_height(
    browser: Browser, site: Site, host: tuple[Path, str], page: Page
) -> None:
    snippet = embed_code(page, f"/budget/{site.crach.name}/explorer", "#budget-page-embed-code")
    url = publish(host, "nojs.html", snippet)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        tab = context.new_page()
        tab.goto(url)
        frame = tab.frame_locator("iframe")
        expect(frame.locator("#budget-page-heading")).to_contain_text("Crach")
        box = tab.locator("iframe").bounding_box()
        assert box is not None and box["height"] == 1600
    finally:
        context.close()
