"""A producer publishes a budget document as on the portal: signed in as an editor of
the organisation, uploads the XML file through CKAN's own new-resource form (« Envoi »,
the file input), then reads on the resource page its status, its processing date, its
validation report, its anonymisation summary and its derived files; « Relancer le
traitement » queues it again, and the page follows the background job by itself
(``<meta http-equiv="refresh">``) until the document is done."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckan.plugins
import pytest
from ckan import model
from ckan.tests import factories
from playwright.sync_api import Page, expect

from ..integration.budget_uploads import SAMPLES
from .browsing import Screenshots, assert_accessible
from .conftest import Site

SAMPLE = SAMPLES / "crach" / "Crach_principal_DM2_2021.xml"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def producer(site: Site) -> Iterator[dict[str, Any]]:
    """An editor of a new organisation with an empty budget dataset (the plugins are
    loaded for as long as the ``budget`` dataset type takes to create)."""
    ckan.plugins.load_all()
    try:
        user = factories.User(password=PASSWORD)
        org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
        dataset = factories.Dataset(type="budget", owner_org=org["id"], title="Crach — upload")
    finally:
        getattr(ckan.plugins, "unload_non_system_plugins", ckan.plugins.unload_all)()
        model.Session.remove()
    yield {"user": user["name"], "dataset": dataset["name"]}


def sign_in(page: Page, user: str) -> None:
    page.goto("/fr/user/login")
    page.fill("#field-login", user)
    page.fill("#field-password", PASSWORD)
    page.locator("#field-password").press("Enter")
    page.wait_for_url(lambda url: "/user/login" not in url)


def run_background_jobs(request: pytest.FixtureRequest) -> None:
    """What the portal's ``ckan jobs worker`` does, once through the queue."""
    ckan_ini = str(Path(request.config.getoption("ckan_ini")).resolve())
    subprocess.run(
        [Path(sys.executable).parent / "ckan", "-c", ckan_ini, "jobs", "worker", "--burst"],
        env=dict(os.environ),
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_upload_through_the_form_then_read_and_reprocess(
    page: Page, producer: dict[str, Any], shots: Screenshots, request: pytest.FixtureRequest
) -> None:
    sign_in(page, producer["user"])
    page.goto(f"/fr/dataset/{producer['dataset']}/resource/new")
    expect(page.locator(".budget-guide-help a")).to_have_attribute("href", "/fr/budget-publish")
    with page.expect_file_chooser() as chooser:
        # CKAN 2.12 names the button by its tooltip: found by its words, as one sees it.
        page.get_by_role("button").filter(has_text="Envoi").click()
    chooser.value.set_files(str(SAMPLE))
    shots(page, "form")
    page.locator("button[name=save]").last.click()
    page.wait_for_load_state()

    page.goto(f"/fr/dataset/{producer['dataset']}")
    page.locator(".resource-item a.heading").first.click()
    panel = page.locator("section.budget-document")
    expect(panel.locator("[data-budget-status]")).to_have_text("Valide")
    expect(panel.locator(".budget-processed")).to_contain_text("Traité le ")
    expect(panel.locator(".budget-anonymisation")).not_to_be_empty()
    exports = panel.locator(".budget-exports a")
    expect(exports.first).to_be_visible()
    assert exports.count() >= 4
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    shots(page, "resource")
    assert_accessible(page, "section.budget-document")  # CKAN 2.12's own markup aside
    resource_url = page.url

    panel.get_by_role("link", name="Lire le rapport de validation").click()
    expect(page.locator("h1")).to_have_text("Rapport de validation")
    page.goto(resource_url)

    panel.get_by_role("button", name="Relancer le traitement").click()
    expect(panel.locator("[data-budget-status]")).to_have_text("En attente de traitement")
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    shots(page, "reprocess-queued")
    run_background_jobs(request)
    # No reload from here: the page's own refresh shows the document done.
    expect(panel.locator("[data-budget-status]")).to_have_text("Valide", timeout=20_000)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    shots(page, "reprocessed")
