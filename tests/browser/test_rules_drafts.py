"""An editor changes a dataset's rules as a draft, sees the change on the real budget page
(« Voir comme le public ») while the public still sees the published figures, then
publishes it from the « Publier » page, which asks for a confirmation when the new rules
leave lines in no category."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .browsing import Screenshots, assert_accessible
from .conftest import Site
from .test_rules_delete_restore import crach_editor  # noqa: F401  (fixture)
from .test_upload_form import run_background_jobs, sign_in

NEW_LABEL = "Dépenses de la commune (brouillon)"


def _public_text(browser: Browser, site: Site, path: str) -> str:
    """The page as an anonymous visitor gets it (a context of its own: no cookie)."""
    context = browser.new_context(base_url=site.url)
    try:
        visitor = context.new_page()
        visitor.goto(path)
        return visitor.locator("#content").inner_text()
    finally:
        context.close()


def test_draft_previewed_as_the_public_then_published_with_confirmation(
    page: Page,
    browser: Browser,
    site: Site,
    crach_editor: str,  # noqa: F811
    shots: Screenshots,
    request: pytest.FixtureRequest,
) -> None:
    dataset = site.crach.name
    rules = f"/fr/dataset/{dataset}/budget-rules"
    explorer = f"/fr/budget/{dataset}/explorer?tree=chapitre"
    sign_in(page, crach_editor)

    # A new rule set is a draft: the public pages do not use it yet.
    page.goto(rules)
    page.locator("#source-defaults").check()
    page.get_by_role("button", name="Créer les règles").click()
    expect(page.locator("#budget-rules-draft")).to_contain_text("Brouillon non publié")
    page.goto(f"{rules}/node/chapitre/D")
    page.locator("#label").fill(NEW_LABEL)
    page.get_by_role("button", name="Renommer").click()
    expect(page.locator(".alert").first).to_contain_text("brouillon")

    # « Voir comme le public »: the real budget page, with the draft.
    page.goto(rules)
    page.locator("#budget-rules-draft").get_by_role("link", name="Voir comme le public").click()
    expect(page.locator("#budget-draft-banner")).to_contain_text("Aperçu d'un brouillon")
    page.goto(f"/fr/budget/{dataset}/explorer?tree=chapitre&apercu=brouillon")
    expect(page.locator("#content")).to_contain_text(NEW_LABEL)
    assert_accessible(page, "#budget-draft-banner")
    shots(page, "preview-as-public")
    assert NEW_LABEL not in _public_text(browser, site, explorer)

    # A change that leaves lines in no category: publishing asks for a confirmation.
    page.goto(f"{rules}/node/chapitre/DF.011")
    page.get_by_role("button", name="Supprimer cette catégorie et ses sous-catégories").click()
    page.goto(rules)
    page.get_by_role("link", name="Vérifier et publier…").click()
    expect(page.locator("#budget-publish-failing")).to_be_visible()
    expect(page.locator(".budget-publish-check-failed").first).to_contain_text(
        "dans aucune catégorie"
    )
    assert_accessible(page, ".budget-rules-publish")
    shots(page, "publish-failing")
    page.get_by_role("button", name="Publier la version").click()
    expect(page.locator("#budget-publish-errors")).to_contain_text("cochez la case")
    assert NEW_LABEL not in _public_text(browser, site, explorer)

    page.locator("#publish-confirm").check()
    page.get_by_role("button", name="Publier la version").click()
    expect(page.locator(".alert").first).to_contain_text("est publiée")
    expect(page.locator("#budget-rules-draft")).to_have_count(0)
    shots(page, "published")
    run_background_jobs(request)
    assert NEW_LABEL in _public_text(browser, site, explorer)

    # Leave Crach's pages as the other tests expect them: its dataset's rules deleted.
    page.goto(f"{rules}/delete")
    page.get_by_role("button", name="Supprimer les règles").click()
    run_background_jobs(request)
