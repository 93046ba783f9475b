"""Lines export for the explorer: every counted line, words next to codes, exact cents."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg.export import export
from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
DOCUMENTS = [
    "montreuil/Montreuil_CA_2021.xml.gz",
    "mohon/Mohon_CFU_2023.xml.gz",
    "crach/Crach_principal_BP_2022.xml",
    "saint-malo/SaintMaloAgglo_transport_BP_2022.xml",
]


@pytest.fixture(scope="module", params=DOCUMENTS)
def document(request):
    return read_document(SAMPLES / request.param)


def test_csv_and_json_hold_the_same_rows(document):
    from_csv = list(csv.DictReader(io.StringIO(export(document, "lines", "csv").data.decode())))
    from_json = json.loads(export(document, "lines", "json").data)
    assert from_json["rows"] == from_csv
    assert from_json["fields"] == list(from_csv[0])


def test_totals_match_the_document_to_the_cent(document):
    payload = json.loads(export(document, "lines", "json").data)
    fields = independent_sums.AMOUNTS[document.header.nat_dec]
    assert payload["document"]["amount_field"] == "+".join(fields)
    for side in ("D", "R"):
        expected = sum(
            (
                line.amount(field)
                for line in document.detail_lines
                if line.cod_rd == side
                for field in fields
            ),
            Decimal(0),
        )
        got = sum(
            (Decimal(row["amount"]) for row in payload["rows"] if row["cod_rd"] == side),
            Decimal(0),
        )
        assert got == expected


def test_every_line_has_words_for_its_codes(document):
    rows = json.loads(export(document, "lines", "json").data)["rows"]
    assert len(rows) == len(document.detail_lines)
    for row in rows:
        assert row["section_label"] in ("fonctionnement", "investissement")
        assert row["op_budg_label"] in ("réel", "ordre")
        assert row["cod_rd_label"] in ("recette", "dépense")
        assert row["nature_label"] and row["chapter_label"]
        if row["fonction"]:
            assert row["fonction_label"]


def test_a_code_unknown_to_the_plan_keeps_its_line_and_amount():
    doc = read_document(SAMPLES / "crach/Crach_lotissement_BP_2022.xml")
    element = next(el for el in doc.line_elements() if el.find(q("ContNat")) is None)
    element.find(q("Nature")).set("V", "99999")
    rows = json.loads(export(doc, "lines", "json").data)["rows"]
    assert len(rows) == len(doc.detail_lines)
    unknown = next(row for row in rows if row["nature"] == "99999")
    assert unknown["section"] == "" and unknown["chapter"] == ""
    assert unknown["amount"] == f"{Decimal(element.find(q('MtPrev')).get('V')):.2f}"
