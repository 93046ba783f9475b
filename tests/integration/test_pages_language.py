"""Budget pages speak the reader's language: French words and French number formatting
(« 1 234,56 € ») on French pages, English ones on English pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from ckan.tests import factories

from ckanext.budget import plugin as budget_plugin
from ckanext.budget.documents import model as db

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.fixture
def mohon() -> tuple[dict[str, Any], dict[str, Any]]:
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"])
    data = sample_bytes("mohon/Mohon_CFU_2023.xml.gz")
    return dataset, upload_resource(dataset["id"], data, "Mohon_CFU_2023.xml")


def operating_receipts(resource_id: str) -> Decimal:
    """Real operating receipts of the year: neither the carried-over result (002) nor
    asset disposals (775, an investment receipt) are."""
    _, lines = db.query_lines(resource_id, {"op_budg": "0", "section": "F", "cod_rd": "R"})
    return sum(
        (
            line.mtreal or Decimal(0)
            for line in lines
            if line.nature not in ("001", "002") and not line.nature.startswith("775")
        ),
        Decimal(0),
    )


def french_money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"


def test_french_resource_page(app: Any, mohon: tuple[dict[str, Any], dict[str, Any]]) -> None:
    dataset, resource = mohon
    url = f"/fr/dataset/{dataset['name']}/resource/{resource['id']}"
    page = app.get(url).get_data(as_text=True)
    receipts = operating_receipts(resource["id"])
    assert receipts > 1000
    for words in (
        "Document budgétaire",
        'data-budget-status="valid">Valide</span>',  # newer schema: information only
        "Collectivité",
        "Compte financier unique 2023",
        "Nomenclature",
        "Données personnelles",
        "7 bénéficiaires personnes physiques occultés (8 attributions)",
        "sceau supprimé",
        "Chiffres clés des opérations réelles, hors résultats reportés",
        "Montants réalisés du compte financier unique (MtReal)",
        '<th scope="row">Fonctionnement</th>',
        "Recettes",
        "Budget au format SCDL (CSV)",
        "Lignes budgétaires (JSON)",
        "Lire le rapport de validation",
        french_money(receipts),
    ):
        assert words in page, words
    assert "Operating" not in page and "Key figures" not in page


def test_english_resource_page(app: Any, mohon: tuple[dict[str, Any], dict[str, Any]]) -> None:
    dataset, resource = mohon
    page = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}").get_data(as_text=True)
    for words in (
        'data-budget-status="valid">Valid</span>',
        "Local authority",
        "Single financial account 2023",
        "7 beneficiaries who are natural persons occulted (8 grants)",
        "seal removed",
        '<th scope="row">Operating</th>',
        "Grants in SCDL format (CSV)",
        f"€{operating_receipts(resource['id']):,.2f}",
    ):
        assert words in page, words
    assert "Fonctionnement" not in page and "bénéficiaires" not in page


@pytest.mark.ckan_config("ckan.locale_default", "fr")
def test_report_page_in_a_french_portal(
    app: Any, mohon: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    dataset, resource = mohon
    page = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}/budget/report").get_data(
        as_text=True
    )
    report = db.get_document(resource["id"]).validation_report
    warning = next(f for f in report["findings"] if f["code"] == "xsd_version_newer")
    assert '<h1 class="page-heading">Rapport de validation</h1>' in page
    assert "<caption>Constats par étape de validation</caption>" in page
    assert '<th scope="col">Que faire</th>' in page
    assert "Télécharger le rapport (JSON)" in page
    assert warning["message"]["fr"].split("'")[0] in page
    assert warning["message"]["en"].split("'")[0] not in page
    assert "What to do" not in page


PAGE_SOURCES = (
    "documents/",
    "web/",
    "templates/budget/check.html",
    "templates/budget/report.html",
    "templates/budget/snippets/",
    "templates/package/",
    "templates/header.html",
)


def test_every_text_of_the_pages_has_a_french_translation() -> None:
    package = Path(budget_plugin.__file__).parent
    found = extract_from_dir(
        str(package),
        method_map=[("**.py", "python"), ("**/templates/**.html", "ckan")],
        keywords={"_": None, "N_": None, "ungettext": (1, 2)},
    )
    msgids = {
        message
        for filename, _line, message, _comments, _context in found
        if filename.startswith(PAGE_SOURCES)
    }
    assert len(msgids) > 50
    with (package / "i18n/fr/LC_MESSAGES/ckanext-budget.po").open("rb") as po:
        catalog = read_po(po)
    untranslated = sorted(m for m in msgids if not (catalog.get(m) and catalog.get(m).string))
    assert untranslated == []
