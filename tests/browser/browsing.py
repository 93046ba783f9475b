"""What the browser tests do on a page besides clicking: check it with axe-core, keep a
screenshot of each step, read the amounts a table shows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page, include: str | None = None) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page (or of ``include``, a CSS
    selector), WCAG 2 A/AA and best-practice rules included."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async (include) => await axe.run(include || document, {resultTypes: ['violations']})",
        include,
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations in words, with the offending elements, for a failing assertion."""
    parts = []
    for violation in violations:
        nodes = "\n".join(
            f"    {' '.join(node['target'])}: {node['failureSummary']}"
            for node in violation["nodes"][:5]
        )
        parts.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}\n{nodes}")
    return "\n".join(parts)


def assert_accessible(page: Page, include: str | None = None) -> None:
    violations = axe_violations(page, include)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"


class Screenshots:
    """Numbered full-page screenshots of one test, in the order of its steps."""

    def __init__(self, folder: Path, test_name: str) -> None:
        self.folder = folder
        self.prefix = test_name.removeprefix("test_")
        self.count = 0

    def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.prefix}-{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def amounts(cells: Locator) -> list[Decimal]:
    """The exact amounts of table cells (their ``data-amount``), in order."""
    return [Decimal(value) for value in cells.evaluate_all("cs => cs.map(c => c.dataset.amount)")]
