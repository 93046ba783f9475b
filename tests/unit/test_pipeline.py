"""The pipeline: one path from upload to publishable outputs, anonymisation unskippable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckanext.budget.docbudg.anonymisation import AnonymisationPolicy
from ckanext.budget.docbudg.errors import MalformedXML, NotABudgetDocument, TooLarge
from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.pipeline import process
from ckanext.budget.docbudg.reader import Limits, read_document

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
PERSON = "DUPONTEL Jeanne"


def with_a_person() -> bytes:
    """Crach's BP with one subsidy to a (synthetic) natural person."""
    doc = read_document(SAMPLES / "crach/Crach_principal_BP_2022.xml")
    record = doc.records("CONCOURS")[0]
    record.find(q("CodNatJurBenefCA")).set("V", "P3")
    record.find(q("LibOrgaBenef")).set("V", PERSON)
    return doc.to_bytes()


def test_every_output_is_anonymised():
    result = process(with_a_person())
    assert PERSON.encode() not in result.anonymised
    for produced in result.exports.values():
        assert PERSON.encode() not in produced.data
    assert PERSON not in json.dumps(result.summary("fr"), ensure_ascii=False)
    assert result.anonymisation.natural_persons == 1


def test_default_exports_and_what_they_hold():
    result = process(SAMPLES / "crach/Crach_principal_BP_2022.xml")
    assert set(result.exports) == {
        "scdl-budget.csv",
        "scdl-subventions.csv",
        "lines.csv",
        "lines.json",
    }
    assert result.exports["scdl-budget.csv"].rows == result.detail_line_count == 201
    assert result.header.exer == 2022
    assert result.status == "valid"
    assert result.annex_counts["CONCOURS"] == 31
    assert result.document is None
    assert read_document(result.anonymised).header == result.header


def test_requested_exports_only():
    result = process(SAMPLES / "crach/Crach_principal_BP_2022.xml", exports=("lines.json",))
    assert list(result.exports) == ["lines.json"]
    assert process(SAMPLES / "crach/Crach_principal_BP_2022.xml", exports=()).exports == {}


def test_unknown_export_is_refused_before_reading():
    with pytest.raises(ValueError):
        process(b"not even xml", exports=("pdf",))
    with pytest.raises(ValueError):
        process(b"not even xml", exports=("lines.xml",))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"<DocumentBudgetaire><Budget>", MalformedXML),
        (b"<?xml version='1.0'?><html/>", NotABudgetDocument),
    ],
)
def test_unreadable_documents_raise_typed_errors(data, error):
    with pytest.raises(error):
        process(data)


def test_limits_are_applied():
    with pytest.raises(TooLarge):
        process(SAMPLES / "crach/Crach_principal_BP_2022.xml", limits=Limits(max_bytes=10_000))


def test_invalid_document_is_reported_and_exports_say_why_they_are_missing():
    result = process(SAMPLES / "invalid/totem_mauvaise_etape.xml")
    assert result.status == "errors"
    error = result.export_errors["scdl-budget"]
    assert error.code == "export_impossible"
    assert "NatDec" in error.text("en")
    assert result.export_errors["scdl-subventions"].code == "export_not_applicable"
    assert "lines.csv" in result.exports
    summary = result.summary("en")
    assert summary["export_errors"]["scdl-budget"]["code"] == "export_impossible"


def test_policy_reaches_the_anonymiser():
    policy = AnonymisationPolicy(replacement="[occulté]")
    result = process(with_a_person(), policy=policy, keep_document=True)
    assert b"[occult\xc3\xa9]" in result.exports["scdl-subventions.csv"].data
    assert result.document is not None
