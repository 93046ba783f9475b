"""Pages of a budget-document resource as people see them: status badge, identity,
anonymisation summary, validation report (HTML and stored JSON) and derived files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.lib import uploader
from ckan.tests import factories

from ckanext.budget.documents import jobs
from ckanext.budget.documents import model as db

from .budget_uploads import sample_bytes, upload_resource, warnings_sample_bytes

pytestmark = pytest.mark.usefixtures("clean_db")

VALID = "crach/Crach_principal_DM2_2021.xml"
WARNINGS = "montreuil/Montreuil_CA_2021_fewer_grants.xml"  # see document_bytes
ERRORS = "invalid/totem_mauvais_siret.xml"


@pytest.fixture
def dataset() -> dict[str, Any]:
    org = factories.Organization()
    return factories.Dataset(owner_org=org["id"])


def document_bytes(fixture: str) -> bytes:
    return warnings_sample_bytes() if fixture == WARNINGS else sample_bytes(fixture)


def resource_url(dataset: dict[str, Any], resource: dict[str, Any], tail: str = "") -> str:
    return f"/dataset/{dataset['name']}/resource/{resource['id']}{tail}"


def text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fixture", "badge", "sentence"),
    [
        (VALID, "Valid", "The document is valid."),
        (WARNINGS, "Warnings", "The document is valid, with warnings"),
        (ERRORS, "Errors", "The document has validation errors"),
    ],
)
def test_resource_page_shows_status_identity_and_links(
    app: Any, dataset: dict[str, Any], fixture: str, badge: str, sentence: str
) -> None:
    resource = upload_resource(dataset["id"], document_bytes(fixture), Path(fixture).name)
    record = db.get_document(resource["id"])
    response = app.get(resource_url(dataset, resource))
    assert response.status_code == 200
    page = text(response)
    assert f'data-budget-status="{record.validation_status}">{badge}</span>' in page
    assert sentence in page
    assert record.collectivite in page
    assert record.siret in page
    assert record.nomenclature in page
    assert f"Administrative account {record.exercice}" in page or record.stage != "CA"
    assert resource_url(dataset, resource, "/budget/report") in page
    for export in db.exports_for(resource["id"]):
        assert resource_url(dataset, resource, f"/budget/files/{export.name}") in page
    assert "Process again" not in page  # anonymous visitors cannot re-process


@pytest.mark.parametrize("fixture", [VALID, WARNINGS, ERRORS])
def test_report_page_and_json_and_files(app: Any, dataset: dict[str, Any], fixture: str) -> None:
    resource = upload_resource(dataset["id"], document_bytes(fixture), Path(fixture).name)
    record = db.get_document(resource["id"])
    report = record.validation_report

    page = app.get(resource_url(dataset, resource, "/budget/report"))
    assert page.status_code == 200
    html = text(page)
    assert "<h1" in html and "Validation report" in html
    assert "<caption>Findings by validation step</caption>" in html
    for finding in report["findings"]:
        assert finding["message"]["en"].split("'")[0] in html or "&#39;" in html
        if finding["hint"]:
            assert finding["hint"]["en"].split("'")[0] in html
    if not report["findings"]:
        assert "No finding: the document passed every check." in html

    downloaded = app.get(resource_url(dataset, resource, "/budget/report.json"))
    assert downloaded.status_code == 200
    assert downloaded.headers["Content-Type"].startswith("application/json")
    assert json.loads(downloaded.get_data()) == report

    exports = db.exports_for(resource["id"])
    assert exports
    for export in exports:
        response = app.get(resource_url(dataset, resource, f"/budget/files/{export.name}"))
        assert response.status_code == 200
        assert response.get_data() == export.content
        assert response.headers["Content-Type"] == export.media_type
        assert response.headers["Content-Disposition"].endswith(f'.{export.name}"')


def test_findings_are_grouped_by_layer_and_severity_with_location_and_hint(
    app: Any, dataset: dict[str, Any]
) -> None:
    resource = upload_resource(dataset["id"], sample_bytes(ERRORS), "siret.xml")
    html = text(app.get(resource_url(dataset, resource, "/budget/report")))
    finding = next(
        f
        for f in db.get_document(resource["id"]).validation_report["findings"]
        if f["code"] == "siret_format"
    )
    assert finding["layer"] == "metadata"
    section = html[html.index('id="budget-layer-metadata"') :]
    section = section[: section.index("</section>")]
    assert "<h2>Metadata</h2>" in section
    assert "<caption>Metadata — Errors (1)</caption>" in section
    assert '<th scope="col">What to do</th>' in section
    assert finding["hint"]["en"] in section
    if finding["line"]:
        assert f"Line {finding['line']}" in section
    if finding["path"]:
        assert f'<code class="budget-path">{finding["path"]}</code>' in section


def test_download_is_named_after_the_resource(app: Any, dataset: dict[str, Any]) -> None:
    resource = upload_resource(
        dataset["id"],
        sample_bytes("crach/Crach_principal_CA_2021.xml"),
        "ca.xml",
        name="Compte administratif 2021 — Budget principal",
    )
    response = app.get(resource_url(dataset, resource, "/budget/files/scdl-budget.csv"))
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="compte-administratif-2021-budget-principal.scdl-budget.csv"'
    )
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_unknown_files_and_other_resources_are_not_found(app: Any, dataset: dict[str, Any]) -> None:
    resource = upload_resource(dataset["id"], sample_bytes(VALID), "dm2.xml")
    plain = upload_resource(dataset["id"], b"a;b\n1;2\n", "table.csv")
    other = factories.Dataset(owner_org=dataset["owner_org"])
    for url in (
        resource_url(dataset, resource, "/budget/files/secret.csv"),
        resource_url(dataset, resource, "/budget/files/..%2Fwho.ini"),
        resource_url(dataset, plain, "/budget/report"),
        resource_url(dataset, plain, "/budget/files/lines.csv"),
        resource_url(other, resource, "/budget/report"),
        f"/dataset/no-such-dataset/resource/{resource['id']}/budget/report.json",
    ):
        assert app.get(url).status_code == 404, url
    assert "budget-document" not in text(app.get(resource_url(dataset, plain)))


@pytest.mark.ckan_config("ckanext.budget.async_threshold_mb", "1")
def test_pending_then_failed_documents_say_so(app: Any, dataset: dict[str, Any]) -> None:
    # Larger than the threshold: processed by a background job, which no worker runs here.
    resource = upload_resource(dataset["id"], warnings_sample_bytes(), "ca.xml")
    assert db.get_document(resource["id"]).status == db.STATUS_PENDING

    page = text(app.get(resource_url(dataset, resource)))
    assert 'data-budget-status="pending">Waiting for processing</span>' in page
    assert "This document is waiting to be processed." in page
    report = app.get(resource_url(dataset, resource, "/budget/report"))
    assert report.status_code == 200
    assert "The report will be available once the document is processed." in text(report)
    assert app.get(resource_url(dataset, resource, "/budget/report.json")).status_code == 404
    listing = text(app.get(f"/dataset/{dataset['name']}"))
    assert 'data-budget-status="pending"' in listing

    # The stored file becomes unreadable: the background processing fails with a reason.
    path = uploader.get_resource_uploader(resource).get_path(resource["id"])
    Path(path).write_bytes(b"<DocumentBudgetaire><broken")
    jobs.process_resource_job(resource["id"])
    model.Session.expire_all()
    record = db.get_document(resource["id"])
    assert record.status == db.STATUS_FAILED
    reason = record.status_reason["en"]

    page = text(app.get(resource_url(dataset, resource)))
    assert 'data-budget-status="failed">Processing failed</span>' in page
    assert reason.split("'")[0].split('"')[0] in page
    report_page = text(app.get(resource_url(dataset, resource, "/budget/report")))
    assert "Processing failed." in report_page


def test_dataset_page_shows_each_documents_badge(app: Any, dataset: dict[str, Any]) -> None:
    upload_resource(dataset["id"], sample_bytes(VALID), "dm2.xml")
    upload_resource(dataset["id"], sample_bytes(ERRORS), "siret.xml")
    upload_resource(dataset["id"], b"a;b\n1;2\n", "table.csv")
    page = text(app.get(f"/dataset/{dataset['name']}"))
    assert page.count('class="badge') == 2
    assert 'data-budget-status="valid">Valid</span>' in page
    assert 'data-budget-status="errors">Errors</span>' in page


def test_key_figures_and_anonymisation_summary(app: Any, dataset: dict[str, Any]) -> None:
    resource = upload_resource(
        dataset["id"], sample_bytes("mohon/Mohon_CFU_2023.xml.gz"), "cfu.xml"
    )
    record = db.get_document(resource["id"])
    page = text(app.get(resource_url(dataset, resource)))
    report = record.anonymisation_report
    assert report["summary"]["en"] in page
    assert "7 beneficiaries who are natural persons occulted" in page
    assert "Key figures of real operations, carried-over results excluded" in page
    assert "Amounts realised, from the single financial account (MtReal)" in page
    total, lines = db.query_lines(resource["id"], {"op_budg": "0", "section": "F", "cod_rd": "R"})
    receipts = sum(
        line.mtreal or 0
        for line in lines
        if line.nature not in ("001", "002") and not line.nature.startswith("775")
    )
    carried_over = sum(line.mtreal or 0 for line in lines if line.nature in ("001", "002"))
    disposals = sum(line.mtreal or 0 for line in lines if line.nature.startswith("775"))
    assert carried_over > 0  # Mohon carries a result over: the figure must leave it out
    assert disposals > 0  # and sold assets: an investment receipt, not an operating one
    assert total > 0
    assert f"€{receipts:,.2f}" in page


def test_free_text_from_the_document_is_escaped(app: Any, dataset: dict[str, Any]) -> None:
    data = sample_bytes(VALID).replace(
        b'<LibelleColl V="CRACH"/>',
        b'<LibelleColl V="&lt;script&gt;alert(1)&lt;/script&gt;"/>',
    )
    assert b"&lt;script&gt;" in data
    resource = upload_resource(dataset["id"], data, "dm2.xml")
    assert db.get_document(resource["id"]).collectivite == "<script>alert(1)</script>"
    for url in (resource_url(dataset, resource), f"/dataset/{dataset['name']}"):
        page = text(app.get(url))
        assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(app.get(resource_url(dataset, resource)))
