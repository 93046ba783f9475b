"""An editor writes a formula in words: as « chapitre 01 » is typed, the codes of the
chart of accounts are suggested with their labels; one is picked with the keyboard; the
live preview gives the lines and their total; a formula with an error shows the error and
no figure of the previous formula."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ckan.plugins
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from playwright.sync_api import Page, expect

from ..integration.budget_uploads import sample_bytes, upload_resource
from .browsing import Screenshots, assert_accessible
from .conftest import Site
from .test_upload_form import sign_in

PASSWORD = "correct-horse-battery-staple"
RULES = Path(__file__).parent.parent / "fixtures" / "rules"
NODE = "/fr/organization/formules/budget-rules/node/rdfi/DF.personnel"


@pytest.fixture(scope="module")
def formula_editor(site: Site) -> Iterator[str]:
    """An editor of an organisation of its own (the other tests' rules stay as they
    are), with one document and Montreuil's presentation."""
    ckan.plugins.load_all()
    try:
        user = factories.User(password=PASSWORD)
        org = factories.Organization(
            name="formules", users=[{"name": user["name"], "capacity": "editor"}]
        )
        dataset = factories.Dataset(type="budget", name="formules-budget", owner_org=org["id"])
        upload_resource(
            dataset["id"],
            sample_bytes("crach/Crach_principal_BP_2022.xml"),
            "Crach_principal_BP_2022.xml",
            name="BP 2022",
        )
        call_action(
            "budget_ruleset_create",
            organization="formules",
            rules=(RULES / "montreuil.yaml").read_text(encoding="utf-8"),
        )
    finally:
        getattr(ckan.plugins, "unload_non_system_plugins", ckan.plugins.unload_all)()
        model.Session.remove()
    yield user["name"]


def test_type_a_formula_pick_a_suggested_code_and_never_see_stale_figures(
    page: Page, formula_editor: str, shots: Screenshots
) -> None:
    sign_in(page, formula_editor)
    page.goto(NODE)
    field = page.locator("#formula")
    expect(field).to_have_value("dépenses et fonctionnement et chapitre 012")  # stored: sens:D…
    expect(page.get_by_role("heading", name="Écrire une formule")).to_be_visible()

    field.fill("")
    field.press_sequentially("dépenses et fonctionnement et chapitre 01")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    staff = listbox.get_by_role("option", name="012 Charges de personnel et frais assimilés")
    expect(staff).to_be_visible()
    options = listbox.get_by_role("option").all_inner_texts()
    position = next(i for i, t in enumerate(options) if t.startswith("012 "))
    for _ in range(position + 1):
        field.press("ArrowDown")
    expect(staff).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", staff.get_attribute("id") or "")
    assert_accessible(page, ".budget-rules-formula")
    shots(page, "suggestions")
    field.press("Enter")
    expect(listbox).to_be_hidden()
    expect(field).to_have_value("dépenses et fonctionnement et chapitre 012")

    live = page.locator("#formula-live")
    expect(live).to_contain_text("Lu comme : dépenses et fonctionnement et chapitre 012")
    expect(live).to_contain_text("sélectionnée")
    expect(live).to_contain_text("total")
    shots(page, "preview")

    # the figures of the page's own preview (a round trip) go as soon as the text changes
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Aperçu").click()
    shown = page.locator(".budget-rules-preview")
    expect(shown).to_contain_text("total")
    field.focus()
    field.press("Control+End")
    field.press_sequentially(" et")
    expect(live).to_have_class("budget-formula-live is-invalid")
    expect(live).to_contain_text("Sélecteur ou « ( » attendu")
    expect(live).not_to_contain_text("total")
    expect(shown).to_be_hidden()
    shots(page, "error")
