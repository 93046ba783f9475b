"""The rule editor pages of an organisation: they render, in French, and their forms work
without JavaScript (create the rules, add a category, a formula refused with its error
position, the preview's totals, history and restore, import and export, the checks)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.rulesets import service

from .budget_pages import publish_draft
from .budget_uploads import sample_bytes, upload_resource

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.ckan_config("ckan.locale_default", "fr"),
]

RULES = Path(__file__).parent.parent / "fixtures" / "rules"


@pytest.fixture
def web(app: Any) -> Any:
    """The test app: the plugin registers the editor's blueprint and template helpers."""
    assert "budget_rules" in app.flask_app.blueprints
    return app


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
    return {"org": org, "editor": editor, "member": member, "resource": resource}


def auth(user: dict[str, Any]) -> dict[str, Any]:
    return {"headers": {"Authorization": user["token"]}}


def base(org: dict[str, Any]) -> str:
    return f"/organization/{org['name']}/budget-rules"


def text(html: str) -> str:
    """Visible text, spaces normalised (amounts use narrow no-break spaces)."""
    plain = re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&#34;", '"')
    return re.sub(r"[ \t\n\u202f\u00a0]+", " ", plain)


def summaries(web: Any) -> list[str]:
    """The history's change summaries, newest first, as a French reader gets them."""
    with web.flask_app.test_request_context():
        history = call_action("budget_ruleset_history", organization="montreuil")
    return [version["summary"] for version in history]


def create_montreuil_rules() -> dict[str, Any]:
    return call_action(
        "budget_ruleset_create",
        organization="montreuil",
        rules=(RULES / "montreuil.yaml").read_text(encoding="utf-8"),
    )


def test_editor_creates_the_rules_from_the_default_trees(web: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    page = web.get(base(montreuil["org"]), **auth(editor))
    assert "Règles d'agrégation" in page.body
    assert "pas de règles propres" in text(page.body)
    assert 'name="_csrf_token"' in page.body
    web.post(base(montreuil["org"]) + "/create", data={"source": "defaults"}, **auth(editor))
    shown = call_action("budget_ruleset_show", organization="montreuil")
    assert [t["id"] for t in shown["rules"]["trees"]] == ["fonction", "chapitre"]
    page = web.get(base(montreuil["org"]), **auth(editor))
    assert "Par fonction" in page.body and "Version 1" in page.body


def test_add_a_category_then_refuse_a_formula_with_its_position(web: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    create_montreuil_rules()
    web.post(
        base(montreuil["org"]) + "/node/add",
        data={"tree": "rdfi", "parent": "DI", "label": "Travaux"},
        **auth(editor),
    )
    shown = call_action("budget_ruleset_show", organization="montreuil")
    assert shown["version"] == 2
    di = shown["rules"]["trees"][0]["categories"][1]
    # DI's formula went to its first sub-category: no line is lost.
    assert di["children"] == [{"id": "DI.1", "label": "Travaux", "formula": "sens:D & section:I"}]
    assert summaries(web)[0] == "1 catégorie ajoutée"

    url = base(montreuil["org"]) + "/node/rdfi/DI.1"
    page = web.post(url, data={"op": "formula", "formula": "sens:D & secton:I"}, **auth(editor))
    body = text(page.body)
    assert "position 9" in body and "section" in body
    assert "sens:D &amp; secton:I\n         ^" in page.body  # the caret under the error
    assert call_action("budget_ruleset_show", organization="montreuil")["version"] == 2


def test_a_category_opened_shows_its_saved_formula_from_the_stored_figures(
    web: Any, montreuil: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a category (a GET) previews its saved formula on the chosen document from
    the stored aggregation: nothing is read or aggregated again."""
    create_montreuil_rules()
    stored = service.result(service.stored(montreuil["resource"]["id"]), with_lines=True)
    personnel = stored.find("rdfi", "DF.personnel")
    monkeypatch.setattr(service, "load_document", lambda *_: pytest.fail("the file was read"))
    page = web.get(base(montreuil["org"]) + "/node/rdfi/DF.personnel", **auth(montreuil["editor"]))
    body = text(page.body)
    count, total = len(personnel.lines), f"{personnel.amount:,.2f}".replace(",", " ")
    assert f"{count} lignes sélectionnées, total {total.replace('.', ',')} €" in body


def test_preview_shows_the_lines_and_total_on_a_chosen_document(web: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    create_montreuil_rules()
    url = base(montreuil["org"]) + "/node/rdfi/DF.personnel"
    page = web.post(
        url,
        data={"op": "preview", "formula": "DF", "document": montreuil["resource"]["id"]},
        **auth(editor),
    )
    body = text(page.body)
    assert "lignes sélectionnées, total 191 602 651,45 €" in body
    # Every DF line is also in DF.autres or DF.personnel's current siblings.
    assert "aussi comptées dans d'autres catégories" in body
    assert call_action("budget_ruleset_show", organization="montreuil")["version"] == 1
    web.post(url, data={"op": "formula", "formula": "DF ∩ Ch012"}, **auth(editor))
    shown = call_action("budget_ruleset_show", organization="montreuil")
    personnel = shown["rules"]["trees"][0]["categories"][0]["children"][0]
    assert personnel["formula"] == "sens:D & section:F & chapitre:012"
    assert shown["version"] == 1  # the same selection written another way: no new version


def test_rename_move_and_delete_a_category(web: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    create_montreuil_rules()
    url = base(montreuil["org"]) + "/node/rdfi/DF.autres"
    web.post(url, data={"op": "rename", "label": "Autres charges"}, **auth(editor))
    web.post(url, data={"op": "up"}, **auth(editor))
    latest, renamed = summaries(web)[:2]
    assert renamed == "DF.autres renommée"
    assert latest == "DF.autres, DF.personnel déplacées"
    df = call_action("budget_ruleset_show", organization="montreuil")["rules"]["trees"][0][
        "categories"
    ][0]
    assert [c["id"] for c in df["children"]] == ["DF.autres", "DF.personnel"]
    web.post(url, data={"op": "delete"}, **auth(editor))
    resource_id = montreuil["resource"]["id"]
    # A draft: the public's figures stay those of the published version.
    assert service.stored(resource_id).ok is True
    review = text(web.get(base(montreuil["org"]) + "/publish", **auth(editor)).body)
    assert "ces règles ne comptent pas chaque ligne exactement une fois" in review
    assert re.search(r"\d+ lignes? dans aucune catégorie", review)
    refused = text(publish_draft(web, base(montreuil["org"]), auth(editor)).body)
    assert "cochez la case pour les publier quand même" in refused
    assert service.stored(resource_id).ok is True  # not published without confirmation
    publish_draft(web, base(montreuil["org"]), auth(editor), confirm=True)
    assert service.stored(resource_id).ok is False  # DF.autres's lines are now in no category


def test_history_page_restores_a_version(web: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    first = create_montreuil_rules()
    web.post(
        base(montreuil["org"]) + "/node/rdfi/DI",
        data={"op": "rename", "label": "Investissement"},
        **auth(editor),
    )
    page = web.get(base(montreuil["org"]) + "/history", **auth(editor))
    assert "DI renommée" in page.body and "Jeu de règles créé" in page.body
    web.post(base(montreuil["org"]) + "/restore", data={"version": "1"}, **auth(editor))
    shown = call_action("budget_ruleset_show", organization="montreuil")
    assert shown["version"] == 3 and shown["rules"] == first["rules"]


def test_import_gironde_and_export_yaml(web: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    page = web.post(
        base(montreuil["org"]) + "/import",
        data={
            "format": "gironde",
            "upload": (
                io.BytesIO((RULES / "gironde-description-agregation.json").read_bytes()),
                "g.json",
            ),
            "corrections": (
                io.BytesIO((RULES / "gironde-corrections-agregation.csv").read_bytes()),
                "c.csv",
            ),
        },
        content_type="multipart/form-data",
        **auth(editor),
    )
    assert "Ce que l'import a relevé" in text(page.body)
    assert "DF.3.6.3" in page.body
    exported = web.get(base(montreuil["org"]) + "/export.yaml", **auth(editor))
    rules = yaml.safe_load(exported.body)
    assert rules["trees"][0]["id"] == "gironde" and len(rules["corrections"]) > 400


def test_checks_page_and_resource_snippet_report_uncounted_lines(web: Any, montreuil: dict) -> None:
    editor = montreuil["editor"]
    rules = yaml.safe_load((RULES / "montreuil.yaml").read_text(encoding="utf-8"))
    rules["trees"][0]["categories"][1]["formula"] = "sens:D & section:I & compte:2"
    call_action("budget_ruleset_create", organization="montreuil", rules=rules)
    page = web.get(base(montreuil["org"]) + "/checks", **auth(editor))
    body = text(page.body)
    assert re.search(r"\d+ lignes \([\d ,]+ €\) ne sont dans aucune catégorie", body)
    assert "Lignes dans aucune catégorie" in body
    resource = montreuil["resource"]
    resource_page = f"/dataset/{resource['package_id']}/resource/{resource['id']}"
    snippet = text(web.get(resource_page, **auth(editor)).body)  # the checks are the editors'
    assert "ne sont dans aucune catégorie" in snippet
    assert "Budget de Montreuil" in snippet


def test_who_sees_the_editor(web: Any, montreuil: dict) -> None:
    create_montreuil_rules()
    url = base(montreuil["org"])
    public = web.get(url)
    assert "Dépenses de fonctionnement" in public.body
    assert "/node/rdfi/" not in public.body  # no edit links
    web.get(url + "/node/rdfi/DI", status=403, **auth(montreuil["member"]))
    web.post(url + "/delete", status=403, **auth(montreuil["member"]))
    web.get(url + "/checks", status=403)
    assert call_action("budget_ruleset_show", organization="montreuil")["version"] == 1
