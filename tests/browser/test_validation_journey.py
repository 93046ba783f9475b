"""A producer reads validation as the portal shows it: the budget form in French with the
Licence Ouverte proposed; a CFU of a newer schema version « Valide », with one information
item naming what the portal cannot check; a document whose year cannot be read explored
nowhere, and both its page and the budget page saying why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ckan.plugins
import pytest
from ckan import model
from ckan.tests import factories
from playwright.sync_api import Page, expect

from ..integration.budget_uploads import sample_bytes, upload_resource
from .browsing import Screenshots, assert_accessible
from .conftest import Site

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def producer(site: Site) -> Iterator[dict[str, Any]]:
    """An editor, a budget with Mohon's CFU 2023 and one with a BP whose year is unreadable."""
    ckan.plugins.load_all()
    try:
        user = factories.User(password=PASSWORD)
        org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
        mohon = factories.Dataset(type="budget", owner_org=org["id"], title="Mohon")
        cfu = upload_resource(
            mohon["id"], sample_bytes("mohon/Mohon_CFU_2023.xml.gz"), "Mohon_CFU_2023.xml.gz"
        )
        broken = factories.Dataset(type="budget", owner_org=org["id"], title="Sans année")
        upload_resource(
            broken["id"], sample_bytes("invalid/totem_mauvaise_annee.xml"), "bp_sans_annee.xml"
        )
    finally:
        getattr(ckan.plugins, "unload_non_system_plugins", ckan.plugins.unload_all)()
        model.Session.remove()
    yield {"user": user["name"], "mohon": mohon["name"], "cfu": cfu["id"], "broken": broken}


def test_budget_form_in_french_proposes_the_licence_ouverte(
    page: Page, producer: dict[str, Any], shots: Screenshots
) -> None:
    page.goto("/fr/user/login")
    page.fill("#field-login", producer["user"])
    page.fill("#field-password", PASSWORD)
    page.locator("#field-password").press("Enter")
    page.wait_for_url(lambda url: "/user/login" not in url)
    page.goto("/fr/budget/new")
    expect(page.locator("h1, .page-heading, .breadcrumb").first).to_be_visible()
    expect(page.get_by_text("Créer un budget").first).to_be_visible()
    assert "Create Budget" not in page.content()
    licence = page.locator("#field-license_id")
    assert licence.input_value() == "fr-lo"
    shots(page, "formulaire")


def test_newer_schema_cfu_is_valid_and_says_what_is_unchecked(
    page: Page, producer: dict[str, Any], shots: Screenshots
) -> None:
    base = f"/fr/dataset/{producer['mohon']}/resource/{producer['cfu']}"
    page.goto(base)
    expect(page.locator("[data-budget-status]").first).to_have_text("Valide")
    page.goto(f"{base}/budget/report")
    item = page.get_by_text("ne peut donc pas vérifier")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("InfoAPCP (125 fois)")
    assert_accessible(page)
    shots(page, "rapport")


def test_document_without_a_year_is_explored_nowhere(
    page: Page, producer: dict[str, Any], shots: Screenshots
) -> None:
    page.goto(f"/fr/budget/{producer['broken']['name']}/explorer")
    note = page.locator("#budget-page-unplaced")
    expect(note).to_contain_text("n'est exploré ni ici ni sur sa propre page")
    expect(page.locator("#budget-page-empty")).to_have_count(0)
    note.get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text("Rapport de validation")
    shots(page, "page-budgetaire-puis-rapport")
