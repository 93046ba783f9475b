"""Revision 0005 on a real database: stored aggregations go back to the French form of
earlier versions and come again to the typed form, and the pages show the same figures;
an aggregation whose rules count other lines than the big numbers is computed again."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rq
from bs4 import BeautifulSoup
from ckan import model
from ckan.lib import jobs as ckan_jobs
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.docbudg.aggregation import (
    Selection,
    aggregate,
    default_ruleset,
    ruleset_to_dict,
)
from ckanext.budget.docbudg.figures.big_numbers import BigNumbers
from ckanext.budget.docbudg.figures.report import result_to_dict
from ckanext.budget.docbudg.figures.results import FORMAT, Result
from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets.model import AggregationRecord

from ..unit import independent_sums
from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

ACCOUNT = "crach/Crach_principal_CA_2021.xml"
BEFORE = "0004_budget_indicators"


def stored_json() -> dict[str, dict[str, Any]]:
    model.Session.remove()
    rows = model.Session.query(AggregationRecord.resource_id, AggregationRecord.result)
    return {resource_id: result for resource_id, result in rows}


def key_figures(app: Any, dataset: dict[str, Any], resource_id: str) -> list[str]:
    html = app.get(f"/dataset/{dataset['name']}/resource/{resource_id}").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    return [td.get_text(strip=True) for td in page.select("table.budget-key-figures td")]


def test_stored_aggregations_go_down_to_the_french_form_and_up_again(
    app: Any, migrate_db_for: Any
) -> None:
    doc = read_document(independent_sums.SAMPLES / ACCOUNT)
    plain = budget_dataset("crach-budget-principal", (ACCOUNT,), title="Crach")
    other_org = factories.Organization()
    rules = default_ruleset(doc)
    rules.selection = Selection(operations="tout")
    call_action("budget_ruleset_create", organization=other_org["id"], rules=ruleset_to_dict(rules))
    counting_more = budget_dataset("crach-tout", (ACCOUNT,), org=other_org)
    default_id = db.documents_for_package(plain["id"])[0].resource_id
    other_id = db.documents_for_package(counting_more["id"])[0].resource_id
    shown = key_figures(app, plain, default_id)
    assert len(shown) == 4
    typed = stored_json()
    model.Session.remove()

    try:
        migrate_db_for("budget", BEFORE, forward=False)
        french = stored_json()
    finally:
        model.Session.remove()
        migrate_db_for("budget")

    expected = result_to_dict(aggregate(doc, default_ruleset(doc)), with_lines=False)
    assert french[default_id] == json.loads(json.dumps(expected))
    assert "format" not in french[other_id] and french[other_id]["arbres"]

    migrated = stored_json()
    # 0005 writes its format, the shape of today's: the same trees and totals come back…
    assert migrated[default_id]["format"] == "budget-result/1"
    again = Result.from_json({**migrated[default_id], "format": FORMAT})
    before = Result.from_json(typed[default_id])
    assert (again.trees, again.totals) == (before.trees, before.totals)
    # Rules counting order operations: no big numbers to migrate.
    assert migrated[other_id]["big_numbers"] == {}
    # …but figures stored under earlier conventions are never shown as current: a read
    # says they are being computed and queues the job that computes them again.
    assert key_figures(app, plain, default_id) == []
    assert key_figures(app, counting_more, other_id) == []
    queue = ckan_jobs.get_queue()
    assert queue.job_ids
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.remove()
    assert stored_json()[default_id] == typed[default_id]
    assert key_figures(app, plain, default_id) == shown
    stored = BigNumbers.from_json(db.get_document(other_id).big_numbers)
    assert dict(stored) == independent_sums.big_numbers(independent_sums.SAMPLES / ACCOUNT)
    assert key_figures(app, counting_more, other_id) == shown
