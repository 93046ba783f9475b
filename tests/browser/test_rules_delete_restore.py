"""An editor deletes the rules of an organisation and gets them back, as on the portal:
« Supprimer » opens a page saying what happens (the documents that fall back to the
default presentations, that the rules are kept), the deletion is confirmed, and the rules
page lists them under « Règles supprimées » with « Restaurer »."""

from __future__ import annotations

from collections.abc import Iterator

import ckan.plugins
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from playwright.sync_api import Page, expect

from .browsing import Screenshots, assert_accessible
from .conftest import Site
from .test_upload_form import sign_in

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def crach_editor(site: Site) -> Iterator[str]:
    """An editor of Crach's organisation (whose budget has four documents)."""
    ckan.plugins.load_all()
    try:
        user = factories.User(password=PASSWORD)
        call_action("organization_member_create", id="crach", username=user["name"], role="editor")
    finally:
        getattr(ckan.plugins, "unload_non_system_plugins", ckan.plugins.unload_all)()
        model.Session.remove()
    yield user["name"]


def test_delete_confirm_then_restore_the_rules(
    page: Page, crach_editor: str, shots: Screenshots
) -> None:
    sign_in(page, crach_editor)
    page.goto("/fr/organization/crach/budget-rules")
    page.locator("#source-empty").check()
    page.get_by_role("button", name="Créer les règles").click()
    expect(page.locator(".budget-rules-tree")).to_have_count(1)

    page.get_by_role("link", name="Supprimer ces règles et utiliser celles par défaut").click()
    expect(page.get_by_role("heading", name="Supprimer les règles « Crach » ?")).to_be_visible()
    expect(page.locator(".budget-rules-affected")).to_contain_text("Crach — budget principal")
    expect(page.locator(".budget-rules-kept")).to_contain_text("restaurer")
    assert_accessible(page, ".budget-rules-delete")
    shots(page, "confirmation")
    page.get_by_role("button", name="Supprimer les règles").click()

    deleted = page.locator(".budget-rules-deleted")
    expect(deleted).to_contain_text("Crach")
    expect(page.locator(".budget-rules-default")).to_be_visible()
    shots(page, "deleted")
    deleted.get_by_role("button", name="Restaurer").click()
    expect(page.locator(".alert-success")).to_contain_text("restauré")
    expect(page.locator(".budget-rules-tree")).to_have_count(1)
    expect(page.locator(".budget-rules-deleted")).to_have_count(0)
    shots(page, "restored")
