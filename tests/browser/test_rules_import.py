"""An editor imports rules through the import form, in each format it offers: the form
asks for the format first, then shows only that format's fields; each import becomes a
draft version, with what the import noticed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ckan.plugins
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from playwright.sync_api import Page, expect

from .browsing import Screenshots, assert_accessible
from .conftest import Site
from .test_upload_form import run_background_jobs, sign_in

PASSWORD = "correct-horse-battery-staple"
RULES = Path(__file__).parent.parent / "fixtures" / "rules"
MAPPING = "Sens;Section;Chapitre;Nature;N1;N2\nD;F;012;;Ressources;Personnel\nD;F;65;6574;Solidarités;Associations\nD;F;65;9999;Solidarités;Inconnu\n"  # noqa: E501


@pytest.fixture(scope="module")
def montreuil_editor(site: Site) -> Iterator[str]:
    ckan.plugins.load_all()
    try:
        user = factories.User(password=PASSWORD)
        call_action(
            "organization_member_create", id="montreuil", username=user["name"], role="editor"
        )
    finally:
        getattr(ckan.plugins, "unload_non_system_plugins", ckan.plugins.unload_all)()
        model.Session.remove()
    yield user["name"]


def _choose(page: Page, rules: str, label: str) -> None:
    page.goto(f"{rules}/import")
    page.get_by_label(label).check()
    page.get_by_role("button", name="Continuer").click()


def test_import_each_format_through_the_form(
    page: Page,
    site: Site,
    montreuil_editor: str,
    shots: Screenshots,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    rules = f"/fr/dataset/{site.montreuil.name}/budget-rules"
    sign_in(page, montreuil_editor)

    # Rules exported from a portal (YAML): only the file and the note are asked.
    _choose(page, rules, "Règles exportées de ce portail (YAML ou JSON)")
    expect(page.locator("#corrections")).to_have_count(0)
    expect(page.locator("#column_nature")).to_have_count(0)
    page.locator("#upload").set_input_files(str(RULES / "montreuil.yaml"))
    page.get_by_role("button", name="Importer").click()
    expect(page.locator(".alert").first).to_contain_text("brouillon (version 1)")
    expect(page.locator("#tree-rdfi")).to_be_visible()

    # Gironde's tool: the tree and its split lines; what the import noticed is listed.
    _choose(page, rules, "agregation-document-budgetaire")
    expect(page.locator("#column_nature")).to_have_count(0)
    page.locator("#upload").set_input_files(str(RULES / "gironde-description-agregation.json"))
    page.locator("#corrections").set_input_files(str(RULES / "gironde-corrections-agregation.csv"))
    assert_accessible(page, ".budget-rules-import-chosen")
    page.get_by_role("button", name="Importer").click()
    expect(page.locator("#budget-import-notes")).to_contain_text("DF.3.6.3")
    shots(page, "gironde-notes")

    # A spreadsheet mapping codes to categories: its columns, then its levels.
    mapping = tmp_path / "correspondance.csv"
    mapping.write_text(MAPPING, encoding="utf-8")
    _choose(page, rules, "Tableur")
    expect(page.locator("#corrections")).to_have_count(0)
    page.locator("#upload").set_input_files(str(mapping))
    for role, column in (
        ("sens", "Sens"),
        ("section", "Section"),
        ("chapitre", "Chapitre"),
        ("nature", "Nature"),
    ):
        page.locator(f"#column_{role}").fill(column)
    page.locator("#levels").fill("N1\nN2")
    page.locator("#tree_id").fill("services")
    shots(page, "mapping-form")
    page.get_by_role("button", name="Importer").click()
    expect(page.locator("#budget-import-notes")).to_contain_text("9999")
    page.goto(rules)
    expect(page.locator("#tree-services")).to_be_visible()
    expect(page.locator("#budget-rules-draft")).to_contain_text("version 3")

    page.goto(f"{rules}/history")
    expect(page.locator(".budget-rules-history")).to_contain_text("brouillon")

    # Leave Montreuil's pages as the other tests expect them.
    page.goto(f"{rules}/delete")
    page.get_by_role("button", name="Supprimer les règles").click()
    run_background_jobs(request)
