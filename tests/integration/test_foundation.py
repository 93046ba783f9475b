"""The portal works with ckanext-budget: plugin, options, dataset type, pages, i18n,
database migrations."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model
from ckan import plugins as p
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db")


def test_plugins_of_test_ini_are_loaded() -> None:
    for name in ("budget", "budget_pgsearch", "scheming_datasets"):
        assert p.plugin_loaded(name), name


@pytest.mark.parametrize(
    ("key", "default"),
    [
        ("ckanext.budget.max_upload_mb", 200),
        ("ckanext.budget.on_invalid", "flag"),
        ("ckanext.budget.async_threshold_mb", 5),
        ("ckanext.budget.anonymisation.replacement", "Occultation Article L311-7 CRPA"),
        ("ckanext.budget.anonymisation.strict", False),
        ("ckanext.budget.plans_dir", None),
    ],
)
def test_options_are_declared_with_their_defaults(key: str, default: object) -> None:
    from ckan.common import config_declaration

    assert key in config_declaration
    assert tk.config.get(key) == default


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("ckanext.budget.on_invalid", "ignore", "ckanext.budget.on_invalid"),
        ("ckanext.budget.max_upload_mb", "-3", "ckanext.budget.max_upload_mb"),
    ],
)
def test_invalid_option_values_are_reported(key: str, value: str, error: str) -> None:
    from ckan.common import config_declaration

    _, errors = config_declaration.validate({**tk.config, key: value})
    assert error in errors


def test_budget_dataset_keeps_its_fields(budget_dataset: dict[str, Any]) -> None:
    shown = call_action("package_show", id=budget_dataset["name"])
    assert shown["type"] == "budget"
    assert shown["collectivite"] == "CRACH"
    assert shown["siret"] == "21560046100010"
    assert shown["budget_name"] == "BUDGET PRINCIPAL"
    assert shown["nomenclature"] == "M14-M14_COM_500_3500"
    assert [tag["name"] for tag in shown["tags"]] == ["budget"]


def test_budget_search_page_lists_the_dataset(app: Any, budget_dataset: dict[str, Any]) -> None:
    response = app.get("/budget/")
    assert response.status_code == 200
    assert "Crach — budget principal" in response.get_data(as_text=True)


def test_budget_dataset_page_shows_its_fields(app: Any, budget_dataset: dict[str, Any]) -> None:
    page = app.get(f"/budget/{budget_dataset['name']}").get_data(as_text=True)
    assert "Crach — budget principal" in page
    assert "21560046100010" in page
    assert "M14-M14_COM_500_3500" in page
    assert "CA 2021" in page


@pytest.mark.usefixtures("organization")
def test_new_budget_form_has_the_budget_fields(app: Any, sysadmin: dict[str, Any]) -> None:
    response = app.get("/budget/new", headers={"Authorization": sysadmin["token"]})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for field in ("collectivite", "siret", "budget_name", "nomenclature", "owner_org"):
        assert f'name="{field}"' in page, field
    assert "Local authority" in page


@pytest.mark.usefixtures("organization")
def test_new_budget_form_is_in_french_under_fr(app: Any, sysadmin: dict[str, Any]) -> None:
    page = app.get("/fr/budget/new", headers={"Authorization": sysadmin["token"]}).get_data(
        as_text=True
    )
    assert "Collectivité" in page
    assert "Nomenclature comptable" in page


def test_anonymous_visitor_cannot_open_the_new_budget_form(app: Any) -> None:
    assert app.get("/budget/new").status_code in (401, 403)


def test_navigation_links_to_budget_documents_in_both_languages(app: Any) -> None:
    english = app.get("/").get_data(as_text=True)
    french = app.get("/fr/").get_data(as_text=True)
    assert 'href="/budget/"' in english and "Budget documents" in english
    assert 'href="/fr/budget/"' in french and "Documents budgétaires" in french


@pytest.mark.parametrize("url", ["/", "/dataset/", "/organization/", "/group/"])
def test_core_pages_render(app: Any, url: str, budget_dataset: dict[str, Any]) -> None:
    assert app.get(url).status_code == 200


def test_organization_page_lists_its_budget(app: Any, budget_dataset: dict[str, Any]) -> None:
    response = app.get("/organization/crach")
    assert response.status_code == 200
    assert "Crach — budget principal" in response.get_data(as_text=True)


def test_resource_page_renders(app: Any, budget_dataset: dict[str, Any]) -> None:
    resource = call_action("package_show", id=budget_dataset["id"])["resources"][0]
    response = app.get(f"/budget/{budget_dataset['name']}/resource/{resource['id']}")
    assert response.status_code == 200
    assert "CA 2021" in response.get_data(as_text=True)


def test_group_page_renders(app: Any) -> None:
    factories.Group(name="finances-locales", title="Finances locales")
    response = app.get("/group/finances-locales")
    assert response.status_code == 200
    assert "Finances locales" in response.get_data(as_text=True)


def test_budget_migrations_apply_up_to_their_head(migrate_db_for: Any) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from ckan.cli.db import _resolve_alembic_config

    migrate_db_for("budget")

    head = ScriptDirectory.from_config(Config(_resolve_alembic_config("budget"))).get_current_head()
    with model.Session.bind.connect() as connection:
        version = connection.execute(
            sa.text("SELECT version_num FROM budget_alembic_version")
        ).scalar_one()
    assert version == head
    assert head is not None
