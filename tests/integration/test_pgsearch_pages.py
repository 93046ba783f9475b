"""CKAN's pages that list datasets work without Solr when budget_pgsearch is enabled."""

from __future__ import annotations

import pytest
from ckan.tests import factories

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def portal():
    org = factories.Organization(name="gironde", title="Département de la Gironde")
    group = factories.Group(name="finances", title="Finances locales")
    budget = factories.Dataset(
        name="budget-montreuil-2024",
        title="Budget primitif de Montreuil 2024",
        type="budget",
        owner_org=org["id"],
        tags=[{"name": "budget"}],
        resources=[{"url": "http://example.org/bp.xml", "format": "XML", "name": "BP 2024"}],
    )
    dataset = factories.Dataset(
        name="horaires-piscines",
        title="Horaires des piscines",
        owner_org=org["id"],
        groups=[{"name": group["name"]}],
        tags=[{"name": "sport"}],
    )
    return {"org": org, "group": group, "budget": budget, "dataset": dataset}


def _html(app, url: str) -> str:
    response = app.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_home_page(app, portal):
    html = _html(app, "/")
    # popular tags and recent datasets come from the search
    assert 'href="/dataset/?tags=sport"' in html
    assert 'href="/dataset/horaires-piscines"' in html


def test_dataset_search_page_lists_datasets_with_facets(app, portal):
    html = _html(app, "/dataset/")
    assert "horaires-piscines" in html
    # the tag facet of the sidebar
    assert "sport" in html


def test_dataset_search_page_with_query(app, portal):
    html = _html(app, "/dataset/?q=piscine")
    assert "horaires-piscines" in html
    assert "budget-montreuil-2024" not in html


def test_dataset_search_page_with_facet_filter(app, portal):
    html = _html(app, "/dataset/?tags=sport")
    assert "horaires-piscines" in html
    assert _html(app, "/dataset/?tags=absent").count("horaires-piscines") == 0


def test_budget_type_search_page(app, portal):
    html = _html(app, "/budget/?q=budgets")
    assert "budget-montreuil-2024" in html
    assert "horaires-piscines" not in html


def test_dataset_and_resource_pages(app, portal):
    budget = portal["budget"]
    assert "Budget primitif de Montreuil 2024" in _html(app, f"/budget/{budget['name']}")
    resource_id = budget["resources"][0]["id"]
    assert "BP 2024" in _html(app, f"/budget/{budget['name']}/resource/{resource_id}")
    assert "Horaires des piscines" in _html(app, "/dataset/horaires-piscines")


def test_organization_pages(app, portal):
    listing = _html(app, "/organization/")
    assert "Département de la Gironde" in listing
    assert "2 Datasets" in listing
    html = _html(app, "/organization/gironde")
    assert 'href="/dataset/horaires-piscines"' in html
    assert 'href="/budget/budget-montreuil-2024"' in html


def test_group_pages(app, portal):
    listing = _html(app, "/group/")
    assert "Finances locales" in listing
    assert "1 Dataset" in listing
    assert "horaires-piscines" in _html(app, "/group/finances")
