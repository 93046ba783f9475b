"""Nothing is lost by a click: deleting a rule set asks for confirmation and keeps it with
its history (readable by its editors, not by the public), the public pages fall back to
the default presentations, restoring makes it apply again, and any two versions can be
compared category by category."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path
from typing import Any

import pytest
from ckan.plugins import toolkit as tk
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
OWN_TREE = "Recettes et dépenses par section"
"""A tree only Montreuil's own rules have (the default trees: « Par fonction »…)."""


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
    dataset = factories.Dataset(
        type="budget", name="budget-principal", title="Budget principal", owner_org=org["id"]
    )
    resource = upload_resource(
        dataset["id"], sample_bytes("montreuil/Montreuil_CA_2018.xml.gz"), "ca2018.xml.gz"
    )
    call_action(
        "budget_ruleset_create",
        organization="montreuil",
        rules=(RULES / "montreuil.yaml").read_text(encoding="utf-8"),
    )
    return {"org": org, "editor": editor, "member": member, "resource": resource}


URL = "/organization/montreuil/budget-rules"
EXPLORER = "/budget/budget-principal/explorer"


def auth(user: dict[str, Any]) -> dict[str, Any]:
    return {"headers": {"Authorization": user["token"]}}


def text(html: str) -> str:
    plain = html_module.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"[ \t\n\u202f\u00a0]+", " ", plain)


def applied_trees(resource_id: str) -> tuple[str | None, list[str]]:
    """The rule set the document's stored figures were made with, and their trees."""
    stored = service.stored(resource_id)
    return stored.ruleset_id, [tree.id for tree in service.result(stored).trees]


def test_delete_asks_then_keeps_the_history_and_the_public_gets_the_defaults(
    app: Any, montreuil: dict
) -> None:
    editor = montreuil["editor"]
    record_id = service.for_organization(montreuil["org"]["id"]).id
    assert OWN_TREE in app.get(EXPLORER).body

    index = app.get(URL, **auth(editor)).body
    assert f'href="{URL}/delete"' in index  # a link to the confirmation, not a POST button
    confirm = text(app.get(URL + "/delete", **auth(editor)).body)
    assert "Budget principal" in confirm and "2018" in confirm  # what falls back
    assert "présentations par défaut" in confirm and "restaurer" in confirm
    assert service.for_organization(montreuil["org"]["id"]) is not None  # a GET deletes nothing

    app.post(URL + "/delete", **auth(editor))
    assert service.for_organization(montreuil["org"]["id"]) is None
    assert applied_trees(montreuil["resource"]["id"]) == (None, ["fonction", "chapitre"])
    public = app.get(EXPLORER).body
    assert OWN_TREE not in public and "Par fonction" in public

    history = text(app.get(f"{URL}/history?ruleset={record_id}", **auth(editor)).body)
    assert "Jeu de règles supprimé" in history and "Jeu de règles créé" in history
    index = text(app.get(URL, **auth(editor)).body)
    assert "Règles supprimées" in index and "Budget de Montreuil" in index

    # The public and the organisation's members neither see nor restore it.
    app.get(f"{URL}/history?ruleset={record_id}", status=403)
    app.get(f"{URL}/history?ruleset={record_id}", status=403, **auth(montreuil["member"]))
    assert "Règles supprimées" not in app.get(URL).body
    app.post(URL + "/undelete", data={"ruleset": record_id}, status=403)
    app.post(
        URL + "/undelete", data={"ruleset": record_id}, status=403, **auth(montreuil["member"])
    )
    anonymous = {"user": "", "ignore_auth": False}
    with app.flask_app.test_request_context(), pytest.raises(tk.NotAuthorized):
        call_action("budget_ruleset_history", context=anonymous, id=record_id)
    with app.flask_app.test_request_context(), pytest.raises(tk.NotAuthorized):
        call_action("budget_ruleset_undelete", context=anonymous, id=record_id)
    assert service.for_organization(montreuil["org"]["id"]) is None


def test_restore_makes_the_rules_apply_again_with_a_history_entry(
    app: Any, montreuil: dict
) -> None:
    editor = montreuil["editor"]
    record_id = service.for_organization(montreuil["org"]["id"]).id
    app.post(URL + "/delete", **auth(editor))
    assert "Restaurer" in app.get(URL, **auth(editor)).body

    app.post(URL + "/undelete", data={"ruleset": record_id}, **auth(editor))
    restored = service.for_organization(montreuil["org"]["id"])
    assert restored is not None and restored.id == record_id
    # The authority's presentation, and the default ones beside it.
    assert applied_trees(montreuil["resource"]["id"]) == (
        record_id,
        ["rdfi", "fonction", "chapitre"],
    )
    assert OWN_TREE in app.get(EXPLORER).body
    with app.flask_app.test_request_context():
        history = call_action("budget_ruleset_history", organization="montreuil")
    assert [v["changes"][0]["kind"] for v in history] == ["undeleted", "deleted", "created"]
    assert history[0]["summary"] == "Jeu de règles supprimé restauré"


def test_the_api_deletes_lists_and_restores_the_same_way(app: Any, montreuil: dict) -> None:
    editor = {"user": montreuil["editor"]["name"], "ignore_auth": False}
    with app.flask_app.test_request_context():
        deleted = call_action("budget_ruleset_delete", context=editor, organization="montreuil")
        assert deleted["deleted"] and deleted["changes"] == [{"kind": "deleted"}]
        listed = call_action("budget_ruleset_list", context=dict(editor), organization="montreuil")
        assert [(r["id"], bool(r["deleted"])) for r in listed] == [(deleted["id"], True)]
        public = call_action(
            "budget_ruleset_list",
            organization="montreuil",
            context={"user": "", "ignore_auth": False},
        )
        assert public == []
        # A new rule set may be made in its place; the deleted one then waits for it to go.
        call_action("budget_ruleset_create", organization="montreuil", rules=deleted["rules"])
        with pytest.raises(tk.ValidationError, match="supprimez-les"):
            call_action("budget_ruleset_undelete", context=dict(editor), id=deleted["id"])
        with pytest.raises(tk.ValidationError, match="restaurez"):
            call_action("budget_ruleset_update", id=deleted["id"], rules=deleted["rules"])
        call_action("budget_ruleset_delete", organization="montreuil")
        back = call_action("budget_ruleset_undelete", context=dict(editor), id=deleted["id"])
    assert back["deleted"] is None and back["changes"] == [{"kind": "undeleted"}]
    assert service.for_organization(montreuil["org"]["id"]).id == deleted["id"]


def test_compare_two_versions_shows_labels_and_formulas_before_and_after(
    app: Any, montreuil: dict
) -> None:
    editor = montreuil["editor"]
    app.post(
        URL + "/node/rdfi/DI",
        data={"op": "rename", "label": "Investissement (dépenses)"},
        **auth(editor),
    )
    app.post(
        URL + "/node/rdfi/DF.personnel",
        data={"op": "formula", "formula": "sens:D & section:F & chapitre:012 & fonction:0"},
        **auth(editor),
    )
    app.post(URL + "/node/rdfi/DF.autres", data={"op": "delete"}, **auth(editor))
    # Drafts: only the editors see them, in the history and in a comparison.
    index = app.get(URL, **auth(editor)).body
    assert "Brouillon non publié" in index and "compare?from=1&amp;to=4" in index
    assert "Brouillon non publié" not in app.get(URL).body
    app.get(URL + "/compare?from=1&to=4", status=404)
    assert "De la version 1 à la version 4" in text(
        app.get(URL + "/compare?from=1&to=4", **auth(editor)).body
    )
    publish_draft(app, URL, auth(editor), confirm=True)

    history = app.get(URL + "/history").body  # the history is public: so is the comparison
    assert 'name="from"' in history and 'name="to"' in history and 'method="get"' in history
    page = app.get(URL + "/compare?from=1&to=4")
    shown = text(page.body)
    assert "De la version 1 à la version 4" in shown
    assert "Dépenses d'investissement" in shown and "Investissement (dépenses)" in shown
    # shown in words, whatever notation it was typed in
    assert "dépenses et fonctionnement et chapitre 012 et fonction 0" in shown
    assert "Autres dépenses de fonctionnement" in shown and "supprimée" in shown
    assert "DF.autres" in shown and "DI" in shown
    assert "RF.impots" not in re.findall(
        r"<code>([^<]+)</code>", page.body
    )  # unchanged: not listed
    app.get(URL + "/compare?from=1&to=99", status=404)
