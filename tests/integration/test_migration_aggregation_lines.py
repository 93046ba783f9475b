"""Revision 0007 on a real database: aggregations stored before it (without their leaves'
lines) are out of date after it; the first read of their document says its figures are
being computed and queues the job, which stores them again with their lines."""

from __future__ import annotations

from typing import Any

import pytest
import rq
from bs4 import BeautifulSoup
from ckan import model
from ckan.lib import jobs

from ckanext.budget.docbudg.figures.results import LINES_FORMAT
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service

from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

ACCOUNT = "crach/Crach_principal_CA_2021.xml"
BEFORE = "0006_budget_document_big_numbers"


def test_aggregations_stored_before_are_computed_again_with_their_lines(
    app: Any, migrate_db_for: Any
) -> None:
    dataset = budget_dataset("crach-budget-principal", (ACCOUNT,), title="Crach")
    resource_id = db.documents_for_package(dataset["id"])[0].resource_id
    result = service.stored(resource_id).result
    model.Session.remove()
    try:
        migrate_db_for("budget", BEFORE, forward=False)
    finally:
        model.Session.remove()
        migrate_db_for("budget")

    assert service.current(db.get_document(resource_id)) is None
    url = f"/dataset/{dataset['name']}/resource/{resource_id}"
    assert "are being computed" in app.get(url).get_data(as_text=True)
    queue = jobs.get_queue()
    assert len(queue.job_ids) == 1
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.remove()

    aggregation = service.current(db.get_document(resource_id))
    assert aggregation is not None and aggregation.result == result
    assert aggregation.lines["format"] == LINES_FORMAT
    leaf = service.result(aggregation).tree("chapitre").categories[0].children[0].children[0]
    page = BeautifulSoup(
        app.get(f"{url}?tree=chapitre&node={leaf.id}").get_data(as_text=True), "html.parser"
    )
    assert page.select("table.budget-explorer-lines tbody tr")
