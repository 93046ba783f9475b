"""The budget API actions on processed documents: what a document is, its validation
report, its lines (filtered, paged, JSON or CSV), a dry-run check that stores nothing,
and re-processing."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import model as db

from .budget_uploads import file_storage, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

DOCUMENT = "crach/Crach_principal_CA_2021.xml"


@pytest.fixture
def own_storage(ckan_config: Any, tmp_path: Path) -> Path:
    ckan_config["ckan.storage_path"] = str(tmp_path)
    return tmp_path


@pytest.fixture
def resource() -> dict[str, Any]:
    dataset = factories.Dataset(type="budget", owner_org=factories.Organization()["id"])
    return upload_resource(dataset["id"], sample_bytes(DOCUMENT), "ca.xml")


def lines(resource: dict[str, Any], **filters: Any) -> dict[str, Any]:
    return call_action("budget_lines", id=resource["id"], **filters)


def test_document_show_tells_identity_status_and_derived_files(
    resource: dict[str, Any],
) -> None:
    shown = call_action("budget_document_show", id=resource["id"])
    assert (shown["stage"], shown["exercice"], shown["collectivite"]) == ("CA", 2021, "CRACH")
    assert shown["status"] == "done"
    assert shown["validation_status"] in ("valid", "warnings")
    assert "scdl-budget.csv" in shown["exports"]
    assert shown["counts"]["detail_lines"] > 0


def test_a_resource_that_is_not_a_document_is_not_found() -> None:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    link = factories.Resource(package_id=dataset["id"], url="https://example.org/a.csv")
    with pytest.raises(tk.ObjectNotFound):
        call_action("budget_document_show", id=link["id"])


def test_validation_report_in_one_language(resource: dict[str, Any]) -> None:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    invalid = upload_resource(
        dataset["id"], sample_bytes("invalid/totem_mauvais_siret.xml"), "siret.xml"
    )
    report = call_action("budget_validation_show", id=invalid["id"], lang="fr")
    assert (report["status"], report["validation_status"]) == ("done", "errors")
    finding = next(f for f in report["findings"] if f["code"] == "siret_format")
    assert isinstance(finding["message"], str) and "SIRET" in finding["message"]
    both = call_action("budget_validation_show", id=invalid["id"])
    finding = next(f for f in both["findings"] if f["code"] == "siret_format")
    assert set(finding["message"]) == {"fr", "en"}


def test_lines_filters_split_the_document(resource: dict[str, Any]) -> None:
    total = lines(resource, limit=0)["total"]
    assert total > 50
    receipts, spending = lines(resource, CodRD="R"), lines(resource, cod_rd="D")
    assert receipts["total"] + spending["total"] == total
    assert {line["cod_rd"] for line in receipts["lines"]} == {"R"}
    real, order = lines(resource, movement="reel"), lines(resource, movement="ordre")
    assert real["total"] + order["total"] == total
    assert {line["op_budg"] for line in order["lines"]} == {"1"}
    invest = lines(resource, section="I", cod_rd="D")
    assert invest["total"] > 0
    assert {(line["section"], line["cod_rd"]) for line in invest["lines"]} == {("I", "D")}
    chapter = invest["lines"][0]["chapter"]
    in_chapter = lines(resource, chapter=chapter)["lines"]
    assert in_chapter and {line["chapter"] for line in in_chapter} == {chapter}
    purchases = lines(resource, nature="60")["lines"]
    assert purchases and all(line["nature"].startswith("60") for line in purchases)
    assert all(line["nature_label"] for line in purchases)


def test_lines_filter_on_the_function_of_a_document_voted_by_function() -> None:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    montreuil = upload_resource(
        dataset["id"], sample_bytes("montreuil/Montreuil_CA_2016.xml.gz"), "ca.xml"
    )
    found = lines(montreuil, function="020", limit=5000)
    assert found["total"] > 0
    assert {line["fonction"] for line in found["lines"]} == {"020"}
    assert found["total"] < lines(montreuil, limit=0)["total"]


def test_lines_are_paged(resource: dict[str, Any]) -> None:
    everything = lines(resource, limit=5000)["lines"]
    first, second = lines(resource, limit=10), lines(resource, limit=10, offset=10)
    assert [line["index"] for line in first["lines"] + second["lines"]] == [
        line["index"] for line in everything[:20]
    ]
    with pytest.raises(tk.ValidationError):
        lines(resource, limit=-1)
    with pytest.raises(tk.ValidationError):
        lines(resource, movement="sideways")


def test_lines_as_csv(resource: dict[str, Any]) -> None:
    result = lines(resource, format="csv", cod_rd="R", limit=5)
    rows = list(csv.DictReader(io.StringIO(result["csv"])))
    assert len(rows) == 5
    assert {row["cod_rd"] for row in rows} == {"R"}
    assert "lines" not in result


def test_lines_over_http_as_csv(app: Any, resource: dict[str, Any]) -> None:
    response = app.get(
        "/api/3/action/budget_lines",
        query_string={"id": resource["id"], "format": "csv", "limit": 3},
    )
    body = response.json
    assert body["success"] is True
    assert len(body["result"]["csv"].strip().splitlines()) == 4  # header and 3 lines


def test_dry_run_validation_stores_nothing(own_storage: Path) -> None:
    tables = (db.BudgetDocumentRecord, db.BudgetLineRecord, db.BudgetExportRecord)
    before = {table: model.Session.query(table).count() for table in tables}
    resources_before = model.Session.query(model.Resource).count()
    result = call_action(
        "budget_validate",
        upload=file_storage(sample_bytes("invalid/totem_mauvais_siret.xml"), "x.xml"),
        lang="en",
    )
    assert result["readable"] is True
    assert result["validation"]["status"] == "errors"
    assert result["header"]["stage"]
    assert {table: model.Session.query(table).count() for table in tables} == before
    assert model.Session.query(model.Resource).count() == resources_before
    assert [p for p in own_storage.rglob("*") if p.is_file()] == []


def test_dry_run_validation_over_http_reports_an_unreadable_file(
    app: Any, own_storage: Path
) -> None:
    user = factories.UserWithToken()
    factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    response = app.post(
        "/api/3/action/budget_validate",
        data={"upload": (io.BytesIO(b"<DocumentBudgetaire"), "broken.xml"), "lang": "en"},
        headers={"Authorization": user["token"]},
    )
    result = response.json["result"]
    assert result["readable"] is False
    assert result["error"]["code"]
    assert [p for p in own_storage.rglob("*") if p.is_file()] == []


def test_reprocess_now_and_in_the_background(resource: dict[str, Any]) -> None:
    done = call_action("budget_reprocess", id=resource["id"], background=False)
    assert done["documents"][0]["status"] == "done"
    queued = call_action("budget_reprocess", package_id=resource["package_id"])
    assert [d["status"] for d in queued["documents"]] == ["pending"]
    assert queued["documents"][0]["job_id"]
    assert [job["title"] for job in call_action("job_list")] == [
        f"ckanext-budget: process resource {resource['id']}"
    ]
