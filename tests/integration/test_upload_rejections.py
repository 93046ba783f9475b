"""Structural problems reject the upload with a clear message: nothing is created, nothing
is written, and an update keeps the previous file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.lib import uploader
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db

from ..unit import hostile
from .budget_uploads import sample_bytes, update_resource, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

HOSTILE = {
    "truncated": sample_bytes("crach/Crach_principal_CA_2021.xml")[:5000],
    "xxe": hostile.external_entity(),
    "entity-expansion": hostile.billion_laughs(),
    "quadratic-blowup": hostile.quadratic_blowup(),
    "external-dtd": hostile.external_dtd(),
    "deep-nesting": hostile.deep_nesting(),
    "gzip-bomb": hostile.gzip_bomb(300),
    "wrong-namespace": b'<DocumentBudgetaire xmlns="urn:wrong"><VersionSchema V="1"/>'
    b"</DocumentBudgetaire>",
    "cfu-without-budget": b'<c:CompteFinancierUnique xmlns:c="http://www.minefi.gouv.fr/cp/'
    b'demat/doccfu"/>',
}


@pytest.fixture
def dataset() -> dict[str, Any]:
    return factories.Dataset(owner_org=factories.Organization()["id"])


def storage_files() -> list[str]:
    root = Path(tk.config["ckan.storage_path"]) / "resources"
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_or_broken_document_is_refused_and_nothing_is_written(
    dataset: dict[str, Any], kind: str
) -> None:
    before = storage_files()
    with pytest.raises(tk.ValidationError) as info:
        upload_resource(dataset["id"], HOSTILE[kind], f"{kind}.xml")
    message = info.value.error_dict["upload"][0]
    assert len(message) > 40  # a sentence that says what to do, not a code
    model.Session.rollback()
    assert call_action("package_show", id=dataset["id"])["resources"] == []
    assert storage_files() == before
    assert model.Session.query(db.BudgetDocumentRecord).count() == 0


@pytest.mark.ckan_config("ckanext.budget.max_upload_mb", 1)
def test_oversized_document_is_refused_with_the_limit(dataset: dict[str, Any]) -> None:
    with pytest.raises(tk.ValidationError) as info:
        upload_resource(dataset["id"], sample_bytes("mohon/Mohon_CFU_2023.xml.gz"), "cfu.xml")
    assert "1.0 Mo" in info.value.error_dict["upload"][0]


def test_messages_follow_the_portal_language(dataset: dict[str, Any]) -> None:
    with pytest.raises(tk.ValidationError) as info:
        upload_resource(dataset["id"], HOSTILE["xxe"], "x.xml")
    message = info.value.error_dict["upload"][0]
    # test.ini's default locale is English; the French text exists too (unit tests).
    assert "security" in message


def test_rejected_update_keeps_the_previous_file_and_results(dataset: dict[str, Any]) -> None:
    good = sample_bytes("crach/Crach_lotissement_CA_2021.xml")
    resource = upload_resource(dataset["id"], good, "ca.xml")
    path = uploader.get_resource_uploader(resource).get_path(resource["id"])
    before = (Path(path).read_bytes(), os.stat(path).st_mtime_ns)
    with pytest.raises(tk.ValidationError):
        update_resource(resource["id"], HOSTILE["truncated"], "ca.xml")
    model.Session.rollback()
    assert (Path(path).read_bytes(), os.stat(path).st_mtime_ns) == before
    assert db.get_document(resource["id"]).status == db.STATUS_DONE


@pytest.mark.ckan_config("ckanext.budget.on_invalid", "reject")
def test_reject_mode_refuses_documents_with_validation_errors(dataset: dict[str, Any]) -> None:
    with pytest.raises(tk.ValidationError) as info:
        upload_resource(dataset["id"], sample_bytes("invalid/totem_mauvais_siret.xml"), "x.xml")
    assert "SIRET" in info.value.error_dict["upload"][0]
    model.Session.rollback()
    assert call_action("package_show", id=dataset["id"])["resources"] == []
    valid = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_lotissement_CA_2021.xml"), "a.xml"
    )
    assert db.get_document(valid["id"]).status == db.STATUS_DONE


def test_flag_mode_publishes_invalid_documents_with_their_report(
    dataset: dict[str, Any],
) -> None:
    resource = upload_resource(
        dataset["id"], sample_bytes("invalid/totem_mauvais_siret.xml"), "x.xml"
    )
    record = db.get_document(resource["id"])
    assert record.validation_status == "errors"
    assert any(f["severity"] == "error" for f in record.validation_report["findings"])
