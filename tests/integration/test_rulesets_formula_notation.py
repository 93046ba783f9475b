"""One formula notation in plain French on the editor pages: its documentation on the
category page (French and English), every formula shown back in words whatever it was
typed or stored in, the searchable list of codes with their labels (with and without a
query, for editors only), and a preview that never shows figures under an error."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.docbudg.aggregation import parse_formula, ruleset_from_dict

from .budget_uploads import sample_bytes, upload_resource

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.ckan_config("ckan.locale_default", "fr"),
]

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
URL = "/organization/montreuil/budget-rules"
NODE = URL + "/node/rdfi/DF.personnel"


@pytest.fixture
def montreuil() -> dict[str, Any]:
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
    dataset = factories.Dataset(owner_org=org["id"])
    resource = upload_resource(
        dataset["id"], sample_bytes("montreuil/Montreuil_CA_2018.xml.gz"), "ca2018.xml.gz"
    )
    call_action(
        "budget_ruleset_create",
        organization="montreuil",
        rules=(RULES / "montreuil.yaml").read_text(encoding="utf-8"),
    )
    return {"editor": editor, "member": member, "resource": resource}


def auth(user: dict[str, Any]) -> dict[str, Any]:
    return {"headers": {"Authorization": user["token"]}}


def text(body: str) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"[ \t\n\u202f\u00a0]+", " ", plain)


def textarea(body: str) -> str:
    found = re.search(r'<textarea[^>]*id="formula"[^>]*>([^<]*)</textarea>', body)
    assert found, "no formula field"
    return html.unescape(found[1])


def test_the_category_page_explains_the_notation_with_examples(app: Any, montreuil: dict) -> None:
    page = app.get(NODE, **auth(montreuil["editor"]))
    shown = text(page.body)
    assert "Écrire une formule" in shown
    assert "Toutes les dépenses de personnel dépenses et chapitre 012" in shown
    assert "Subventions aux associations dépenses et compte 6574" in shown
    assert "Dépenses d'équipement dépenses et investissement et chapitres 20, 204, 21, 23" in shown
    assert "« et » s'applique avant « ou » et « sauf »" in shown
    assert f'href="{URL}/codes?' in page.body  # the list of codes, without JavaScript
    assert f'data-module-codes="{URL}/codes.json"' in page.body
    # on English pages: the same French notation, explained in English
    english = text(app.get("/en" + NODE, **auth(montreuil["editor"])).body)
    assert "How to write a formula" in english
    assert "All staff expenditure dépenses et chapitre 012" in english
    assert "Écrire une formule" not in english


def test_a_formula_typed_in_symbols_is_shown_back_in_words(app: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    # the stored rules use the ASCII notation: the page shows them in words
    page = app.get(NODE, **auth(editor))
    assert textarea(page.body) == "dépenses et fonctionnement et chapitre 012"
    app.post(NODE, data={"op": "formula", "formula": "DF ∩ (Ch012 ∪ Ch011)"}, **auth(editor))
    page = app.get(NODE, **auth(editor))
    assert textarea(page.body) == "dépenses et fonctionnement et chapitres 012, 011"
    shown = call_action("budget_ruleset_show", organization="montreuil")
    stored = shown["rules"]["trees"][0]["categories"][0]["children"][0]["formula"]
    assert parse_formula(stored) == parse_formula("DF ∩ (Ch012 ∪ Ch011)")
    index = text(app.get(URL, **auth(editor)).body)
    assert "dépenses et fonctionnement et chapitres 012, 011" in index
    assert "sens:D" not in index and "∩" not in index
    # the export is in words too, and reads back as the same rules
    exported = app.get(URL + "/export.yaml", **auth(editor)).get_data(as_text=True)
    assert "formula: dépenses et fonctionnement et chapitres 012, 011" in exported
    rules = ruleset_from_dict(yaml.safe_load(exported))
    leaf = rules.tree("rdfi").find("DF.personnel")
    assert leaf.formula == parse_formula("DF ∩ (Ch012 ∪ Ch011)")


def test_the_preview_reads_the_formula_back_and_shows_no_figures_under_an_error(
    app: Any, montreuil: dict
) -> None:
    editor, document = montreuil["editor"], montreuil["resource"]["id"]
    answer = app.post(
        NODE + "/preview.json",
        data={"formula": "DF ∩ Ch012", "document": document},
        **auth(editor),
    ).json
    assert answer["plain"] == "Lu comme : dépenses et fonctionnement et chapitre 012"
    wrong = app.post(
        NODE + "/preview.json",
        data={"formula": "dépenses et chapitre", "document": document},
        **auth(editor),
    ).json
    assert wrong["ok"] is False and wrong["position"] == 20
    assert "Code attendu après « chapitre »" in wrong["message"]
    assert not {"total", "count", "summary", "plain"} & set(wrong)
    # without JavaScript: the error, and no lines nor total
    page = app.post(
        NODE, data={"op": "preview", "formula": "dépenses et", "document": document}, **auth(editor)
    )
    shown = text(page.body)
    assert "Sélecteur ou « ( » attendu" in shown and "(position 11)" in shown
    assert "lignes sélectionnées" not in shown and "budget-preview-total" not in page.body


def test_the_list_of_codes_searches_labels_and_codes(app: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    everything = text(app.get(URL + "/codes", **auth(editor)).body)
    assert "Codes pour les formules" in everything and "M14" in everything
    assert "précisez la recherche" in everything  # thousands of codes: the first ones
    found = text(app.get(URL + "/codes", query_string={"q": "personnel"}, **auth(editor)).body)
    assert "chapitre 012 Charges de personnel et frais assimilés" in found
    assert "compte 6574" not in found
    found = text(
        app.get(URL + "/codes", query_string={"q": "subventions associations"}, **auth(editor)).body
    )
    assert "compte 6574 Subventions de fonctionnement aux associations" in found
    assert "1 code trouvé" in found
    none = text(app.get(URL + "/codes", query_string={"q": "zzzz"}, **auth(editor)).body)
    assert "0 code trouvé" in none
    suggested = app.get(URL + "/codes.json", query_string={"q": "chapitre 01"}, **auth(editor)).json
    codes = [(c["code"], c["label"]) for c in suggested["codes"]]
    assert ("012", "Charges de personnel et frais assimilés") in codes
    assert all(code.startswith("01") for code, _ in codes)
    # like the editor: not for members nor visitors
    app.get(URL + "/codes", status=403, **auth(montreuil["member"]))
    app.get(URL + "/codes.json", query_string={"q": "chapitre 01"}, status=403)
