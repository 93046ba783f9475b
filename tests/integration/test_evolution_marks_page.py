"""The budget page's evolution chart and table name function parts by their official
code (0–9), not by their rank (1–10); parts without a code get letters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bs4 import BeautifulSoup

from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db")


def test_function_parts_carry_their_code(app: Any) -> None:
    dataset = budget_dataset(
        "montreuil-marks", ("montreuil/Montreuil_CA_2018.xml.gz",), title="Montreuil"
    )
    response = app.get(f"/budget/{dataset['name']}/explorer?tree=fonction")
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    tables = page.select("#budget-evolution table.budget-evolution-table")
    assert tables
    codes = 0
    for table in tables:
        for row in table.select("tbody tr[data-id]"):
            heading = row.th.get_text(" ", strip=True)
            found = re.fullmatch(r"[DR]\.(\d)", row["data-id"])
            if found:
                codes += 1
                assert row["data-mark"] == found.group(1)
                assert heading.startswith(f"{found.group(1)}. "), heading
            else:
                assert row["data-mark"].isalpha(), heading
    assert codes >= 5
    legend = [t.get_text() for t in page.select("#budget-evolution figure svg text")]
    zero = [text for text in legend if text.startswith("0. ")]
    assert zero, legend  # function 0 (general services) is « 0. », not « 1. »
