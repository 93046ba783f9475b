"""SCDL budget export: valid under the official schema (frictionless) for every sample."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from frictionless import Resource, Schema

from ckanext.budget.docbudg.export import ExportError, build_table, export
from ckanext.budget.docbudg.export.scdl_schemas import BUDGET, load_schema
from ckanext.budget.docbudg.export.table import amount
from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.reader import read_document

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
VALID_SAMPLES = sorted(
    str(p.relative_to(SAMPLES)) for p in SAMPLES.glob("*/*.xml*") if p.parent.name != "invalid"
)


def frictionless_errors(data: bytes) -> list[list]:
    schema = Schema.from_descriptor(load_schema(BUDGET))
    report = Resource(data=data, format="csv", schema=schema).validate()
    return report.flatten(["rowNumber", "fieldName", "type", "note"])


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture(scope="module", params=VALID_SAMPLES)
def sample(request):
    doc = read_document(SAMPLES / request.param)
    return doc, export(doc, "scdl-budget")


def test_export_is_valid_under_the_scdl_schema(sample):
    _doc, result = sample
    assert frictionless_errors(result.data) == []


def test_every_counted_line_is_exported_and_totals_are_kept(sample):
    doc, result = sample
    rows = rows_of(result.data)
    assert result.skipped == ()
    assert len(rows) == len(doc.detail_lines)
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in doc.detail_lines:
        for field in ("MtReal", "MtPrev"):
            expected[(line.cod_rd, field)] += line.amount(field)
    got: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        side = "R" if row["BGT_CODRD"] == "recette" else "D"
        for column, field in (("BGT_MTREAL", "MtReal"), ("BGT_MTPREV", "MtPrev")):
            got[(side, field)] += Decimal(row[column] or "0")
    assert got == expected


def test_amounts_have_two_decimals_and_a_dot(sample):
    _doc, result = sample
    for row in rows_of(result.data):
        for column in ("BGT_MTREAL", "BGT_MTPREV", "BGT_CREDOUV"):
            value = row[column]
            if value:
                assert value.replace("-", "", 1).replace(".", "", 1).isdigit()
                assert value[-3] == "."


def test_calculated_totals_are_left_out_of_the_cfu():
    doc = read_document(SAMPLES / "mohon/Mohon_CFU_2023.xml.gz")
    assert len(doc.lines) == 796
    rows = rows_of(export(doc, "scdl-budget").data)
    assert len(rows) == 163


def test_cfu_is_published_as_compte_administratif_with_a_note():
    doc = read_document(SAMPLES / "mohon/Mohon_CFU_2023.xml.gz")
    result = export(doc, "scdl-budget")
    assert {row["BGT_NATDEC"] for row in rows_of(result.data)} == {"compte administratif"}
    assert any("compte financier unique" in note.text("fr") for note in result.notes)


def test_stage_words_are_the_schema_lower_case_values():
    expected = {
        "crach/Crach_principal_BP_2022.xml": "budget primitif",
        "crach/Crach_principal_DM2_2021.xml": "décision modificative",
        "crach/Crach_principal_CA_2021.xml": "compte administratif",
    }
    for name, stage in expected.items():
        rows = rows_of(export(read_document(SAMPLES / name), "scdl-budget").data)
        assert {row["BGT_NATDEC"] for row in rows} == {stage}


def test_section_and_chapter_come_through_the_account_when_contnat_is_missing():
    doc = read_document(SAMPLES / "crach/Crach_lotissement_CA_2021.xml")
    without_contnat = [line for line in doc.detail_lines if not line.cont_nat]
    assert without_contnat, "the sample has lines without ContNat"
    rows = rows_of(export(doc, "scdl-budget").data)
    by_nature = {row["BGT_NATURE"]: row for row in rows}
    sale = by_nature["7015"]  # ventes de terrains aménagés: chapter 70, fonctionnement
    assert (sale["BGT_CONTNAT"], sale["BGT_SECTION"]) == ("70", "fonctionnement")
    assert sale["BGT_CONTNAT_LABEL"] == "Produits des services, du domaine et ventes diverses"
    for line in without_contnat:
        row = by_nature[line.nature]
        assert row["BGT_CONTNAT"] and row["BGT_SECTION"] in ("fonctionnement", "investissement")


def test_labels_come_from_the_plan_de_comptes():
    doc = read_document(SAMPLES / "montreuil/Montreuil_CA_2021.xml.gz")
    rows = rows_of(export(doc, "scdl-budget").data)
    staff = next(row for row in rows if row["BGT_NATURE"] == "64131")
    assert staff["BGT_NATURE_LABEL"] == "Rémunérations"
    assert staff["BGT_CONTNAT"] == "012"
    assert staff["BGT_CONTNAT_LABEL"] == "Charges de personnel et frais assimilés"
    assert all(row["BGT_FONCTION_LABEL"] for row in rows if row["BGT_FONCTION"])


def test_annexe_budget_keeps_its_own_siret_and_says_which_budget():
    doc = read_document(SAMPLES / "crach/Crach_lotissement_BP_2022.xml")
    rows = rows_of(export(doc, "scdl-budget").data)
    assert {row["BGT_SIRET"] for row in rows} == {"21560046100085"}
    assert {row["BGT_NOM"] for row in rows} == {"CRACH - LOTISSEMENT LE BOCENO"}


def test_malformed_establishment_siret_refuses_the_export():
    doc = read_document(SAMPLES / "invalid/totem_mauvais_siret.xml")
    with pytest.raises(ExportError) as caught:
        export(doc, "scdl-budget")
    assert "SIRET" in caught.value.text("fr") and "SIRET" in caught.value.text("en")


@pytest.mark.parametrize(
    "name", ["invalid/totem_mauvaise_etape.xml", "invalid/totem_mauvaise_annee.xml"]
)
def test_unusable_header_refuses_the_export_with_a_bilingual_message(name):
    doc = read_document(SAMPLES / name)
    with pytest.raises(ExportError) as caught:
        export(doc, "scdl-budget")
    assert caught.value.code == "export_impossible"
    assert caught.value.text("fr") != caught.value.text("en")


def test_a_line_the_plan_cannot_place_is_reported_not_written():
    doc = read_document(SAMPLES / "crach/Crach_lotissement_CA_2021.xml")
    element = next(el for el in doc.line_elements() if el.find(q("ContNat")) is None)
    element.find(q("Nature")).set("V", "99999")
    doc.__dict__.pop("lines", None)  # the lines are cached: re-read the edited tree
    table = build_table(doc, "scdl-budget")
    assert len(table.rows) == len(doc.detail_lines) - 1
    assert len(table.skipped) == 1
    assert table.skipped[0].sourceline == element.sourceline
    assert "99999" not in table.skipped[0].reason.text("en")
    assert frictionless_errors(export(doc, "scdl-budget").data) == []


def test_unknown_direction_is_reported_not_written():
    doc = read_document(SAMPLES / "crach/Crach_lotissement_BP_2022.xml")
    element = next(doc.line_elements())
    element.find(q("CodRD")).set("V", "X")
    doc.__dict__.pop("lines", None)
    table = build_table(doc, "scdl-budget")
    assert [row.index for row in table.skipped] == [0]
    assert "CodRD" in table.skipped[0].reason.text("fr")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234.5"), "1234.50"),
        (Decimal("-0.001"), "0.00"),
        (Decimal("0.005"), "0.01"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("-12.345"), "-12.35"),
        (None, ""),
    ],
)
def test_amount_formatting(value, text):
    assert amount(value) == text


def test_csv_is_utf8_with_the_schema_column_order():
    doc = read_document(SAMPLES / "saint-malo/SaintMaloAgglo_transport_BP_2022.xml")
    data = export(doc, "scdl-budget").data
    header = data.decode("utf-8").splitlines()[0].split(",")
    assert header == [f["name"] for f in load_schema(BUDGET)["fields"]]
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "dépense".encode() in data


def test_row_checker_catches_what_frictionless_would_reject():
    from ckanext.budget.docbudg.export.scdl_schemas import SUBVENTIONS
    from ckanext.budget.docbudg.export.table import RowChecker

    budget = RowChecker(load_schema(BUDGET), only=("BGT_NATURE", "BGT_NATURE_LABEL"))
    row = {"BGT_NATURE": "1234567890", "BGT_NATURE_LABEL": ""}
    assert budget.problems(row) == ["BGT_NATURE", "BGT_NATURE_LABEL"]
    assert "BGT_NATDEC" in budget.problems(row, every_field=True)
    subsidies = RowChecker(load_schema(SUBVENTIONS))
    bad = {"dateConvention": "2022-02-30", "pourcentageSubvention": "1.5", "idAttribuant": "12"}
    found = subsidies.problems(bad)
    assert {"dateConvention", "pourcentageSubvention", "idAttribuant"} <= set(found)
