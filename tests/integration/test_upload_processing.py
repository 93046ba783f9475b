"""Uploading budget documents through CKAN's actions: anonymised before storage, then
validated, with lines, reports and derived files stored per resource."""

from __future__ import annotations

import csv
import gzip
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.lib import uploader
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.docbudg.reader import read_document
from ckanext.budget.documents import model as db

from .budget_uploads import sample_bytes, update_resource, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

# (fixture, expected validation status, codes that must be among the findings)
SAMPLES_EXPECTED = [
    ("crach/Crach_principal_CA_2021.xml", {"valid", "warnings"}, set()),
    ("crach/Crach_principal_BP_2022.xml", {"valid", "warnings"}, set()),
    ("crach/Crach_lotissement_DM1_2022.xml", {"valid", "warnings"}, set()),
    ("saint-malo/SaintMaloAgglo_transport_BP_2022.xml", {"valid", "warnings"}, set()),
    ("montreuil/Montreuil_CA_2016.xml.gz", {"valid", "warnings"}, set()),
    ("montreuil/Montreuil_CA_2021.xml.gz", {"valid"}, {"xsd_version_newer"}),
    ("mohon/Mohon_CFU_2023.xml.gz", {"valid"}, {"xsd_version_newer"}),
    ("invalid/totem_mauvais_siret.xml", {"errors"}, {"siret_format"}),
    ("invalid/totem_mauvaise_annee.xml", {"errors"}, set()),
    ("invalid/totem_mauvaise_etape.xml", {"errors"}, set()),
    ("invalid/totem_mauvaise_nomenclature.xml", {"errors"}, set()),
]


@pytest.fixture
def dataset() -> dict[str, Any]:
    org = factories.Organization()
    return factories.Dataset(owner_org=org["id"])


def stored_file(resource: dict[str, Any]) -> bytes:
    path = uploader.get_resource_uploader(resource).get_path(resource["id"])
    return Path(path).read_bytes()


@pytest.mark.parametrize(("fixture", "statuses", "codes"), SAMPLES_EXPECTED)
def test_each_sample_ends_processed_with_its_expected_status(
    dataset: dict[str, Any], fixture: str, statuses: set[str], codes: set[str]
) -> None:
    data = sample_bytes(fixture)
    resource = upload_resource(dataset["id"], data, Path(fixture).name)
    record = db.get_document(resource["id"])
    assert record is not None
    assert record.status == db.STATUS_DONE
    assert record.validation_status in statuses
    found = {f["code"] for f in record.validation_report["findings"]}
    assert codes <= found
    if "errors" not in statuses:
        assert not [f for f in record.validation_report["findings"] if f["severity"] == "error"]


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_upload_gets_a_readable_name_format_and_identity(dataset: dict[str, Any]) -> None:
    data = sample_bytes("crach/Crach_principal_CA_2021.xml")
    resource = upload_resource(dataset["id"], data, "export-totem.xml")
    assert resource["name"] == "Compte administratif 2021 — Budget principal"
    assert resource["format"] == "XML"
    assert resource["url"].endswith("/export-totem.xml")
    record = db.get_document(resource["id"])
    assert (record.stage, record.exercice, record.nomenclature) == (
        "CA",
        2021,
        "M14-M14_COM_500_3500",
    )
    assert record.siret and len(record.siret) == 14
    assert record.is_principal is True


def test_names_are_in_the_portal_language(dataset: dict[str, Any]) -> None:
    data = sample_bytes("crach/Crach_lotissement_DM1_2022.xml")
    resource = upload_resource(dataset["id"], data, "dm1.xml")
    assert resource["name"] == "Amending budget no. 1 2022 — LOTISSEMENT LE BOCENO"


def test_a_name_given_by_the_producer_is_kept(dataset: dict[str, Any]) -> None:
    data = sample_bytes("crach/Crach_lotissement_BP_2022.xml")
    resource = upload_resource(dataset["id"], data, "bp.xml", name="BP lotissement")
    assert resource["name"] == "BP lotissement"


def test_lines_and_exports_are_stored_and_match_the_document(dataset: dict[str, Any]) -> None:
    data = sample_bytes("montreuil/Montreuil_CA_2018.xml.gz")
    resource = upload_resource(dataset["id"], data, "Montreuil_CA_2018.xml.gz")
    doc = read_document(data)
    total, lines = db.query_lines(resource["id"])
    assert total == len(doc.detail_lines) == 1431
    stored_real = sum((line.mtreal or Decimal(0)) for line in lines)
    expected_real = sum(line.amount("MtReal") for line in doc.detail_lines)
    assert stored_real == expected_real
    assert all(line.section in ("F", "I") for line in lines)
    assert all(line.nature_label for line in lines)
    names = {export.name for export in db.exports_for(resource["id"])}
    assert {"scdl-budget.csv", "scdl-subventions.csv", "lines.csv", "lines.json"} <= names
    scdl = db.get_export(resource["id"], "scdl-budget.csv").content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(scdl)))
    assert len(rows) == 1431
    assert {row["BGT_NATDEC"] for row in rows} == {"compte administratif"}


def test_gzip_upload_is_stored_as_plain_anonymised_xml(dataset: dict[str, Any]) -> None:
    data = sample_bytes("mohon/Mohon_CFU_2023.xml.gz")
    resource = upload_resource(dataset["id"], gzip.compress(data), "Mohon_CFU_2023.xml.gz")
    assert resource["url"].endswith("/mohon_cfu_2023.xml")  # CKAN lower-cases names
    stored = stored_file(resource)
    assert stored.startswith(b"<?xml")
    assert b"Occultation Article L311-7 CRPA" in stored
    record = db.get_document(resource["id"])
    report = record.anonymisation_report
    assert report["natural_persons"] == 7
    assert report["seal_removed"] is True or report.get("signatures_removed", 0) >= 1


def test_occulting_removes_the_now_false_seal_and_keeps_every_line(
    dataset: dict[str, Any],
) -> None:
    data = sample_bytes("crach/Crach_principal_CA_2021.xml")
    assert b"<Scellement" in data
    resource = upload_resource(dataset["id"], data, "ca.xml")
    stored = stored_file(resource)
    assert stored != data and b"<Scellement" not in stored

    def content(doc_bytes: bytes) -> list[tuple]:
        return [
            (line.fields, line.mt_sup, line.carac_sup) for line in read_document(doc_bytes).lines
        ]

    assert content(stored) == content(data)
    assert db.get_document(resource["id"]).anonymisation_report["seal_removed"] is True


def test_identical_reupload_does_not_reprocess(dataset: dict[str, Any]) -> None:
    data = sample_bytes("crach/Crach_principal_DM2_2021.xml")
    resource = upload_resource(dataset["id"], data, "dm2.xml")
    first = db.get_document(resource["id"]).processed
    update_resource(resource["id"], data, "dm2.xml")
    model.Session.expire_all()
    assert db.get_document(resource["id"]).processed == first


def test_new_content_replaces_the_results(dataset: dict[str, Any]) -> None:
    resource = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_principal_DM2_2021.xml"), "a.xml"
    )
    update_resource(resource["id"], sample_bytes("crach/Crach_principal_DM3_2021.xml"), "b.xml")
    model.Session.expire_all()
    record = db.get_document(resource["id"])
    expected = read_document(sample_bytes("crach/Crach_principal_DM3_2021.xml"))
    assert record.content_sha256
    assert db.query_lines(resource["id"])[0] == len(expected.detail_lines)


def test_a_non_budget_file_on_an_ordinary_dataset_is_left_alone(dataset: dict[str, Any]) -> None:
    resource = upload_resource(dataset["id"], b"a;b\n1;2\n", "table.csv")
    assert db.get_document(resource["id"]) is None
    assert stored_file(resource) == b"a;b\n1;2\n"


def test_another_xml_that_only_mentions_the_name_is_left_alone(dataset: dict[str, Any]) -> None:
    data = b"<?xml version='1.0'?><doc><p>Le DocumentBudgetaire de TotEM</p></doc>"
    resource = upload_resource(dataset["id"], data, "doc.xml")
    assert db.get_document(resource["id"]) is None
    assert stored_file(resource) == data


def test_replacing_a_document_by_another_file_removes_its_results(
    dataset: dict[str, Any],
) -> None:
    resource = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_lotissement_CA_2021.xml"), "ca.xml"
    )
    assert db.get_document(resource["id"]) is not None
    update_resource(resource["id"], b"a;b\n1;2\n", "table.csv")
    assert db.get_document(resource["id"]) is None


def test_deleting_the_resource_or_the_dataset_removes_the_results(
    dataset: dict[str, Any],
) -> None:
    first = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_lotissement_CA_2021.xml"), "ca.xml"
    )
    second = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_lotissement_BP_2022.xml"), "bp.xml"
    )
    call_action("resource_delete", id=first["id"])
    assert db.get_document(first["id"]) is None
    assert db.query_lines(first["id"])[0] == 0
    assert db.get_document(second["id"]) is not None
    call_action("package_delete", id=dataset["id"])
    assert db.get_document(second["id"]) is None
    assert db.exports_for(second["id"]) == []
