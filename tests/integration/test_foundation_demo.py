"""The demo loader, run against the test portal through CKAN's HTTP API: it creates the
organisations, the budget datasets and the uploaded documents once, and nothing more
when run again."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from ckanext.budget.demo import loader

CRACH_ONLY = [budget for budget in loader.CATALOGUE if budget.authority is loader.CRACH]


def client_transport(app: Any, token: str) -> loader.Transport:
    """The loader's transport, over Flask's test client instead of a socket."""

    def call(action: str, data: dict[str, Any], files: loader.Files | None) -> Any:
        url = f"/api/3/action/{action}"
        headers = {"Authorization": token}
        if files:
            form: dict[str, Any] = dict(data)
            for key, (filename, content, mimetype) in files.items():
                form[key] = (io.BytesIO(content), filename, mimetype)
            response = app.post(url, data=form, headers=headers)
        else:
            response = app.post(url, json=data, headers=headers)
        body = response.json
        if not body["success"]:
            raise loader.ApiError(action, response.status_code, body["error"])
        return body["result"]

    return call


@pytest.fixture
def api(app: Any, sysadmin: dict[str, Any], ckan_config: Any, tmp_path: Path) -> loader.Transport:
    # Uploads go to a fresh folder so the test never depends on what earlier runs stored.
    ckan_config["ckan.storage_path"] = str(tmp_path)
    return client_transport(app, sysadmin["token"])


def test_loads_each_budget_with_its_documents(api: loader.Transport, samples_dir: Path) -> None:
    report = loader.load(api, samples_dir, CRACH_ONLY)

    assert report.organizations == ["crach"]
    assert report.datasets == ["crach-budget-principal", "crach-lotissement-le-boceno"]
    principal = api("package_show", {"id": "crach-budget-principal"}, None)
    assert principal["type"] == "budget"
    assert principal["organization"]["name"] == "crach"
    assert principal["siret"] == "21560046100010"
    assert principal["nomenclature"] == "M14-M14_COM_500_3500"
    assert sorted(r["name"] for r in principal["resources"]) == [
        "BP 2022",
        "CA 2021",
        "DM2 2021",
        "DM3 2021",
    ]
    assert all(r["url_type"] == "upload" for r in principal["resources"])
    lotissement = api("package_show", {"id": "crach-lotissement-le-boceno"}, None)
    assert lotissement["budget_name"] == "LOTISSEMENT LE BOCENO"
    assert len(lotissement["resources"]) == 3


def test_document_without_personal_data_is_published_unchanged(
    app: Any, api: loader.Transport, samples_dir: Path
) -> None:
    loader.load(api, samples_dir, CRACH_ONLY)
    dataset = api("package_show", {"id": "crach-lotissement-le-boceno"}, None)
    resource = next(r for r in dataset["resources"] if r["name"] == "CA 2021")

    download = app.get(resource["url"].replace("http://test.ckan.net", ""))

    assert download.status_code == 200
    # That document names no natural person: it is published byte for byte, so the
    # authority's seal (Scellement) stays true.
    expected = (samples_dir / "crach" / "Crach_lotissement_CA_2021.xml").read_bytes()
    assert download.get_data() == expected


def test_second_run_creates_nothing(api: loader.Transport, samples_dir: Path) -> None:
    loader.load(api, samples_dir, CRACH_ONLY)

    again = loader.load(api, samples_dir, CRACH_ONLY)

    assert again == loader.Report()
    principal = api("package_show", {"id": "crach-budget-principal"}, None)
    assert len(principal["resources"]) == 4


def test_gzipped_samples_are_uploaded_as_xml(api: loader.Transport, samples_dir: Path) -> None:
    mohon = [budget for budget in loader.CATALOGUE if budget.authority is loader.MOHON]
    loader.load(api, samples_dir, mohon)

    (resource,) = api("package_show", {"id": "mohon-budget-principal"}, None)["resources"]
    assert resource["name"] == "CFU 2023"
    assert resource["url"].endswith("/mohon_cfu_2023.xml")  # CKAN lowercases names


def test_token_check_tells_a_working_token_from_a_void_one(
    app: Any, api: loader.Transport, sysadmin: dict[str, Any]
) -> None:
    assert loader.token_works(api, sysadmin["name"])
    assert not loader.token_works(client_transport(app, "not-a-token"), sysadmin["name"])


def test_catalogue_covers_every_valid_sample(samples_dir: Path) -> None:
    listed = {path for budget in loader.CATALOGUE for path in samples_dir.glob(budget.pattern)}
    valid = {path for path in samples_dir.glob("*/*.xml*") if path.parent.name != "invalid"}
    assert listed == valid
