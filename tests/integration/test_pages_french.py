"""A citizen on the French pages of a budget reads French everywhere (issue 15): CKAN's own
words on the search, dataset and resource pages of the ``budget`` type, the year facet
newest first, 404 and 403 pages in the reader's language with a way back, and an unknown
year, stage, breakdown, category or unit answered with a 404 listing what exists."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .budget_pages import budget_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

CRACH = ("crach/Crach_principal_CA_2021.xml", "crach/Crach_principal_BP_2022.xml")
"""Two years: 2021 (an account: realised and voted), 2022 (a budget: voted)."""


@pytest.fixture
def crach() -> dict[str, Any]:
    """Crach's main budget (2021 and 2022) and an amending budget of 2021 in another
    dataset: 2021 counts two datasets, 2022 one (a count order puts 2021 first)."""
    org = factories.Organization(name="crach-org", title="Crach")
    main = budget_dataset(
        "crach-budget-principal", CRACH, org=org, title="Crach", license_id="notspecified"
    )
    budget_dataset("crach-dm", ("crach/Crach_principal_DM2_2021.xml",), org=org, title="Crach DM")
    return call_action("package_show", id=main["id"])


def text(page: str) -> str:
    """What a reader sees or hears: the text, the accessible names and the placeholders."""
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    attrs = [
        value
        for tag in soup.find_all(True)
        for name in ("aria-label", "placeholder", "title", "alt")
        if (value := tag.get(name))
    ]
    return " ".join([soup.get_text(" "), *attrs])


def get(app: Any, url: str, status: int = 200) -> str:
    return app.get(url, status=status).get_data(as_text=True)


ENGLISH_CHROME = (
    "Skip to main content",
    "Search Datasets...",
    "Toggle navigation",
    "Breadcrumb",
    "Submit",
)


def test_french_search_page(app: Any, crach: dict[str, Any]) -> None:
    seen = text(get(app, "/fr/budget/"))
    for words in (
        "2 budgets trouvés",
        "Rechercher des budgets…",
        "Aller au contenu principal",
        "Rechercher des jeux de données…",
        "Fil d'Ariane",
        "Licences",
        "Exercice",
    ):
        assert words in seen, words
    for words in (*ENGLISH_CHROME, "budgets found", "Search Budgets", "Licenses", "close"):
        assert words not in seen, words


def test_search_without_results_and_with_a_query(app: Any, crach: dict[str, Any]) -> None:
    assert "1 budget trouvé pour « DM »" in text(get(app, "/fr/budget/?q=DM"))
    assert "Aucun budget trouvé pour « zzz »" in text(get(app, "/fr/budget/?q=zzz"))
    assert '1 budget found for "DM"' in text(get(app, "/en/budget/?q=DM"))


def test_english_search_page(app: Any, crach: dict[str, Any]) -> None:
    seen = text(get(app, "/en/budget/"))
    assert "2 budgets found" in seen and "Skip to main content" in seen
    assert "Search budgets…" in seen and "Licenses" in seen
    assert "budgets trouvés" not in seen and "Aller au contenu" not in seen


def _year_facet(page: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    years = []
    for link in soup.select("a[href*='budget_exercice=']"):
        query = parse_qs(urlparse(link["href"]).query)
        years.append(query["budget_exercice"][-1])
    return years


def test_year_facet_newest_first(app: Any, crach: dict[str, Any]) -> None:
    facets = call_action("package_search", **{"facet.field": '["budget_exercice"]'})
    assert facets["facets"]["budget_exercice"] == {"2021": 2, "2022": 1}  # count: 2021 first
    items = facets["search_facets"]["budget_exercice"]["items"]
    assert [item["name"] for item in items] == ["2022", "2021"]
    assert _year_facet(get(app, "/fr/budget/")) == ["2022", "2021"]
    assert _year_facet(get(app, "/en/dataset/")) == ["2022", "2021"]


def test_french_dataset_page(app: Any, crach: dict[str, Any]) -> None:
    seen = text(get(app, f"/fr/budget/{crach['name']}"))
    assert "Aller au contenu principal" in seen and "Licence non spécifiée" in seen
    for words in (*ENGLISH_CHROME, "License not specified", "Licence non précisée /"):
        assert words not in seen, words
    english = text(get(app, f"/en/budget/{crach['name']}"))
    assert "License not specified" in english and "Licence non" not in english


def test_french_resource_page(app: Any, crach: dict[str, Any]) -> None:
    call_action("package_patch", id=crach["id"], notes="Le budget principal de Crach.")
    resource = crach["resources"][0]
    url = f"/budget/{crach['name']}/resource/{resource['id']}"
    seen = text(get(app, "/fr" + url))
    for words in (
        "Aller au contenu principal",
        "Description du jeu de données :",
        "Source :",
        "Exercice 2021",
        "Étape budgétaire Compte administratif",
        "Statut de validation Valide",
        "Empreinte (sha-256)",
        "Licence non spécifiée",
        "Explorateur budgétaire",  # the view's tab (its stored title is English)
    ):
        assert words in " ".join(seen.split()), words
    for words in (
        *ENGLISH_CHROME,
        "Dataset description:",
        "Budget exercice",
        "Budget stage",
        "Has views",
        "Url type",
        "2 021",
        "License not specified",
        "Budget explorer",
    ):
        assert words not in seen, words
    english = " ".join(text(get(app, "/en" + url)).split())
    assert "Dataset description:" in english and "Fiscal year 2021" in english


# --- 404 and 403 ----------------------------------------------------------------------------


def _links(page: str) -> dict[str, str]:
    soup = BeautifulSoup(page, "html.parser")
    content = soup.select_one("#error-content").find_parent("article")
    return {" ".join(a.get_text().split()): a["href"] for a in content.find_all("a")}


def test_404_in_french_with_links_back(app: Any, crach: dict[str, Any]) -> None:
    page = get(app, "/fr/budget/no-such-budget", status=404)
    seen = text(page)
    assert "404 Page introuvable" in seen and "Jeu de données introuvable" in seen
    assert "Not Found" not in seen and "Skip to main content" not in seen
    links = _links(page)
    assert links["Page d'accueil"] in ("/fr/", "/fr")
    assert links["Rechercher parmi les budgets"] == "/fr/budget/"

    unknown_route = text(get(app, "/fr/no/such/page", status=404))
    assert "Cette adresse n'existe pas sur le portail" in unknown_route
    assert "The requested URL was not found" not in unknown_route

    english = get(app, "/en/budget/no-such-budget", status=404)
    assert "404 Not Found" in text(english)
    assert set(_links(english)) >= {"Home page", "Search the budgets"}


def test_404_under_a_dataset_links_to_it(app: Any, crach: dict[str, Any]) -> None:
    page = get(app, f"/fr/budget/{crach['name']}/resource/no-such-resource", status=404)
    assert _links(page)["Crach"] == f"/fr/budget/{crach['name']}"


def test_403_in_french_with_links_back(app: Any, crach: dict[str, Any]) -> None:
    page = get(app, "/fr/ckan-admin", status=403)
    seen = text(page)
    assert "403 Accès refusé" in seen and "Forbidden" not in seen
    links = _links(page)
    assert "Rechercher parmi les budgets" in links and "Page d'accueil" in links
    assert "403 Forbidden" in text(get(app, "/en/ckan-admin", status=403))


def test_api_errors_stay_json(app: Any, crach: dict[str, Any]) -> None:
    response = app.get("/api/3/action/package_show?id=no-such-budget", status=404)
    assert response.json["success"] is False
    assert response.json["error"]["__type"] == "Not Found Error"


# --- unknown parameters ----------------------------------------------------------------------


def _unknown(page: str) -> dict[str, dict[str, str]]:
    """Per unknown parameter, the values offered: link text → URL."""
    soup = BeautifulSoup(page, "html.parser")
    return {
        section["data-budget-unknown"]: {
            " ".join(a.get_text().split()): a["href"] for a in section.find_all("a")
        }
        for section in soup.select("[data-budget-unknown]")
    }


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


@pytest.mark.parametrize(
    "what", ["", "/embed", "/data.csv", "/data.json"], ids=["page", "embed", "csv", "json"]
)
def test_budget_page_unknown_year(app: Any, crach: dict[str, Any], what: str) -> None:
    base = f"/budget/{crach['name']}/explorer{what}"
    page = get(app, f"/fr{base}?year=1999", status=404)
    assert "Année : « 1999 » n'existe pas ici." in text(page)
    offered = _unknown(page)["year"]
    assert list(offered) == ["2022", "2021"]
    assert urlparse(offered["2021"]).path == "/fr" + base
    assert _query(offered["2021"])["year"] == ["2021"]
    app.get(offered["2021"], status=200)
    assert "Year: “1999” does not exist here." in text(get(app, f"/en{base}?year=1999", 404))


def test_budget_page_unknown_stage_tree_node(app: Any, crach: dict[str, Any]) -> None:
    base = f"/fr/budget/{crach['name']}/explorer"
    stage = _unknown(get(app, f"{base}?year=2021&stage=forecast", status=404))["stage"]
    assert list(stage) == ["Réalisé (compte)"]  # 2021: the account only
    assert _query(stage["Réalisé (compte)"])["stage"] == ["realised"]
    # 2022 has a budget only: « realised » does not exist that year
    assert list(_unknown(get(app, f"{base}?year=2022&stage=realised", 404))["stage"]) == [
        "Voté (budget et décisions modificatives)"
    ]
    tree = _unknown(get(app, f"{base}?tree=no-such-tree", status=404))["tree"]
    assert "Par fonction" in tree
    assert _query(tree["Par fonction"])["tree"] == ["fonction"]
    page = get(app, f"{base}?tree=fonction&node=no-such-node", status=404)
    assert "Catégorie : « no-such-node » n'existe pas ici." in text(page)
    nodes = _unknown(page)["node"]
    assert set(nodes) == {"Dépenses", "Recettes"}
    app.get(nodes["Dépenses"], status=200)
    # known values, and empty ones (the defaults), still answer the page
    app.get(f"{base}?year=2021&stage=realised&tree=fonction", status=200)
    app.get(f"{base}?year=&stage=&tree=&node=", status=200)


def test_analysis_unknown_year_and_unit(app: Any, crach: dict[str, Any]) -> None:
    base = f"/fr/budget/{crach['name']}/explorer/analysis"
    page = get(app, f"{base}?year=1999&unit=dollars", status=404)
    found = _unknown(page)
    assert list(found["year"]) == ["2022", "2021"]
    assert list(found["unit"]) == ["En euros", "Par habitant"]
    assert _query(found["unit"]["Par habitant"])["unit"] == ["inhabitant"]
    app.get(found["unit"]["Par habitant"], status=200)
    get(app, f"{base}/data.csv?unit=dollars", status=404)
    app.get(f"{base}?year=2021&unit=inhabitant", status=200)


def test_document_explorer_unknown_tree_and_node(app: Any, crach: dict[str, Any]) -> None:
    resource = crach["resources"][0]
    base = f"/fr/dataset/{crach['name']}/resource/{resource['id']}/budget/explorer"
    for what in ("/embed", "/data.csv", "/data.json"):
        trees = _unknown(get(app, f"{base}{what}?tree=no-such-tree", status=404))["tree"]
        assert "Par fonction" in trees and urlparse(trees["Par fonction"]).path == base + what
    nodes = _unknown(get(app, f"{base}/embed?tree=fonction&node=nope", status=404))["node"]
    assert set(nodes) == {"Dépenses", "Recettes"}
    app.get(f"{base}/embed?tree=fonction", status=200)


def test_comparison_unknown_tree_and_unit(app: Any, crach: dict[str, Any]) -> None:
    ids = "&".join(f"doc={r['id']}" for r in crach["resources"])
    page = get(app, f"/fr/budget/compare?{ids}&tree=no-such-tree&unit=dollars", status=404)
    found = _unknown(page)
    assert "Par fonction" in found["tree"]
    assert _query(found["tree"]["Par fonction"])["doc"] == [r["id"] for r in crach["resources"]]
    assert list(found["unit"]) == ["En euros", "Par habitant"]
    app.get(found["tree"]["Par fonction"], status=200)
    get(app, f"/fr/budget/compare/data.json?{ids}&node=nope", status=404)
    app.get(f"/fr/budget/compare?{ids}&tree=fonction", status=200)


def test_annex_unknown_name_sort_direction_and_page(app: Any, crach: dict[str, Any]) -> None:
    resource = crach["resources"][0]
    base = f"/fr/dataset/{crach['name']}/resource/{resource['id']}/budget/annexes"
    annexes = _unknown(get(app, f"{base}/nope", status=404))["name"]
    assert "Subventions et aides accordées" in annexes
    assert urlparse(annexes["Subventions et aides accordées"]).path == f"{base}/concours"
    app.get(annexes["Subventions et aides accordées"], status=200)

    columns = _unknown(get(app, f"{base}/concours?sort=nope&q=a", status=404))["sort"]
    assert columns and all(_query(url)["q"] == ["a"] for url in columns.values())
    app.get(next(iter(columns.values())), status=200)
    directions = _unknown(get(app, f"{base}/concours?dir=up", status=404))["dir"]
    assert list(directions) == ["Croissant", "Décroissant"]
    pages = _unknown(get(app, f"{base}/concours?page=99", status=404))["page"]
    assert list(pages) == ["1"]
    get(app, f"{base}/concours/data.csv?sort=nope", status=404)
    app.get(f"{base}/concours?dir=desc&page=1", status=200)
