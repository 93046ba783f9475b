"""The ``budget`` dataset type: identity fields filled from the first document, labels in
French and English, and an upload field that only takes budget documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "own_storage")


@pytest.fixture
def own_storage(ckan_config: Any, tmp_path: Path) -> None:
    ckan_config["ckan.storage_path"] = str(tmp_path)


def storage_files() -> list[Path]:
    root = Path(tk.config["ckan.storage_path"])
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def org() -> dict[str, Any]:
    return factories.Organization()


def test_empty_identity_fields_are_filled_from_the_first_document(org: dict[str, Any]) -> None:
    dataset = call_action("package_create", type="budget", name="crach-bp", owner_org=org["id"])
    assert not dataset.get("collectivite")
    upload_resource(dataset["id"], sample_bytes("crach/Crach_principal_CA_2021.xml"), "ca.xml")
    shown = call_action("package_show", id=dataset["id"])
    assert shown["collectivite"] == "CRACH"
    assert shown["siret"] == "21560046100010"
    assert shown["siren"] == "215600461"
    assert shown["budget_name"] == "BUDGET PRINCIPAL"
    assert shown["nomenclature"] == "M14-M14_COM_500_3500"


def test_values_given_by_the_producer_are_kept(org: dict[str, Any]) -> None:
    dataset = call_action(
        "package_create",
        type="budget",
        name="crach-bp",
        owner_org=org["id"],
        collectivite="Commune de Crach",
    )
    upload_resource(dataset["id"], sample_bytes("crach/Crach_principal_BP_2022.xml"), "bp.xml")
    # a second document of another budget does not change what the first one gave
    upload_resource(dataset["id"], sample_bytes("crach/Crach_lotissement_BP_2022.xml"), "lot.xml")
    shown = call_action("package_show", id=dataset["id"])
    assert shown["collectivite"] == "Commune de Crach"
    assert shown["budget_name"] == "BUDGET PRINCIPAL"


def test_a_csv_upload_on_a_budget_dataset_is_refused_and_nothing_is_created(
    org: dict[str, Any],
) -> None:
    dataset = factories.Dataset(type="budget", owner_org=org["id"])
    with pytest.raises(tk.ValidationError) as info:
        upload_resource(dataset["id"], b"a;b\n1;2\n", "table.csv")
    assert "DocumentBudgetaire" in str(info.value.error_dict)
    assert call_action("package_show", id=dataset["id"])["resources"] == []
    assert storage_files() == []


def test_another_xml_on_a_budget_dataset_is_refused(org: dict[str, Any]) -> None:
    dataset = factories.Dataset(type="budget", owner_org=org["id"])
    with pytest.raises(tk.ValidationError):
        upload_resource(dataset["id"], b"<?xml version='1.0'?><doc/>", "doc.xml")
    assert call_action("package_show", id=dataset["id"])["resources"] == []


def test_the_same_csv_on_an_ordinary_dataset_is_accepted_untouched(org: dict[str, Any]) -> None:
    dataset = factories.Dataset(owner_org=org["id"])
    resource = upload_resource(dataset["id"], b"a;b\n1;2\n", "table.csv")
    assert resource["url"].endswith("/table.csv")
    assert db.get_document(resource["id"]) is None
    assert [path.read_bytes() for path in storage_files()] == [b"a;b\n1;2\n"]


def test_a_link_on_a_budget_dataset_is_accepted(org: dict[str, Any]) -> None:
    dataset = factories.Dataset(type="budget", owner_org=org["id"])
    resource = call_action(
        "resource_create", package_id=dataset["id"], url="https://example.org/ca.xml"
    )
    assert resource["url"] == "https://example.org/ca.xml"


def test_resources_show_the_document_fields_from_its_record(org: dict[str, Any]) -> None:
    dataset = factories.Dataset(type="budget", owner_org=org["id"])
    resource = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_principal_DM2_2021.xml"), "dm2.xml"
    )
    shown = call_action("resource_show", id=resource["id"])
    assert shown["budget_stage"] == "DM"
    assert shown["budget_exercice"] == 2021
    assert shown["budget_nomenclature"] == "M14-M14_COM_500_3500"
    assert shown["budget_status"] == "done"
    assert shown["budget_validation_status"] in ("valid", "warnings")
    in_dataset = call_action("package_show", id=dataset["id"])["resources"][0]
    assert in_dataset["budget_status"] == "done"


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("fr", ["Collectivité", "SIREN", "Nomenclature comptable", "Laissé vide"]),
        ("en", ["Local authority", "Accounting norm", "Left empty"]),
    ],
)
def test_the_dataset_form_is_labelled_in_french_and_english(
    app: Any, org: dict[str, Any], lang: str, labels: list[str]
) -> None:
    user = factories.UserWithToken()
    call_action("organization_member_create", id=org["id"], username=user["name"], role="editor")
    response = app.get(f"/{lang}/budget/new", headers={"Authorization": user["token"]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for label in labels:
        assert label in html
