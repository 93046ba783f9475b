"""Speed budget of a budget page as a phone gets it: Debian's Chromium driven by
Playwright, 390 px wide, CPU slowed down 4× (Chrome DevTools' own throttling), a cold
cache each run. Measures the largest contentful paint, the cumulative layout shift and
the bytes transferred (every response's encoded body and headers, as the network saw
them).

Goals (issue « A budget that citizens understand »): LCP < 1.0 s, CLS < 0.05,
< 300 KB transferred, on the demo's Montreuil budget page. The demo serves it as a
production portal would, through nginx compressing in front of CKAN; the last run's
largest transfers are listed, to see where the bytes go.

    bash scripts/demo.sh        # the demo portal on http://127.0.0.1:5000
    .venv-2.11.6/bin/python benchmarks/bench_page_speed.py [--url URL] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from playwright.sync_api import sync_playwright

DEFAULT_URL = "http://127.0.0.1:5000/fr/budget/montreuil-budget-principal/explorer"
GOALS = {"lcp_ms": 1000.0, "cls": 0.05, "kb": 300.0}

OBSERVE = """
window.__lcp = 0; window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) { window.__lcp = entry.startTime; }
}).observe({type: 'largest-contentful-paint', buffered: true});
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) { window.__cls += entry.value; }
  }
}).observe({type: 'layout-shift', buffered: true});
"""


def measure(browser: Any, url: str, slowdown: float) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    session.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    urls: dict[str, str] = {}
    transferred: dict[str, float] = {}
    session.on(
        "Network.requestWillBeSent",
        lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]),
    )
    session.on(
        "Network.loadingFinished",
        lambda event: transferred.__setitem__(event["requestId"], event["encodedDataLength"]),
    )
    page.add_init_script(OBSERVE)
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        raise SystemExit(f"{url}: HTTP {response.status if response else '?'}")
    page.wait_for_timeout(1500)  # late layout shifts and the last paint
    found = page.evaluate("({lcp: window.__lcp, cls: window.__cls})")
    context.close()
    return {
        "lcp_ms": found["lcp"],
        "cls": found["cls"],
        "kb": sum(transferred.values()) / 1000,
        "files": [(urls.get(request, request), size) for request, size in transferred.items()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slowdown", type=float, default=4.0)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        measure(browser, args.url, args.slowdown)  # warm the portal's own caches
        runs = [measure(browser, args.url, args.slowdown) for _ in range(args.runs)]
        browser.close()
    print(f"{args.url} — 390 px, CPU {args.slowdown:g}× slower, cold cache, {args.runs} runs")
    for key, label in (("lcp_ms", "LCP (ms)"), ("cls", "CLS"), ("kb", "transferred (KB)")):
        values = [run[key] for run in runs]
        median = statistics.median(values)
        verdict = "ok" if median < GOALS[key] else "OVER"
        print(
            f"  {label:18} median {median:8.3f}  min {min(values):8.3f}  "
            f"max {max(values):8.3f}  goal < {GOALS[key]:g}  {verdict}"
        )
    print("  largest transfers of the last run (KB):")
    files = sorted(runs[-1]["files"], key=lambda item: -item[1])
    for url, size in files[:6]:
        print(f"    {size / 1000:7.1f}  {url}")


if __name__ == "__main__":
    main()
