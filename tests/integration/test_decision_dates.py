"""Each processed document keeps when its decision was voted (``DteDec``), what orders a
year's decisions; revision 0011 fills it from the header stored before it."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model

from ckanext.budget.documents import model as db

from ..unit.independent_sums import SAMPLES
from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

BP = "crach/Crach_lotissement_BP_2022.xml"
DM1 = "crach/Crach_lotissement_DM1_2022.xml"
BEFORE = "0010_budget_ruleset_soft_delete"


def written_date(path: str) -> datetime.date:
    """The ``DteDec`` the sample carries, read here with ElementTree."""
    found = ET.fromstring((SAMPLES / path).read_bytes()).find(".//{*}DteDec")
    assert found is not None
    return datetime.date.fromisoformat(found.get("V") or "")


def dates(package_id: str) -> dict[str | None, datetime.date | None]:
    model.Session.remove()
    return {d.stage: d.dte_dec for d in db.documents_for_package(package_id)}


def test_a_processed_document_keeps_its_decision_date_and_the_migration_fills_it(
    migrate_db_for: Any,
) -> None:
    dataset = budget_dataset("crach-lotissement", (BP, DM1), title="Crach lotissement")
    expected = {"BP": written_date(BP), "DM": written_date(DM1)}
    assert expected == {"BP": datetime.date(2022, 4, 4), "DM": datetime.date(2022, 7, 4)}
    assert dates(dataset["id"]) == expected

    model.Session.remove()
    try:
        migrate_db_for("budget", BEFORE, forward=False)
        model.Session.execute(
            sa.text(
                'UPDATE budget_document SET header = header || \'{"dte_dec": "juin"}\' '
                "WHERE stage = 'DM'"
            )
        )
        model.Session.commit()
    finally:
        model.Session.remove()
        migrate_db_for("budget")

    assert dates(dataset["id"]) == {"BP": expected["BP"], "DM": None}  # unreadable: none
