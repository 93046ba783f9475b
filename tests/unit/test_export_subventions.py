"""SCDL subventions export: from the anonymised CONCOURS annex, valid under the schema."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from frictionless import Resource, Schema

from ckanext.budget.docbudg.anonymisation import DEFAULT_REPLACEMENT, anonymise
from ckanext.budget.docbudg.export import NothingToExport, export
from ckanext.budget.docbudg.export.scdl_schemas import SUBVENTIONS, load_schema
from ckanext.budget.docbudg.export.scdl_subventions import NO_OBJECT
from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.reader import read_document

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
WITH_CONCOURS = [
    "crach/Crach_principal_BP_2022.xml",
    "crach/Crach_principal_CA_2021.xml",
    "crach/Crach_principal_DM2_2021.xml",
    "mohon/Mohon_CFU_2023.xml.gz",
    "montreuil/Montreuil_CA_2017.xml.gz",
    "montreuil/Montreuil_CA_2021.xml.gz",
]


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def anonymised(name: str):
    doc = read_document(SAMPLES / name)
    anonymise(doc)
    return doc


@pytest.fixture(scope="module", params=WITH_CONCOURS)
def sample(request):
    doc = anonymised(request.param)
    return doc, export(doc, "scdl-subventions")


def test_export_is_valid_under_the_scdl_schema(sample):
    _doc, result = sample
    schema = Schema.from_descriptor(load_schema(SUBVENTIONS))
    report = Resource(data=result.data, format="csv", schema=schema).validate()
    assert report.flatten(["rowNumber", "fieldName", "type"]) == []


def test_one_row_per_record_with_the_exact_amounts(sample):
    doc, result = sample
    records = doc.record_rows("CONCOURS")
    rows = rows_of(result.data)
    assert len(rows) == len(records)
    assert sum(Decimal(r["montant"]) for r in rows) == sum(Decimal(r["MtSubv"]) for r in records)


def test_conventional_values_are_announced_in_both_languages(sample):
    _doc, result = sample
    (note,) = result.notes
    assert "dateConvention" in note.text("fr") and "dateConvention" in note.text("en")
    assert note.text("fr") != note.text("en")


def test_natural_persons_are_not_published():
    doc = read_document(SAMPLES / "crach/Crach_principal_BP_2022.xml")
    record = doc.records("CONCOURS")[0]
    record.find(q("CodNatJurBenefCA")).set("V", "P3")
    record.find(q("LibOrgaBenef")).set("V", "DUPONTEL Jeanne")
    record.find(q("ObjSubv")).set("V", "Aide au permis de Jeanne DUPONTEL")
    anonymise(doc)
    result = export(doc, "scdl-subventions")
    assert b"DUPONTEL" not in result.data
    rows = rows_of(result.data)
    assert rows[0]["nomBeneficiaire"] == DEFAULT_REPLACEMENT
    assert rows[1]["nomBeneficiaire"] != DEFAULT_REPLACEMENT  # associations stay named


def test_beneficiary_siret_only_for_declared_legal_persons():
    doc = read_document(SAMPLES / "crach/Crach_principal_BP_2022.xml")
    records = list(doc.records("CONCOURS"))
    person, association = records[0], records[1]
    for element, code, siret in (
        (person, "P3", "12345678901234"),
        (association, "P1", "78912345600011"),
    ):
        element.find(q("CodNatJurBenefCA")).set("V", code)
        new = element.makeelement(q("Siret"), {"V": siret})
        element.find(q("ObjSubv")).addnext(new)
    rows = rows_of(export(doc, "scdl-subventions").data)
    assert rows[0]["idBeneficiaire"] == ""
    assert rows[1]["idBeneficiaire"] == "78912345600011"


def test_budget_decision_date_for_a_bp_and_the_exercise_for_a_ca():
    bp = rows_of(export(anonymised("crach/Crach_principal_BP_2022.xml"), "scdl-subventions").data)
    assert {r["dateConvention"] for r in bp} == {"2022-04-04"}
    assert {r["referenceDecision"] for r in bp} == {"budget primitif 2022"}
    ca = rows_of(export(anonymised("crach/Crach_principal_CA_2021.xml"), "scdl-subventions").data)
    assert {r["dateConvention"] for r in ca} == {"2021-01-01"}
    assert {r["datesPeriodeVersement"] for r in ca} == {"2021-01-01/2021-12-31"}


def test_object_falls_back_to_the_account_label_then_a_fixed_text():
    doc = read_document(SAMPLES / "crach/Crach_principal_BP_2022.xml")
    first = doc.records("CONCOURS")[0]
    for name in ("ObjSubv", "LibPrestaNat"):
        first.remove(first.find(q(name)))
    rows = rows_of(export(doc, "scdl-subventions").data)
    assert rows[0]["objet"] == (
        "Subventions de fonctionnement aux associations et autres personnes de droit privé"
    )
    assert rows[1]["objet"] == "SUBVENTION TENNIS"
    mohon = rows_of(export(anonymised("mohon/Mohon_CFU_2023.xml.gz"), "scdl-subventions").data)
    assert {r["objet"] for r in mohon} == {NO_OBJECT}


def test_help_in_kind_is_recognised_only_when_named_apart_from_the_object():
    montreuil = rows_of(
        export(anonymised("montreuil/Montreuil_CA_2021.xml.gz"), "scdl-subventions").data
    )
    natures = [r["nature"] for r in montreuil]
    assert natures.count("aide en numéraire;aide en nature") == 6  # "MAD Personnel"
    crach = rows_of(
        export(anonymised("crach/Crach_principal_BP_2022.xml"), "scdl-subventions").data
    )
    assert {r["nature"] for r in crach} == {"aide en numéraire"}  # LibPrestaNat = object


def test_no_concours_annex_means_nothing_to_export():
    doc = read_document(SAMPLES / "crach/Crach_lotissement_BP_2022.xml")
    with pytest.raises(NothingToExport) as caught:
        export(doc, "scdl-subventions")
    assert "CONCOURS" in caught.value.text("fr")
