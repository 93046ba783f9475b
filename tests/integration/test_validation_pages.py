"""What producers read about validation, in French and English: parser errors with what to do,
a newer schema version as one information item (a valid document stays « Valide »), one rule
for where a document with errors is explored, and the budget dataset form in the page's language
with the Licence Ouverte proposed."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .budget_pages import budget_dataset
from .budget_uploads import file_storage, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

MOHON = "mohon/Mohon_CFU_2023.xml.gz"
NO_YEAR = "invalid/totem_mauvaise_annee.xml"
BAD_SIRET = "invalid/totem_mauvais_siret.xml"
BAD_NOMENCLATURE = "invalid/totem_mauvaise_nomenclature.xml"
LIBXML_FRAGMENTS = ("not finished", "Premature end", "Start tag expected", "document empty")


@pytest.fixture
def editor() -> dict[str, Any]:
    return factories.UserWithToken()


@pytest.fixture
def org(editor: dict[str, Any]) -> dict[str, Any]:
    return factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])


def page(app: Any, url: str, **kwargs: Any) -> BeautifulSoup:
    response = app.get(url, **kwargs)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def words(element: Any) -> str:
    return " ".join(element.get_text(" ").split()) if element is not None else ""


def view_url(dataset: dict[str, Any], resource: dict[str, Any], lang: str) -> str:
    view = next(
        v
        for v in call_action("resource_view_list", id=resource["id"])
        if v["view_type"] == "budget_view"
    )
    prefix = f"/{lang}" if lang == "en" else "/fr"
    return f"{prefix}/dataset/{dataset['name']}/resource/{resource['id']}?view_id={view['id']}"


def explorer_url(dataset: dict[str, Any], lang: str) -> str:
    return f"/{lang}/budget/{dataset['name']}/explorer"


# -- 1. parser messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "reason", "todo", "hint"),
    [
        ("fr", "le fichier s'arrête avant la fin d'un élément", "Que faire", "coupé pendant"),
        ("en", "the file ends before an element is closed", "What to do", "cut during"),
    ],
)
def test_check_page_tells_a_truncated_file_with_its_position_and_what_to_do(
    app: Any,
    org: dict[str, Any],
    editor: dict[str, Any],
    lang: str,
    reason: str,
    todo: str,
    hint: str,
) -> None:
    data = sample_bytes("crach/Crach_principal_BP_2022.xml")
    response = app.post(
        f"/{lang}/budget-check",
        headers={"Authorization": editor["token"]},
        data={"upload": file_storage(data[: len(data) // 2], "coupe.xml")},
        content_type="multipart/form-data",
    )
    alert = words(
        BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(".alert-danger")
    )
    assert reason in alert and todo in alert and hint in alert
    assert ("ligne " if lang == "fr" else "line ") in alert
    assert not any(fragment in alert for fragment in LIBXML_FRAGMENTS)


def test_upload_refusal_of_a_malformed_file_says_what_to_do(org: dict[str, Any]) -> None:
    dataset = factories.Dataset(owner_org=org["id"], type="budget")
    with pytest.raises(tk.ValidationError) as info:
        upload_resource(dataset["id"], b"<DocumentBudgetaire><Budget></Budge>", "abime.xml")
    (message,) = info.value.error_dict["upload"]
    assert "line 1, column" in message
    assert "a closing tag does not match the open tag" in message
    assert "Export the document again" in message  # the hint, in the one text shown
    assert "mismatch" not in message


# -- 2. a newer schema version: one information item, badge « Valide » --------------------


@pytest.mark.parametrize(
    ("lang", "badge", "unchecked"),
    [("fr", "Valide", "ne peut donc pas vérifier"), ("en", "Valid", "cannot check")],
)
def test_mohon_is_valid_with_one_item_listing_what_the_portal_cannot_check(
    app: Any, org: dict[str, Any], lang: str, badge: str, unchecked: str
) -> None:
    dataset = factories.Dataset(owner_org=org["id"])
    resource = upload_resource(dataset["id"], sample_bytes(MOHON), "Mohon_CFU_2023.xml.gz")
    base = f"/{lang}/dataset/{dataset['name']}/resource/{resource['id']}"
    resource_page = page(app, base)
    status = resource_page.select_one("[data-budget-status]")
    assert status["data-budget-status"] == "valid" and words(status) == badge
    report_page = page(app, f"{base}/budget/report")
    assert [words(b) for b in report_page.select("[data-budget-status]")] == [badge]
    report = str(report_page)
    assert report.count(unchecked) == 1
    assert "InfoAPCP (125" in report and "DocumentRapport (1" in report
    assert "xsd_newer_element" not in report


# -- 3. a document with errors: explored in both places with a warning, or in neither ------


@pytest.mark.parametrize(
    ("lang", "nowhere"),
    [("fr", "n'est exploré ni ici ni"), ("en", "explored neither here nor")],
)
def test_document_without_a_year_is_explored_nowhere_and_both_places_say_so(
    app: Any, org: dict[str, Any], lang: str, nowhere: str
) -> None:
    dataset = budget_dataset("sans-annee", (NO_YEAR,), org=org)
    (resource,) = call_action("package_show", id=dataset["id"])["resources"]
    view = page(app, view_url(dataset, resource, lang))
    assert nowhere in words(view.select_one("#budget-explorer-unplaced"))
    assert view.select_one(".budget-big-numbers, #budget-explorer-amount") is None
    budget_page = page(app, explorer_url(dataset, lang))
    note = budget_page.select_one("#budget-page-unplaced")
    assert nowhere in words(note)
    assert note.select_one(f"a[href$='/resource/{resource['id']}/budget/report']") is not None
    assert budget_page.select_one("#budget-page-empty") is None


@pytest.mark.parametrize(
    ("lang", "warning"),
    [("fr", "erreurs de validation"), ("en", "validation errors")],
)
def test_document_with_errors_and_a_year_is_explored_in_both_places_with_a_warning(
    app: Any, org: dict[str, Any], lang: str, warning: str
) -> None:
    dataset = budget_dataset("siret-faux", (BAD_SIRET,), org=org)
    (resource,) = call_action("package_show", id=dataset["id"])["resources"]
    view = page(app, view_url(dataset, resource, lang))
    assert warning in words(view.select_one("#budget-explorer-errors"))
    assert view.select_one("#budget-explorer-amount") is not None
    budget_page = page(app, explorer_url(dataset, lang))
    assert warning in words(budget_page.select_one("#budget-page-errors"))
    assert budget_page.select_one("#budget-year") is not None
    assert budget_page.select_one("#budget-page-unplaced") is None


def test_unknown_nomenclature_is_said_in_words(app: Any, org: dict[str, Any]) -> None:
    dataset = budget_dataset("nomenclature-inconnue", (BAD_NOMENCLATURE,), org=org)
    (resource,) = call_action("package_show", id=dataset["id"])["resources"]
    text = words(page(app, view_url(dataset, resource, "fr")).select_one(".budget-explorer"))
    assert "Présentation par défaut (nomenclature non reconnue)" in text and "(?)" not in text
    assert "(?)" not in words(page(app, explorer_url(dataset, "fr")))


# -- 4. the budget dataset form ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "create", "licence_help"),
    [
        ("fr", "Créer un budget", "licence recommandée pour les données publiques"),
        ("en", "Create a budget", "licence recommended for the public data"),
    ],
)
def test_budget_form_speaks_the_page_language_and_proposes_the_licence_ouverte(
    app: Any, org: dict[str, Any], editor: dict[str, Any], lang: str, create: str, licence_help: str
) -> None:
    form = page(app, f"/{lang}/budget/new", headers={"Authorization": editor["token"]})
    html = str(form)
    assert create in html and "Create Budget" not in html
    licence = form.select_one("select#field-license_id")
    selected = licence.select_one("option[selected]")
    assert selected["value"] == "fr-lo"
    assert "Licence Ouverte" in words(selected) and "2.0" in words(selected)
    assert licence_help in words(form)
