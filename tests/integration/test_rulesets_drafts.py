"""Rule sets have drafts: a change made in the editor reaches the public only when it is
published; its editors see it on the real pages first (« Voir comme le public »); the
« Publier » page shows what changes and asks for a confirmation when the new rules leave
lines out; the API keeps publishing at once unless told otherwise."""

from __future__ import annotations

import copy
import html as html_module
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget import formatting
from ckanext.budget.rulesets import service

from .budget_pages import publish_draft
from .budget_uploads import sample_bytes, upload_resource

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.ckan_config("ckan.locale_default", "fr"),
]

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
URL = "/organization/montreuil/budget-rules"
EXPLORER = "/budget/budget-principal/explorer"
ANONYMOUS = {"user": "", "ignore_auth": False}


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
    rules = yaml.safe_load((RULES / "montreuil.yaml").read_text(encoding="utf-8"))
    created = call_action("budget_ruleset_create", organization="montreuil", rules=rules)
    return {
        "org": org,
        "editor": editor,
        "member": member,
        "dataset": dataset,
        "resource": resource,
        "rules": rules,
        "id": created["id"],
    }


def auth(user: dict[str, Any]) -> dict[str, Any]:
    return {"headers": {"Authorization": user["token"]}}


def as_user(user: dict[str, Any]) -> dict[str, Any]:
    return {"user": user["name"], "ignore_auth": False}


def text(html: str) -> str:
    plain = html_module.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"[ \t\n\u202f\u00a0]+", " ", plain)


def applied(resource_id: str) -> tuple[str | None, int | None]:
    stored = service.stored(resource_id)
    return stored.ruleset_id, stored.ruleset_version


def renamed_di(rules: dict[str, Any], label: str) -> dict[str, Any]:
    changed = copy.deepcopy(rules)
    changed["trees"][0]["categories"][1]["label"] = label
    assert changed["trees"][0]["categories"][1]["id"] == "DI"
    return changed


def test_a_draft_applies_to_nothing_and_is_read_by_its_editors_only(
    app: Any, montreuil: dict
) -> None:
    rid = montreuil["resource"]["id"]
    assert applied(rid) == (montreuil["id"], 1)
    saved = call_action(
        "budget_ruleset_update",
        organization="montreuil",
        rules=renamed_di(montreuil["rules"], "Investissements (brouillon)"),
        publish=False,
    )
    assert saved["version"] == 2 and saved["draft"] is True
    assert applied(rid) == (montreuil["id"], 1)  # the public's figures: version 1

    with app.flask_app.test_request_context():
        public = call_action("budget_ruleset_show", context=ANONYMOUS, organization="montreuil")
        assert public["version"] == 1 and public["current_version"] == 1
        labels = [c["label"] for c in public["rules"]["trees"][0]["categories"]]
        assert "Investissements (brouillon)" not in labels
        with pytest.raises(tk.ObjectNotFound):
            call_action(
                "budget_ruleset_show", context=ANONYMOUS, organization="montreuil", version=2
            )
        history = call_action("budget_ruleset_history", context=dict(ANONYMOUS), id=montreuil["id"])
        assert [v["version"] for v in history] == [1]
        member = call_action(
            "budget_ruleset_show", context=as_user(montreuil["member"]), organization="montreuil"
        )
        assert member["version"] == 1
        editor = call_action(
            "budget_ruleset_show", context=as_user(montreuil["editor"]), organization="montreuil"
        )
        assert editor["version"] == 2 and editor["draft"] is True
        with pytest.raises(tk.NotAuthorized):
            call_action(
                "budget_ruleset_publish", context=as_user(montreuil["member"]), id=montreuil["id"]
            )
        published = call_action(
            "budget_ruleset_publish", context=as_user(montreuil["editor"]), id=montreuil["id"]
        )
    assert published["version"] == 2 and published["published_by"] == montreuil["editor"]["name"]
    assert applied(rid) == (montreuil["id"], 2)
    with pytest.raises(tk.ValidationError):  # already the published one
        call_action("budget_ruleset_publish", id=montreuil["id"])


def test_a_rule_set_never_published_is_invisible_and_applies_to_nothing(
    app: Any, montreuil: dict
) -> None:
    rid = montreuil["resource"]["id"]
    dataset = montreuil["dataset"]
    own = call_action(
        "budget_ruleset_create",
        package_id=dataset["id"],
        rules=renamed_di(montreuil["rules"], "Investissements du budget principal"),
        publish=False,
    )
    assert applied(rid) == (montreuil["id"], 1)  # still the organisation's rules
    with app.flask_app.test_request_context():
        with pytest.raises(tk.ObjectNotFound):
            call_action("budget_ruleset_show", context=ANONYMOUS, id=own["id"])
        listed = call_action("budget_ruleset_list", context=ANONYMOUS, organization="montreuil")
    assert [r["id"] for r in listed] == [montreuil["id"]]
    page = text(app.get(f"/dataset/{dataset['name']}/budget-rules").body)
    assert "Investissements du budget principal" not in page
    call_action("budget_ruleset_publish", id=own["id"])
    assert applied(rid) == (own["id"], 1)


def test_publishing_rules_that_leave_lines_out_needs_a_confirmation(
    app: Any, montreuil: dict
) -> None:
    rid = montreuil["resource"]["id"]
    broken = copy.deepcopy(montreuil["rules"])
    df = broken["trees"][0]["categories"][0]
    df["children"] = [c for c in df["children"] if c["id"] != "DF.autres"]
    call_action("budget_ruleset_update", organization="montreuil", rules=broken, publish=False)
    with pytest.raises(tk.ValidationError) as refused:
        call_action("budget_ruleset_publish", id=montreuil["id"])
    assert "accept_failing_checks" in str(refused.value.error_dict)
    assert service.stored(rid).ok is True
    anonymous_page = text(app.get(EXPLORER).body)
    assert "ne comptent pas chaque ligne exactement une fois" not in anonymous_page

    call_action("budget_ruleset_publish", id=montreuil["id"], accept_failing_checks=True)
    assert service.stored(rid).ok is False
    # The public is told, on the page itself.
    assert "ne comptent pas chaque ligne exactement une fois" in text(app.get(EXPLORER).body)


def test_the_publish_page_shows_the_totals_before_and_after(app: Any, montreuil: dict) -> None:
    rid = montreuil["resource"]["id"]
    stored = service.stored(rid)
    before = service.result(stored).find("rdfi", "DF").amount
    # Staff spending only in function 0: the other functions' lines leave DF.personnel.
    left_out = sum(
        (
            share.amount
            for share in service.leaf_lines(stored, "rdfi", "DF.personnel")
            if not (share.line.function or "").startswith("0")
        ),
        Decimal(0),
    )
    assert left_out > 0
    changed = copy.deepcopy(montreuil["rules"])
    personnel = changed["trees"][0]["categories"][0]["children"][0]
    assert personnel["id"] == "DF.personnel"
    personnel["formula"] = "sens:D & section:F & chapitre:012 & fonction:0"
    call_action("budget_ruleset_update", organization="montreuil", rules=changed, publish=False)

    editor = auth(montreuil["editor"])
    review = text(app.get(URL + "/publish", **editor).body)
    assert "Publier la version 2" in review
    assert text(formatting.money(before, "fr")) in review  # shown today
    assert text(formatting.money(before - left_out, "fr")) in review  # after publishing
    assert "ne comptent pas chaque ligne exactement une fois" in review
    app.get(URL + "/publish", status=403, **auth(montreuil["member"]))

    refused = text(publish_draft(app, URL, editor).body)
    assert "cochez la case pour les publier quand même" in refused
    assert applied(rid) == (montreuil["id"], 1)
    publish_draft(app, URL, editor, confirm=True)
    assert applied(rid) == (montreuil["id"], 2)
    after = service.result(service.stored(rid)).find("rdfi", "DF").amount
    assert after == before - left_out


def test_see_as_the_public_shows_the_draft_to_its_editors_only(app: Any, montreuil: dict) -> None:
    call_action(
        "budget_ruleset_update",
        organization="montreuil",
        rules=renamed_di(montreuil["rules"], "Investissements (brouillon)"),
        publish=False,
    )
    editor = auth(montreuil["editor"])
    index = app.get(URL, **editor).body
    assert "budget-principal/explorer?apercu=brouillon" in index
    draft = app.get(EXPLORER + "?apercu=brouillon&tree=rdfi", **editor)
    shown = text(draft.body)
    assert "Aperçu d'un brouillon" in shown and "Investissements (brouillon)" in shown
    # Its links stay on the draft (years, levels, stages).
    assert re.search(r'href="[^"]*explorer\?[^"]*apercu=brouillon', draft.body)
    published = text(app.get(EXPLORER + "?tree=rdfi", **editor).body)
    assert "Investissements (brouillon)" not in published
    # Nobody else learns that a draft exists.
    app.get(EXPLORER + "?apercu=brouillon", status=404)
    app.get(EXPLORER + "?apercu=brouillon", status=404, **auth(montreuil["member"]))
    app.get(EXPLORER + "?apercu=autre", status=404, **editor)
    assert "Investissements (brouillon)" not in text(app.get(EXPLORER + "?tree=rdfi").body)


def test_migration_0012_goes_down_without_publishing_drafts_and_up_again(
    app: Any, montreuil: dict, migrate_db_for: Any
) -> None:
    call_action(
        "budget_ruleset_update",
        organization="montreuil",
        rules=renamed_di(montreuil["rules"], "Investissements (brouillon)"),
        publish=False,
    )
    call_action(
        "budget_ruleset_create",
        package_id=montreuil["dataset"]["id"],
        rules=montreuil["rules"],
        publish=False,
    )
    model.Session.remove()
    try:
        migrate_db_for("budget", "0011_budget_document_dte_dec", forward=False)
        rule_sets = model.Session.execute(sa.text("SELECT id, version FROM budget_ruleset")).all()
        versions = model.Session.execute(
            sa.text("SELECT version FROM budget_ruleset_version ORDER BY version")
        ).all()
    finally:
        model.Session.remove()
        migrate_db_for("budget")
    # The earlier schema would publish them: the draft and the never-published rules go.
    assert [tuple(row) for row in rule_sets] == [(montreuil["id"], 1)]
    assert [row[0] for row in versions] == [1]
    model.Session.remove()
    record = service.get(montreuil["id"])
    assert (record.version, record.published_version) == (1, 1)
    assert service.version(record).published is not None
    # Figures made with an authority's rules are computed again (default trees beside).
    document = service.documents_in_scope(record)[0]
    assert service.current(document) is None
