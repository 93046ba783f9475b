"""Browser tests: Debian's Chromium, driven by Playwright, against a real CKAN web server.

The test data (two authorities' budgets, uploaded through CKAN's actions like a data
producer would) is created and committed in this process, after a database reset; then
``ckan run`` serves it from a subprocess on a free loopback port, with the same database,
Redis and storage (the CKAN_* environment variables are inherited). Chromium and
axe-core are installed by ``scripts/test.sh``: when either is missing the tests fail,
they never skip.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ckan
import ckan.plugins
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories
from playwright.sync_api import Browser, Page, sync_playwright

from ..integration.budget_uploads import sample_bytes, upload_resource
from .browsing import AXE_JS, ROOT, Screenshots

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = ROOT / "test-output" / "browser" / f"ckan-{ckan.__version__}"
SERVER_START_SECONDS = 120
NGINX = "/usr/sbin/nginx"
SERVER_OPTIONS = ("--host", "127.0.0.1", "--disable-reloader", "--threaded", "--port")

MONTREUIL_YEARS = range(2016, 2022)
CRACH_DOCUMENTS = {
    "BP 2022": "Crach_principal_BP_2022.xml",
    "DM2 2021": "Crach_principal_DM2_2021.xml",
    "DM3 2021": "Crach_principal_DM3_2021.xml",
    "CA 2021": "Crach_principal_CA_2021.xml",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


@dataclass
class Budget:
    """A ``budget`` dataset and its documents, by resource name ("CA 2018")."""

    name: str
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resource_url(self, document: str, lang: str = "") -> str:
        prefix = f"/{lang}" if lang else ""
        return f"{prefix}/dataset/{self.name}/resource/{self.documents[document]['id']}"


@dataclass
class Site:
    url: str
    montreuil: Budget
    crach: Budget


def _create_budgets() -> tuple[Budget, Budget]:
    """Montreuil's CA 2016–2021 in a public budget, Crach's 2021–2022 documents in
    another: every action commits, so the web server sees them."""
    budgets = []
    for org_name, title, documents in (
        (
            "montreuil",
            "Montreuil",
            {f"CA {y}": f"montreuil/Montreuil_CA_{y}.xml.gz" for y in MONTREUIL_YEARS},
        ),
        ("crach", "Crach", {k: f"crach/{v}" for k, v in CRACH_DOCUMENTS.items()}),
    ):
        org = factories.Organization(name=org_name, title=title)
        dataset = factories.Dataset(
            type="budget",
            name=f"{org_name}-budget-principal",
            title=f"{title} — budget principal",
            owner_org=org["id"],
        )
        budget = Budget(dataset["name"])
        for resource_name, sample in documents.items():
            budget.documents[resource_name] = upload_resource(
                dataset["id"], sample_bytes(sample), Path(sample).name, name=resource_name
            )
        budgets.append(budget)
    return budgets[0], budgets[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(
    url: str, server: subprocess.Popen, log: Path, name: str = "ckan run"
) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"{name} exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/3/action/status_show", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{name} did not answer in {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest, reset_db: Any, migrate_db_for: Any) -> Iterator[Site]:
    """A CKAN web server over freshly created budgets, for the whole session."""
    ckan.plugins.load_all()
    try:
        reset_db()
        if not sa.inspect(model.Session.get_bind()).has_table("budget_document"):
            migrate_db_for("budget")
        montreuil, crach = _create_budgets()
    finally:
        # Only the server uses CKAN from here on: unload as CKAN's with_plugins does
        # (2.12 has no system plugins left to keep).
        getattr(ckan.plugins, "unload_non_system_plugins", ckan.plugins.unload_all)()
        model.Session.remove()

    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.png"):
        old.unlink()
    port = str(_free_port())
    url = f"http://127.0.0.1:{port}"
    log = OUTPUT / "server.log"
    ckan_ini = str(Path(request.config.getoption("ckan_ini")).resolve())
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [Path(sys.executable).parent / "ckan", "-c", ckan_ini, "run", *SERVER_OPTIONS, port],
            env={**os.environ, "CKAN_SITE_URL": url},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        _wait_until_serving(url, server, log)
        yield Site(url, montreuil, crach)
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="session")
def front(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's nginx before the test portal, configured as the demo's (compressing, by
    scripts/common.sh's ``write_nginx_config``): the address a production portal's
    visitors use. Installed by ``make test`` (``ensure_nginx``)."""
    state = tmp_path_factory.mktemp("nginx")
    conf = state / "nginx.conf"
    port = str(_free_port())
    upstream = site.url.rsplit(":", 1)[1]
    subprocess.run(
        [
            *("bash", "-c", 'source scripts/common.sh && write_nginx_config "$@"', "-"),
            *(str(conf), str(state), "127.0.0.1", port, upstream),
        ],
        cwd=ROOT,
        check=True,
    )
    log = state / "log" / "nginx.out"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(state / "nginx")],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server, log, name="nginx")
        yield url
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: scripts/test.sh installs it (npm ci)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A fresh browser tab (no cookies) on the site; fails the test on a JavaScript
    error in the page."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    """``shots(page, "step")`` saves a full-page screenshot under test-output/browser/."""
    return Screenshots(OUTPUT, request.node.name)
