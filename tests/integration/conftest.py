"""Integration tests run inside a real CKAN: test.ini's plugins, PostgreSQL and Redis.

CKAN's pytest plugin unloads every plugin before the tests start; CKAN's documented way
to have the ini's plugins in each test is an autouse fixture on ``with_plugins``. A test
that needs other plugins says so with ``@pytest.mark.ckan_config("ckan.plugins", ...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in item.nodeid:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def load_standard_plugins(with_plugins: None) -> Iterator[None]:
    yield


@pytest.fixture
def sysadmin(clean_db: None) -> dict[str, Any]:
    """A sysadmin with an API token (``sysadmin["token"]``) for the API and the pages."""
    return factories.SysadminWithToken()


@pytest.fixture
def organization(clean_db: None) -> dict[str, Any]:
    """Runs after ``clean_db`` (a usefixtures mark does not order fixtures)."""
    return factories.Organization(name="crach", title="Crach")


@pytest.fixture
def budget_dataset(organization: dict[str, Any]) -> dict[str, Any]:
    """A ``budget`` dataset with one (linked, not uploaded) resource."""
    dataset = factories.Dataset(
        type="budget",
        name="crach-budget-principal",
        title="Crach — budget principal",
        owner_org=organization["id"],
        collectivite="CRACH",
        siret="21560046100010",
        budget_name="BUDGET PRINCIPAL",
        nomenclature="M14-M14_COM_500_3500",
        tags=[{"name": "budget"}],
    )
    factories.Resource(
        package_id=dataset["id"], name="CA 2021", format="XML", url="http://example.org/ca.xml"
    )
    return dataset


@pytest.fixture
def clean_db(reset_db: Any, migrate_db_for: Any) -> None:
    """CKAN's ``clean_db``, plus the budget plugin's tables: CKAN's first reset of a test
    session drops every table, the plugin's included."""
    reset_db()
    if not sa.inspect(model.Session.get_bind()).has_table("budget_document"):
        migrate_db_for("budget")
