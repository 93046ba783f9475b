"""The pages citizens read go without CKAN's JavaScript bundle (the browser test
``test_page_weight`` weighs them and uses their menu and languages), unless the portal
turns ``ckanext.budget.light_pages`` off for a plugin whose script must run on every page
(CKAN's tracking needs jQuery): then they load CKAN's scripts and its language menu."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("clean_db")

COMPARE = "/fr/budget/compare"
SCRIPTS = re.compile(r'<script[^>]+src="([^"]+)"')


def scripts_and_page(app: Any, headers: dict[str, str] | None = None) -> tuple[list[str], str]:
    response = app.get(COMPARE, headers=headers or {})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return SCRIPTS.findall(page), page


def test_by_default_only_the_extension_s_script(app: Any) -> None:
    scripts, page = scripts_and_page(app)
    assert len(scripts) == 1 and scripts[0].endswith("_explorer.js"), scripts
    assert 'class="budget-language-links"' in page
    assert 'data-module="select-switch"' not in page


@pytest.mark.ckan_config("ckanext.budget.light_pages", "false")
def test_turned_off_the_pages_load_ckan_s_scripts(app: Any) -> None:
    user = factories.UserWithToken()  # signed in: never an anonymous page kept in memory
    scripts, page = scripts_and_page(app, {"Authorization": user["token"]})
    assert any(re.search(r"/webassets/base/[0-9a-f]+_main\.js$", s) for s in scripts), scripts
    assert any("/webassets/vendor/" in s and s.endswith("_bootstrap.js") for s in scripts)
    assert scripts[-1].endswith("_explorer.js")  # after Bootstrap, which it then leaves alone
    assert 'data-module="select-switch"' in page
    assert 'class="budget-language-links"' not in page
