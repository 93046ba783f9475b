"""The editors' forms: "process again" on a document, and the check of a file before
publishing (which stores nothing). Who may use them and their CSRF protection are tested
with every other form in ``test_security_matrix`` and ``test_security_csrf``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories

from ckanext.budget.documents import model as db

from .budget_uploads import file_storage, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

PASSWORD = "correct-horse-battery-staple"
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def editor() -> dict[str, Any]:
    return factories.UserWithToken(password=PASSWORD)


@pytest.fixture
def dataset(editor: dict[str, Any]) -> dict[str, Any]:
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    return factories.Dataset(owner_org=org["id"])


def logged_in(app: Any, user: dict[str, Any]) -> Any:
    """A browser-like client with a session cookie (no API token: CSRF applies)."""
    client = app.test_client()
    form = client.get("/user/login").get_data(as_text=True)
    response = client.post(
        "/user/login",
        data={"login": user["name"], "password": PASSWORD, "_csrf_token": csrf(form)},
    )
    assert response.status_code == 200
    return client


def csrf(page: str) -> str:
    match = TOKEN_FIELD.search(page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def post_new_resource_form(browser: Any, url: str, upload: Any, **fields: str) -> Any:
    """CKAN's "add resource" form at ``url``, filled in with ``upload`` as a browser sends
    it (its CSRF token read from the form first)."""
    form = browser.get(url).get_data(as_text=True)
    data = {
        "_csrf_token": csrf(form),
        "id": "",
        "url_type": "upload",
        "upload": upload,
        "url": "",
        "name": "",
        **fields,
        "save": "go-dataset-complete",
    }
    return browser.post(url, data=data, content_type="multipart/form-data")


def page_url(dataset: dict[str, Any], resource: dict[str, Any], tail: str = "") -> str:
    return f"/dataset/{dataset['name']}/resource/{resource['id']}{tail}"


def test_process_again_queues_the_document_and_says_so(
    app: Any, dataset: dict[str, Any], editor: dict[str, Any]
) -> None:
    resource = upload_resource(
        dataset["id"], sample_bytes("crach/Crach_principal_DM2_2021.xml"), "dm2.xml"
    )
    client = logged_in(app, editor)
    page = client.get(page_url(dataset, resource)).get_data(as_text=True)
    action = page_url(dataset, resource, "/budget/reprocess")
    assert f'action="{action}"' in page
    assert "Process again" in page

    response = client.post(action, data={"_csrf_token": csrf(page)})
    assert response.status_code == 200
    after = response.get_data(as_text=True)
    assert "The document will be processed again: this page shows when it is done." in after
    assert 'data-budget-status="pending">Waiting for processing</span>' in after
    assert "Read the validation report of the previous processing" in after
    model.Session.expire_all()
    record = db.get_document(resource["id"])
    assert record.status == db.STATUS_PENDING
    report = client.get(page_url(dataset, resource, "/budget/report")).get_data(as_text=True)
    assert "This report comes from the previous processing" in report


def storage_files() -> set[Path]:
    root = Path(tk.config["ckan.storage_path"])
    return {path for path in root.rglob("*") if path.is_file()}


def counts() -> tuple[int, int, int, int]:
    session = model.Session
    return (
        session.query(db.BudgetDocumentRecord).count(),
        session.query(db.BudgetLineRecord).count(),
        session.query(db.BudgetExportRecord).count(),
        session.query(model.Resource).count(),
    )


def test_check_page_shows_report_and_anonymisation_and_stores_nothing(
    app: Any, dataset: dict[str, Any], editor: dict[str, Any]
) -> None:
    upload_resource(dataset["id"], sample_bytes("crach/Crach_principal_DM2_2021.xml"), "dm2.xml")
    before_files, before_counts = storage_files(), counts()
    client = logged_in(app, editor)
    form = client.get("/budget-check").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form
    data = sample_bytes("mohon/Mohon_CFU_2023.xml.gz")
    response = client.post(
        "/budget-check",
        data={"_csrf_token": csrf(form), "upload": file_storage(data, "Mohon_CFU_2023.xml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Result for Mohon_CFU_2023.xml" in page
    assert "7 beneficiaries who are natural persons occulted (8 grants)" in page
    assert "seal removed" in page
    assert "<caption>Findings by validation step</caption>" in page
    assert 'data-budget-status="valid"' in page  # newer schema: information only
    assert storage_files() == before_files
    assert counts() == before_counts


def test_check_page_reports_errors_and_unreadable_files(
    app: Any, dataset: dict[str, Any], editor: dict[str, Any]
) -> None:
    headers = {"Authorization": editor["token"]}
    errors = sample_bytes("invalid/totem_mauvais_siret.xml").replace(
        b'<LibelleColl V="', b'<LibelleColl V="&lt;b&gt;bold&lt;/b&gt; ', 1
    )
    response = app.post(
        "/budget-check",
        headers=headers,
        data={"upload": file_storage(errors, "siret.xml")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert 'data-budget-status="errors">Errors</span>' in page
    assert "siret_format" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page

    unreadable = app.post(
        "/budget-check",
        headers=headers,
        data={"upload": file_storage(b"<DocumentBudgetaire><oops", "broken.xml")},
        content_type="multipart/form-data",
    )
    assert "The file cannot be read as a budget document." in unreadable.get_data(as_text=True)
    empty = app.post("/budget-check", headers=headers, data={})
    assert "Choose a file to check." in empty.get_data(as_text=True)


def test_the_check_link_is_for_those_who_may_publish(
    app: Any, dataset: dict[str, Any], editor: dict[str, Any]
) -> None:
    """Who may use the page, and its CSRF protection: ``test_security_*``."""
    assert "/budget-check" not in app.get("/dataset/").get_data(as_text=True)
    client = logged_in(app, editor)
    assert 'href="/budget-check"' in client.get("/dataset/").get_data(as_text=True)
