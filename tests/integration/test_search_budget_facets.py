"""Budget facets in the dataset search (served by budget_pgsearch): year, stage,
nomenclature, authority, main or ancillary budget and validation status, from the
datasets' documents, in the API and on the search pages."""

from __future__ import annotations

from typing import Any

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

FACETS = [
    "budget_exercice",
    "budget_stage",
    "budget_nomenclature",
    "budget_collectivite",
    "budget_kind",
    "budget_validation_status",
]


@pytest.fixture
def portal() -> dict[str, Any]:
    org = factories.Organization(name="crach")
    principal = factories.Dataset(type="budget", name="crach-principal", owner_org=org["id"])
    for fixture in ("crach/Crach_principal_CA_2021.xml", "crach/Crach_principal_BP_2022.xml"):
        upload_resource(principal["id"], sample_bytes(fixture), fixture.split("/")[1])
    annexe = factories.Dataset(type="budget", name="crach-lotissement", owner_org=org["id"])
    upload_resource(annexe["id"], sample_bytes("crach/Crach_lotissement_DM1_2022.xml"), "dm1.xml")
    invalid = factories.Dataset(name="exemple-invalide", owner_org=org["id"])
    upload_resource(invalid["id"], sample_bytes("invalid/totem_mauvais_siret.xml"), "x.xml")
    factories.Dataset(name="horaires-piscines", owner_org=org["id"])
    return {"principal": principal, "annexe": annexe}


def search(**params: Any) -> dict[str, Any]:
    return call_action("package_search", **{"facet.field": str(FACETS).replace("'", '"')}, **params)


def test_facets_count_datasets_by_their_documents(portal: dict[str, Any]) -> None:
    facets = search()["facets"]
    # principal: CA 2021 + BP 2022; lotissement: DM1 2022; invalid: a lotissement BP 2022
    assert facets["budget_exercice"] == {"2022": 3, "2021": 1}
    assert facets["budget_stage"] == {"BP": 2, "CA": 1, "DM": 1}
    assert facets["budget_kind"] == {"annexe": 2, "principal": 1}
    assert facets["budget_collectivite"] == {"CRACH": 3}
    assert facets["budget_nomenclature"] == {"M14-M14_COM_500_3500": 3}
    assert facets["budget_validation_status"]["errors"] == 1
    assert set(facets["budget_validation_status"]) <= {"valid", "warnings", "errors"}


def test_filters_on_budget_facets(portal: dict[str, Any]) -> None:
    assert [d["name"] for d in search(fq="budget_stage:CA")["results"]] == ["crach-principal"]
    found = search(fq="budget_exercice:2022 AND budget_kind:annexe AND budget_stage:DM")
    assert [d["name"] for d in found["results"]] == ["crach-lotissement"]
    assert [d["name"] for d in search(fq="budget_validation_status:errors")["results"]] == [
        "exemple-invalide"
    ]


def test_facets_follow_a_deleted_document(portal: dict[str, Any]) -> None:
    annexe = call_action("package_show", id=portal["annexe"]["id"])
    call_action("resource_delete", id=annexe["resources"][0]["id"])
    assert search()["facets"]["budget_stage"] == {"BP": 2, "CA": 1}


def test_facet_values_get_readable_names(portal: dict[str, Any]) -> None:
    facets = search()["search_facets"]
    stages = {item["name"]: item["display_name"] for item in facets["budget_stage"]["items"]}
    assert stages["CA"] == "Administrative account"
    kinds = {item["name"]: item["display_name"] for item in facets["budget_kind"]["items"]}
    assert kinds == {"principal": "Main budget", "annexe": "Ancillary budget"}


@pytest.mark.parametrize(
    ("url", "texts"),
    [
        ("/dataset/", ["Fiscal year", "Budget stage", "Main budget", "With errors"]),
        ("/budget/", ["Fiscal year", "Validation status", "Ancillary budget"]),
        ("/fr/budget/", ["Exercice", "Étape budgétaire", "Budget principal"]),
        ("/budget/?budget_stage=CA", ["crach-principal"]),
    ],
)
def test_search_pages_offer_the_budget_facets(
    app: Any, portal: dict[str, Any], url: str, texts: list[str]
) -> None:
    response = app.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in texts:
        assert text in html
    if "budget_stage=CA" in url:
        assert "crach-lotissement" not in html
