"""The four big numbers are one set of figures wherever the portal shows them: the
document's page, its explorer, the budget page and the comparison, equal to the
document's real operations (sums computed from the XML) even when the authority's rules
count other lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.docbudg.aggregation import Selection, default_ruleset, ruleset_to_dict
from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service

from ..unit import independent_sums
from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db")

ACCOUNT = "crach/Crach_principal_CA_2021.xml"
KEYS = ("RF", "DF", "RI", "DI")


def soup(app: Any, url: str) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def money(amount: Decimal) -> str:
    return f"€{amount:,.2f}"


def test_every_page_shows_the_documents_real_operations(app: Any) -> None:
    org = factories.Organization()
    # The authority's rules count order operations too: their totals are not big numbers.
    rules = default_ruleset(read_document(independent_sums.SAMPLES / ACCOUNT))
    rules.selection = Selection(operations="tout")
    call_action("budget_ruleset_create", organization=org["id"], rules=ruleset_to_dict(rules))
    dataset = budget_dataset("crach-budget-principal", (ACCOUNT,), org=org, title="Crach")
    record = db.documents_for_package(dataset["id"])[0]
    expected = independent_sums.big_numbers(independent_sums.SAMPLES / ACCOUNT)
    stored = service.result(service.stored(record.resource_id))
    assert stored.totals != expected, "the rules' own totals differ from the big numbers"
    exact = [f"({money(expected[key])})" for key in KEYS]

    resource = f"/dataset/{dataset['name']}/resource/{record.resource_id}"
    page = soup(app, resource)
    figures = [td.get_text(strip=True) for td in page.select("table.budget-key-figures td")]
    assert figures == [money(expected[key]) for key in KEYS]

    view = next(
        v
        for v in call_action("resource_view_list", id=record.resource_id)
        if v["view_type"] == "budget_view"
    )
    explorer = soup(app, f"{resource}?view_id={view['id']}")
    assert [s.get_text() for s in explorer.select(".budget-explorer .budget-exact-amount")] == exact

    budget = soup(app, f"/budget/{dataset['name']}/explorer")
    assert [s.get_text() for s in budget.select("#budget-year .budget-exact-amount")] == exact

    compared = soup(app, f"/budget/compare?doc={record.resource_id}")
    totals = {
        tr["data-id"]: Decimal(tr.select_one("td[data-amount]")["data-amount"])
        for tr in compared.select("table.budget-compare-totals tbody tr")
    }
    assert totals == expected
