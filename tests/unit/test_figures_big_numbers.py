"""The four big numbers of a document, one definition (``docbudg.figures.big_numbers``),
equal to sums computed here from the XML of every valid sample."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg.figures.big_numbers import BigNumbers, big_numbers, total
from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums
from .independent_sums import SAMPLES

VALID = sorted(p for p in SAMPLES.glob("*/*.xml*") if p.parent.name != "invalid")


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_big_numbers_equal_the_documents_real_operations(path: Path) -> None:
    expected = independent_sums.big_numbers(path)
    found = big_numbers(read_document(path))
    assert dict(found) == expected
    assert set(found) == set(expected)


def test_an_account_leaves_its_carried_over_result_out() -> None:
    """Mohon's CFU carries last year's result over (002): not a receipt of the year."""
    path = SAMPLES / "mohon" / "Mohon_CFU_2023.xml.gz"
    carried = Decimal(0)
    for line in ET.fromstring(gzip.decompress(path.read_bytes())).iter():
        values = {child.tag.rsplit("}", 1)[-1]: child.get("V") for child in line}
        if line.tag.endswith("LigneBudget") and values.get("Nature") == "002":
            carried += Decimal(values.get("MtReal") or "0")
    assert carried > 0
    found = big_numbers(read_document(path))
    assert found["RF"] == independent_sums.big_numbers(path)["RF"]


def test_a_section_with_only_lines_of_zero_is_shown_and_one_without_lines_is_not() -> None:
    doc = read_document(SAMPLES / "crach" / "Crach_principal_DM2_2021.xml")
    for line in doc.line_elements():  # investment credits all nil, the lines still there
        if line.find(q("Nature")).get("V")[:1] not in "67":
            for field in line.iter(q("MtBudgPrec"), q("MtPrev")):
                field.set("V", "0.00")
    amending = big_numbers(doc)
    assert [s.section for s in amending.sections()] == ["F", "I"]
    assert (amending["RI"], amending["DI"]) == (Decimal(0), Decimal(0))
    operating_only = BigNumbers({"RF": Decimal("10.00"), "DF": Decimal("4.50")})
    (section,) = operating_only.sections()
    assert (section.section, section.receipts, section.spending) == (
        "F",
        Decimal("10.00"),
        Decimal("4.50"),
    )
    assert operating_only["DI"] == 0 and "DI" not in operating_only


def test_totals_add_up_key_by_key_and_survive_json() -> None:
    paths = [SAMPLES / "crach" / f"Crach_principal_DM{n}_2021.xml" for n in (2, 3)]
    numbers = [big_numbers(read_document(p)) for p in paths]
    summed = total(numbers)
    expected = [independent_sums.big_numbers(p) for p in paths]
    for key in ("RF", "DF", "RI", "DI"):
        assert summed[key] == sum((e.get(key, Decimal(0)) for e in expected), Decimal(0))
    again = BigNumbers.from_json(json.loads(json.dumps(summed.to_json())))
    assert again == summed and str(again["DF"]) == str(summed["DF"])
