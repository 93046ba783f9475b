"""Editorial texts (issue 15) and who reads the aggregation checks.

Producers write a short text per category and per year, and one on the whole budget per
year, in the rule editor; the budget page shows the text of the category and the year
shown (English on English pages when there is one, else the French marked as such), the
document explorer the text of its year; texts are plain text. The checks of an
aggregation are for those who may edit the dataset; the public reads one short note when
the rules that apply fail them. Pages kept for anonymous visitors never hold an editor's
content."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.web import page_cache

from .budget_pages import budget_dataset

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.ckan_config("ckan.locale_default", "fr"),
]

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
MONTREUIL = ("montreuil/Montreuil_CA_2018.xml.gz", "montreuil/Montreuil_CA_2019.xml.gz")
NODE = "/node/rdfi/DF.personnel"
PUBLIC_NOTE = "ne comptent pas chaque ligne exactement une fois"


@pytest.fixture(autouse=True)
def redis_reachable() -> None:
    page_cache._redis_down_until = 0.0
    page_cache._pending_bump = False


def montreuil_rules() -> dict[str, Any]:
    return yaml.safe_load((RULES / "montreuil.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def montreuil() -> dict[str, Any]:
    """Montreuil (an editor, a member), its accounts 2018 and 2019, and its rules."""
    editor = factories.UserWithToken()
    member = factories.UserWithToken()
    org = factories.Organization(
        name="montreuil",
        title="Montreuil",
        users=[
            {"name": editor["name"], "capacity": "editor"},
            {"name": member["name"], "capacity": "member"},
        ],
    )
    dataset = budget_dataset("montreuil-budget", MONTREUIL, title="Montreuil", org=org)
    call_action("budget_ruleset_create", organization="montreuil", rules=montreuil_rules())
    resources = call_action("package_show", id=dataset["id"])["resources"]
    by_year = {int(re.search(r"20\d\d", r["name"]).group()): r for r in resources}
    return {"org": org, "editor": editor, "member": member, "dataset": dataset, "docs": by_year}


def auth(user: dict[str, Any]) -> dict[str, Any]:
    return {"headers": {"Authorization": user["token"]}}


def rules_url(montreuil: dict[str, Any], what: str = "") -> str:
    return f"/organization/{montreuil['org']['name']}/budget-rules{what}"


def page(app: Any, url: str, **options: Any) -> BeautifulSoup:
    response = app.get(url, **options)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def budget_url(montreuil: dict[str, Any], lang: str = "", **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    prefix = f"/{lang}" if lang else ""
    return f"{prefix}/budget/{montreuil['dataset']['name']}/explorer?{query}"


def paragraphs(found: BeautifulSoup, element_id: str) -> list[str] | None:
    element = found.find(id=element_id)
    return None if element is None else [p.get_text() for p in element.find_all("p")]


def save_texts(
    app: Any, montreuil: dict[str, Any], url: str, publish: bool = True, **fields: str
) -> Any:
    """Save texts through the editor's form (a draft), and publish them."""
    data = {"op": "texts", "years": ["2018", "2019"], **fields}
    answer = app.post(url, data=data, **auth(montreuil["editor"]))
    if publish:
        publish_draft(app, montreuil)
    return answer


def publish_draft(app: Any, montreuil: dict[str, Any]) -> None:
    app.post(rules_url(montreuil, "/publish"), data={"confirm": "yes"}, **auth(montreuil["editor"]))


# --- editing -----------------------------------------------------------------------------


def test_editor_saves_texts_shown_on_the_budget_page_for_their_year(
    app: Any, montreuil: dict
) -> None:
    form = page(app, rules_url(montreuil, NODE), **auth(montreuil["editor"]))
    assert form.find("textarea", attrs={"name": "fr-2018"}) is not None  # years of the documents
    assert form.find("textarea", attrs={"name": "en-2019"}) is not None
    save_texts(
        app,
        montreuil,
        rules_url(montreuil, NODE),
        **{
            "fr-2018": "Gel des postes.\r\n\r\nDeuxième paragraphe <script>alert(1)</script>",
            "en-2018": "Hiring freeze.",
            "fr-2019": "",
        },
    )
    # the whole budget's text, for a year given in the « another year » fields
    app.post(
        rules_url(montreuil, "/texts"),
        data={"new_year": "2018", "new_fr": "Une année de travaux."},
        **auth(montreuil["editor"]),
    )
    shown = call_action("budget_ruleset_show", organization="montreuil")
    assert shown["rules"]["texts"] == {"2018": {"fr": "Une année de travaux."}}
    # a draft: the public reads the texts once they are published
    draft = page(app, budget_url(montreuil, year=2018, tree="rdfi", node="DF.personnel"))
    assert draft.find(id="budget-year-text") is None
    publish_draft(app, montreuil)

    found = page(app, budget_url(montreuil, year=2018, tree="rdfi", node="DF.personnel"))
    assert paragraphs(found, "budget-level-text") == [
        "Gel des postes.",
        "Deuxième paragraphe <script>alert(1)</script>",  # as text: escaped
    ]
    heading = found.find(id="budget-level-heading")
    assert heading.find_next_sibling(id="budget-level-text") is not None  # under its heading
    assert "<script>alert" not in str(found)
    assert found.find(id="budget-year-text-heading").get_text() == "Ce qui s'est passé cette année"
    assert paragraphs(found, "budget-year-text-body") == ["Une année de travaux."]
    assert found.find(id="budget-level-text").get("lang") is None  # French page, French text

    # 2019 has none, nor has another category in 2018
    other_year = page(app, budget_url(montreuil, year=2019, tree="rdfi", node="DF.personnel"))
    assert other_year.find(id="budget-level-text") is None
    assert other_year.find(id="budget-year-text") is None
    other_node = page(app, budget_url(montreuil, year=2018, tree="rdfi", node="DF.autres"))
    assert other_node.find(id="budget-level-text") is None

    # the history tells what changed, in the reader's language
    history = page(app, rules_url(montreuil, "/history"), **auth(montreuil["editor"])).get_text()
    assert "Texte de DF.personnel modifié (2018)" in history
    assert "Texte sur l'ensemble du budget modifié (2018)" in history


def test_english_pages_show_the_english_text_else_the_french_marked(
    app: Any, montreuil: dict
) -> None:
    save_texts(
        app,
        montreuil,
        rules_url(montreuil, NODE),
        **{"fr-2018": "Gel des postes.", "en-2018": "Hiring freeze.", "fr-2019": "Recrutements."},
    )
    english = page(app, budget_url(montreuil, "en", year=2018, tree="rdfi", node="DF.personnel"))
    assert paragraphs(english, "budget-level-text") == ["Hiring freeze."]
    assert english.find(id="budget-level-text").get("lang") is None
    fallback = page(app, budget_url(montreuil, "en", year=2019, tree="rdfi", node="DF.personnel"))
    assert paragraphs(fallback, "budget-level-text") == ["Recrutements."]
    assert fallback.find(id="budget-level-text")["lang"] == "fr"


def test_document_explorer_shows_the_text_of_its_year(app: Any, montreuil: dict) -> None:
    save_texts(app, montreuil, rules_url(montreuil, NODE), **{"fr-2019": "Recrutements."})
    dataset = montreuil["dataset"]["name"]

    def explorer(year: int) -> BeautifulSoup:
        resource = montreuil["docs"][year]["id"]
        url = f"/dataset/{dataset}/resource/{resource}/budget/explorer/embed"
        return page(app, f"{url}?tree=rdfi&node=DF.personnel")

    assert paragraphs(explorer(2019), "budget-explorer-text") == ["Recrutements."]
    assert explorer(2018).find(id="budget-explorer-text") is None


def test_a_text_too_long_is_refused_and_kept_in_the_form(app: Any, montreuil: dict) -> None:
    too_long = "x" * 2001
    answer = save_texts(app, montreuil, rules_url(montreuil, NODE), **{"fr-2018": too_long})
    found = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    errors = found.select_one(".error-explanation").get_text()
    assert "Texte de 2018 trop long : 2001 caractères, 2000 au plus." in errors
    assert found.find("textarea", attrs={"name": "fr-2018"}).get_text() == too_long
    assert call_action("budget_ruleset_show", organization="montreuil")["version"] == 1
    english = app.post(
        "/en" + rules_url(montreuil, "/texts"),
        data={"new_year": "2018", "new_fr": too_long},
        **auth(montreuil["editor"]),
    )
    assert "Text of 2018 too long: 2001 characters, 2000 at most." in english.get_data(as_text=True)


def test_the_api_refuses_a_text_too_long(app: Any, montreuil: dict) -> None:
    rules = montreuil_rules()
    rules["texts"] = {"2018": {"fr": "x" * 2001}}
    answer = app.post(
        "/api/action/budget_ruleset_update",
        json={"organization": "montreuil", "rules": rules},
        status=409,
        **auth(montreuil["editor"]),
    )
    assert "2001" in str(answer.json["error"]["rules"])


def test_only_editors_write_texts(app: Any, montreuil: dict) -> None:
    app.get(rules_url(montreuil, "/texts"), status=403, **auth(montreuil["member"]))
    app.get(rules_url(montreuil, "/texts"), status=403)
    app.post(
        rules_url(montreuil, "/texts"),
        data={"new_year": "2018", "new_fr": "Non."},
        status=403,
        **auth(montreuil["member"]),
    )
    assert "texts" not in call_action("budget_ruleset_show", organization="montreuil")["rules"]


# --- checks -------------------------------------------------------------------------------


def resource_page(montreuil: dict[str, Any], year: int = 2018) -> str:
    return f"/dataset/{montreuil['dataset']['name']}/resource/{montreuil['docs'][year]['id']}"


def failing_rules(montreuil: dict[str, Any]) -> None:
    """Rules that leave the investment expenditure out but the accounts 2xx."""
    rules = copy.deepcopy(montreuil_rules())
    rules["trees"][0]["categories"][1]["formula"] = "sens:D & section:I & compte:2"
    call_action("budget_ruleset_update", organization="montreuil", rules=rules)


def test_checks_are_for_editors_and_the_public_reads_a_note(app: Any, montreuil: dict) -> None:
    failing_rules(montreuil)
    editor = page(app, resource_page(montreuil), **auth(montreuil["editor"]))
    assert editor.select_one(".budget-document-checks") is not None
    assert re.search(r"ne sont dans aucune catégorie", editor.get_text())
    assert editor.find(id="budget-checks-public") is None
    for who in ({}, auth(montreuil["member"])):  # anonymous, and a member who may not edit
        public = page(app, resource_page(montreuil), **who)
        assert public.select_one(".budget-document-checks") is None
        assert "ne sont dans aucune catégorie" not in public.get_text()
        note = public.find(id="budget-checks-public").get_text()
        assert PUBLIC_NOTE in note and "les grands chiffres restent exacts" in note


def test_no_note_when_the_rules_count_every_line_once(app: Any, montreuil: dict) -> None:
    public = page(app, resource_page(montreuil))
    assert public.find(id="budget-checks-public") is None
    assert public.select_one(".budget-document-checks") is None
    editor = page(app, resource_page(montreuil), **auth(montreuil["editor"]))
    assert editor.select_one(".budget-document-checks") is not None


def test_pages_kept_for_anonymous_visitors_hold_no_editor_content(
    app: Any, montreuil: dict
) -> None:
    url = budget_url(montreuil, year=2018, tree="rdfi", node="DF.personnel")
    rules_link = f"/dataset/{montreuil['dataset']['name']}/budget-rules"
    signed_in = app.get(url, **auth(montreuil["editor"]))
    assert rules_link in signed_in.get_data(as_text=True)  # the editor's tab
    first, second = app.get(url), app.get(url)
    assert (first.headers.get(page_cache.HEADER), second.headers.get(page_cache.HEADER)) == (
        "miss",
        "hit",
    )
    for anonymous in (first, second):
        assert rules_link not in anonymous.get_data(as_text=True)
    again = app.get(url, **auth(montreuil["editor"]))
    assert again.headers.get(page_cache.HEADER) != "hit"
    assert rules_link in again.get_data(as_text=True)
    # a new text reaches anonymous visitors at once (the save made the kept page stale)
    save_texts(app, montreuil, rules_url(montreuil, NODE), **{"fr-2018": "Gel des postes."})
    fresh = BeautifulSoup(app.get(url).get_data(as_text=True), "html.parser")
    assert paragraphs(fresh, "budget-level-text") == ["Gel des postes."]
