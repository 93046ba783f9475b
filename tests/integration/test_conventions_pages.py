"""The OFGL conventions on every page (``docbudg.conventions``): asset disposals shown with
investment receipts, neutral debt operations left out of the totals and shown apart with
their amount, each big number with its definition; and figures stored under earlier
conventions computed again by the aggregation job, never shown as current."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import rq
from bs4 import BeautifulSoup
from ckan import model
from ckan.lib import jobs

from ckanext.budget.docbudg.figures import analysis
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service
from ckanext.budget.rulesets.model import AggregationRecord

from ..unit import independent_sums
from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

MONTREUIL_2020 = "montreuil/Montreuil_CA_2020.xml.gz"
KEYS = ("RF", "DF", "RI", "DI")


def soup(app: Any, url: str) -> BeautifulSoup:
    response = app.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def money(amount: Decimal) -> str:
    return f"€{amount:,.2f}"


@pytest.fixture
def montreuil(app: Any) -> dict[str, Any]:
    dataset = budget_dataset("montreuil-budget-principal", (MONTREUIL_2020,), title="Montreuil")
    record = db.documents_for_package(dataset["id"])[0]
    return {"dataset": dataset, "resource_id": record.resource_id}


def test_refinancing_and_disposals_follow_the_conventions_on_every_page(
    app: Any, montreuil: dict[str, Any]
) -> None:
    path = independent_sums.SAMPLES / MONTREUIL_2020
    expected = independent_sums.big_numbers(path)  # 775 with RI, 166 left out
    refinanced = independent_sums.neutral_operations(path)["refinancements"]["DI"]
    assert refinanced == Decimal("50062459.53")
    name, resource_id = montreuil["dataset"]["name"], montreuil["resource_id"]

    resource = soup(app, f"/dataset/{name}/resource/{resource_id}")
    cells = [td.get_text(strip=True) for td in resource.select("table.budget-key-figures td")]
    assert cells == [money(expected[key]) for key in KEYS]
    budget = soup(app, f"/budget/{name}/explorer")
    for page in (resource, budget):
        notes = [li.get_text(" ", strip=True) for li in page.select(".budget-left-out li")]
        assert (
            f"Left out of capital spending: refinancing operations (166), {money(refinanced)}"
            in notes
        )
        assert (
            f"Left out of capital receipts: refinancing operations (166), {money(refinanced)}"
            in notes
        )
        words = page.select_one("details.budget-big-number-definitions").get_text(" ", strip=True)
        assert "775" in words and "166" in words and "16449" in words
    exact = [s.get_text() for s in budget.select("#budget-year .budget-exact-amount")]
    assert exact == [f"({money(expected[key])})" for key in KEYS]

    french = soup(app, f"/fr/budget/{name}/explorer")
    notes = " ".join(li.get_text(" ", strip=True) for li in french.select(".budget-left-out li"))
    assert "opérations de refinancement (166)" in notes

    # The default presentation counts the same lines: its spending is the big numbers'.
    tree = service.result(service.stored(resource_id)).tree("chapitre")
    spending = next(c for c in tree.categories if c.id == "D")
    assert spending.amount == expected["DF"] + expected["DI"]
    assert tree.find("RI.cessions").amount == Decimal("3378300.00")

    compared = soup(app, f"/budget/compare?doc={resource_id}")
    assert compared.select_one("details.budget-big-number-definitions")
    assert tree.checks is not None and tree.checks.ok


def test_figures_stored_under_earlier_conventions_are_computed_again(
    app: Any, montreuil: dict[str, Any]
) -> None:
    name, resource_id = montreuil["dataset"]["name"], montreuil["resource_id"]
    document = db.get_document(resource_id)
    current = {"indicators": document.indicators, "big_numbers": document.big_numbers}
    # As an earlier version stored them: 775 counted in operating receipts, no neutral part.
    old = dict(current["big_numbers"])
    old.pop("conventions")
    document.indicators = {**current["indicators"], "version": 1}
    document.big_numbers = old
    aggregation = model.Session.get(AggregationRecord, resource_id)
    aggregation.result = {**aggregation.result, "format": "budget-result/1"}
    model.Session.commit()

    page = app.get(f"/budget/{name}/explorer").get_data(as_text=True)
    assert "being computed" in page
    assert service.current(db.get_document(resource_id)) is None
    queue = jobs.get_queue()
    assert len(queue.job_ids) == 1
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.remove()

    document = db.get_document(resource_id)
    assert document.indicators == current["indicators"]
    assert document.indicators["version"] == analysis.VERSION
    assert document.big_numbers == current["big_numbers"]
    assert service.current(document) is not None
    assert "being computed" not in app.get(f"/budget/{name}/explorer").get_data(as_text=True)
