"""The loans page totals the authority's own debt and the loans it guarantees apart,
and says a variable rate is variable (with its index) instead of « 0 », also for a
document whose tables an earlier version stored (the aggregation job builds them again)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
import rq
from bs4 import BeautifulSoup
from ckan import model
from ckan.lib import jobs
from ckan.tests import factories

from ckanext.budget.docbudg import annex_tables
from ckanext.budget.documents import model as db

from ..unit.test_annex_loans import loans, owed
from .budget_uploads import SAMPLES, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

MONTREUIL = "montreuil/Montreuil_CA_2021.xml.gz"


@pytest.fixture
def montreuil() -> tuple[dict[str, Any], dict[str, Any]]:
    dataset = factories.Dataset(type="budget", owner_org=factories.Organization()["id"])
    resource = upload_resource(dataset["id"], sample_bytes(MONTREUIL), "Montreuil_CA_2021.xml.gz")
    return dataset, resource


def url(target: tuple, what: str = "", lang: str = "") -> str:
    dataset, resource = target
    prefix = f"/{lang}" if lang else ""
    return (
        f"{prefix}/dataset/{dataset['name']}/resource/{resource['id']}/budget/annexes/emprunt"
        + (f"/{what}" if what else "")
    )


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_loans_page_totals_own_debt_and_guarantees_apart(app: Any, montreuil) -> None:
    records = loans(SAMPLES / MONTREUIL)
    own, guaranteed = owed(records, ("01", "02")), owed(records, ("09",))
    response = app.get(url(montreuil, lang="fr"))
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    footer = page.select("table.budget-annex-totals tfoot tr")
    owed_column = [
        th.get_text(strip=True) for th in page.select("table.budget-annex-totals thead th")
    ].index("Capital restant dû au 31/12")
    found = {
        row.th.get_text(strip=True): Decimal(row.select("th, td")[owed_column]["data-amount"])
        for row in footer
    }
    assert found == {
        "Dette propre de la collectivité": own,
        "Emprunts garantis (dette d'autres organismes)": guaranteed,
    }
    amounts = {Decimal(td["data-amount"]) for td in page.select("[data-amount]")}
    assert own + guaranteed not in amounts  # 776 M€: never shown as one debt

    headings = [th["data-column"] for th in page.select("table.budget-annex-table thead th")]
    rate = headings.index("taux")
    kinds = headings.index("type_taux")
    variable = [
        row.select("th, td")
        for row in page.select("table.budget-annex-table tbody tr")
        if row.select("th, td")[kinds].get("data-code") == "V"
    ]
    assert variable
    for cells in variable:
        text = cells[rate].get_text(" ", strip=True)
        assert text.startswith("Variable") and "index : " in text, text
        assert text != "0"

    body = app.get(url(montreuil, "data.json")).json
    parts = {p["partie"]: Decimal(p["capital_restant_du"]) for p in body["totaux_parties"]}
    assert parts == {"dette_propre": own, "emprunts_garantis": guaranteed}
    assert "capital_restant_du" not in body["total"]


def variable_rates(app: Any, target: tuple) -> list[str]:
    page = BeautifulSoup(app.get(url(target)).get_data(as_text=True), "html.parser")
    headings = [th["data-column"] for th in page.select("table.budget-annex-table thead th")]
    rate, kinds = headings.index("taux"), headings.index("type_taux")
    return [
        row.select("th, td")[rate].get_text(" ", strip=True)
        for row in page.select("table.budget-annex-table tbody tr")
        if row.select("th, td")[kinds].get("data-code") == "V"
    ]


def test_loans_stored_by_an_earlier_version_get_their_index_back(app: Any, montreuil) -> None:
    dataset, resource = montreuil
    stored = model.Session.query(db.BudgetExportRecord).filter_by(
        resource_id=resource["id"], name=annex_tables.export_name("emprunt")
    )
    # As version 1 stored them: no index nor margin columns, no version in the counts.
    rows = list(csv.DictReader(io.StringIO(stored.one().content.decode("utf-8"))))
    old = io.StringIO()
    writer = csv.DictWriter(
        old,
        [key for key in rows[0] if key not in ("index_taux", "marge_taux")],
        extrasaction="ignore",
    )
    writer.writeheader()
    writer.writerows(rows)
    stored.one().content = old.getvalue().encode("utf-8")
    document = db.get_document(resource["id"])
    document.counts = {k: v for k, v in document.counts.items() if k != "annex_tables"}
    model.Session.commit()
    assert all("index" not in text for text in variable_rates(app, montreuil))

    page = app.get(f"/budget/{dataset['name']}/explorer").get_data(as_text=True)
    assert "being computed" in page
    queue = jobs.get_queue()
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model.Session.remove()

    texts = variable_rates(app, montreuil)
    assert texts and all("index" in text for text in texts), texts
    assert db.get_document(resource["id"]).counts["annex_tables"] == annex_tables.VERSION
    assert stored.count() == 1
