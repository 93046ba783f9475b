"""The rule editor beyond its basic forms: the live formula feedback (a JSON preview the
page's script asks for as the user types, and the script itself), a dataset's own rules
edited from the dataset page, and spreadsheet mappings with several hierarchies and codes
unknown to the plan de comptes."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
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
ORG_RULES = "/organization/montreuil/budget-rules"


@pytest.fixture
def montreuil() -> dict[str, Any]:
    """Montreuil's organisation (an editor, a member), a dataset with its CA 2018, and
    the rules of its published presentation."""
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
        name="budget-principal", title="Budget principal", owner_org=org["id"]
    )
    resource = upload_resource(
        dataset["id"], sample_bytes("montreuil/Montreuil_CA_2018.xml.gz"), "ca2018.xml.gz"
    )
    call_action(
        "budget_ruleset_create",
        organization="montreuil",
        rules=(RULES / "montreuil.yaml").read_text(encoding="utf-8"),
    )
    return {
        "org": org,
        "editor": editor,
        "member": member,
        "dataset": dataset,
        "resource": resource,
    }


def auth(user: dict[str, Any]) -> dict[str, Any]:
    return {"headers": {"Authorization": user["token"]}}


def text(html: str) -> str:
    plain = re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&#34;", '"')
    return re.sub(r"[ \t\n\u202f\u00a0]+", " ", plain)


# --- live feedback ------------------------------------------------------------------------


def test_live_preview_gives_the_error_and_its_position(app: Any, montreuil: dict) -> None:
    url = ORG_RULES + "/node/rdfi/DF.personnel/preview.json"
    answer = app.post(
        url,
        data={"formula": "DF ∩ Ch012 ∩ secton:F", "document": montreuil["resource"]["id"]},
        **auth(montreuil["editor"]),
    ).json
    assert answer["ok"] is False
    assert answer["position"] == 13
    assert answer["suggestion"] == "section:F"
    assert "Sélecteur inconnu « secton:F » (position 13)" in answer["message"]
    assert answer["pointer"].splitlines()[1] == " " * 13 + "^"


def test_live_preview_counts_the_lines_and_their_total(app: Any, montreuil: dict) -> None:
    url = ORG_RULES + "/node/rdfi/DF.personnel/preview.json"
    answer = app.post(
        url,
        data={"formula": "DF ∩ Ch012", "document": montreuil["resource"]["id"]},
        **auth(montreuil["editor"]),
    ).json
    assert answer["ok"] is True
    assert answer["total"] == "106775683.65"  # chapter 012 of Montreuil's CA 2018
    assert answer["count"] > 0 and answer["elsewhere"] == 0 and answer["unmatched"] == 0
    total = re.sub(r"[\u202f\u00a0]", " ", answer["summary"])
    assert total == f"{answer['count']} lignes sélectionnées, total 106 775 683,65 €"
    # the whole operating section also selects what DF.autres counts
    wider = app.post(
        url,
        data={"formula": "DF", "document": montreuil["resource"]["id"]},
        **auth(montreuil["editor"]),
    ).json
    assert wider["total"] == "191602651.45" and wider["elsewhere"] > 0
    assert "aussi comptées dans d'autres catégories" in " ".join(wider["details"])
    # nothing is saved, and only editors may ask
    assert call_action("budget_ruleset_show", organization="montreuil")["version"] == 1
    app.post(url, data={"formula": "DF"}, status=403, **auth(montreuil["member"]))


def test_the_category_page_loads_the_live_feedback_script(app: Any, montreuil: dict) -> None:
    page = app.get(ORG_RULES + "/node/rdfi/DF.personnel", **auth(montreuil["editor"]))
    assert 'data-module="budget-formula-preview"' in page.body
    assert f'data-module-url="{ORG_RULES}/node/rdfi/DF.personnel/preview.json"' in page.body
    script = re.search(r'<script[^>]+src="([^"]*budget[_-]rules[^"]*\.js)"', page.body)
    assert script, "the editor's script is not on the page"
    served = app.get(script[1])
    assert "budget-formula-preview" in served.get_data(as_text=True)
    # the round-trip preview still works without it
    assert 'name="op" value="preview"' in page.body


# --- a dataset's own rules ----------------------------------------------------------------


def test_a_dataset_gets_its_own_rules_from_its_page(app: Any, montreuil: dict) -> None:
    editor, dataset = montreuil["editor"], montreuil["dataset"]
    rules_url = f"/dataset/{dataset['name']}/budget-rules"
    assert rules_url in app.get(f"/dataset/{dataset['name']}", **auth(editor)).body
    assert rules_url not in app.get(f"/dataset/{dataset['name']}", **auth(montreuil["member"])).body
    page = app.get(rules_url, **auth(editor))
    assert "règles de son organisation" in text(page.body)

    app.post(rules_url + "/create", data={"source": "organization"}, **auth(editor))
    own = call_action("budget_ruleset_show", package_id=dataset["id"])
    org_rules = call_action("budget_ruleset_show", organization="montreuil")
    assert own["rules"]["trees"] == org_rules["rules"]["trees"]

    app.post(
        rules_url + "/node/rdfi/DI",
        data={"op": "rename", "label": "Investissement du budget principal"},
        **auth(editor),
    )
    own = call_action("budget_ruleset_show", package_id=dataset["id"])
    assert own["version"] == 2
    assert (
        own["rules"]["trees"][0]["categories"][1]["label"] == "Investissement du budget principal"
    )
    assert call_action("budget_ruleset_show", organization="montreuil")["version"] == 1
    # Drafts until published: the documents keep the organisation's rules meanwhile.
    stored = service.stored(montreuil["resource"]["id"])
    assert stored.ruleset_id != own["id"]
    publish_draft(app, rules_url, auth(editor))
    stored = service.stored(montreuil["resource"]["id"])
    assert (stored.ruleset_id, stored.ruleset_version) == (own["id"], 2)
    # the organisation's page lists it, with a link to it
    assert rules_url in app.get(ORG_RULES, **auth(editor)).body

    app.post(rules_url + "/delete", **auth(editor))
    assert service.for_package(dataset["id"]) is None
    stored = service.stored(montreuil["resource"]["id"])
    assert stored.ruleset_id == org_rules["id"]


def test_a_dataset_without_rules_may_start_from_the_default_trees(
    app: Any, montreuil: dict
) -> None:
    rules_url = f"/dataset/{montreuil['dataset']['name']}/budget-rules"
    app.post(rules_url + "/create", data={"source": "defaults"}, **auth(montreuil["editor"]))
    own = call_action("budget_ruleset_show", package_id=montreuil["dataset"]["id"])
    assert [t["id"] for t in own["rules"]["trees"]] == ["fonction", "chapitre"]
    app.post(
        rules_url + "/create", data={"source": "empty"}, status=403, **auth(montreuil["member"])
    )


# --- spreadsheet mappings -----------------------------------------------------------------


def _mapping_file(suffix: str) -> tuple[io.BytesIO, str]:
    frame = pd.DataFrame(
        [
            ["D", "F", "012", "", "Ressources", "Personnel", "Tous"],
            ["D", "F", "65", "6574", "Solidarités", "Associations", "Associations"],
            ["D", "F", "65", "9999", "Solidarités", "Inconnu", "Associations"],
        ],
        columns=["Sens", "Section", "Chapitre", "Nature", "N1", "N2", "Public"],
    )
    buffer = io.BytesIO()
    if suffix == ".csv":
        buffer.write(frame.to_csv(index=False, sep=";").encode("utf-8"))
    else:
        frame.to_excel(buffer, index=False)
    buffer.seek(0)
    return buffer, f"correspondance{suffix}"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_form_takes_several_hierarchies_and_names_unknown_codes(
    app: Any, montreuil: dict, suffix: str
) -> None:
    page = app.post(
        ORG_RULES + "/import",
        data={
            "format": "mapping",
            "upload": _mapping_file(suffix),
            "column_sens": "Sens",
            "column_section": "Section",
            "column_chapitre": "Chapitre",
            "column_nature": "Nature",
            "levels": "N1\nN2",
            "tree_id": "services",
            "levels_2": "Public",
            "tree_id_2": "publics",
        },
        content_type="multipart/form-data",
        **auth(montreuil["editor"]),
    )
    # the plan of the organisation's latest document (M14 2018) does not know nature 9999
    assert "Ligne 4 : nature « 9999 » inconnu du plan de comptes." in text(page.body)
    rules = call_action("budget_ruleset_show", organization="montreuil")["rules"]
    assert [t["id"] for t in rules["trees"]] == ["services", "publics"]
    publish_draft(app, ORG_RULES, auth(montreuil["editor"]), confirm=True)
    result = call_action("budget_aggregate", id=montreuil["resource"]["id"])["result"]
    trees = {t["id"]: t for t in result["arbres"]}
    services = {c["id"]: c for c in trees["services"]["categories"]}
    publics = {c["id"]: c for c in trees["publics"]["categories"]}
    assert services["solidarites"]["montant"] == publics["associations"]["montant"] != "0"


def test_import_without_a_document_says_codes_were_not_checked(app: Any) -> None:
    editor = factories.UserWithToken()
    factories.Organization(name="crach", users=[{"name": editor["name"], "capacity": "editor"}])
    page = app.post(
        "/organization/crach/budget-rules/import",
        data={
            "format": "mapping",
            "upload": _mapping_file(".csv"),
            "column_nature": "Nature",
            "levels": "N1",
        },
        content_type="multipart/form-data",
        **auth(editor),
    )
    assert "n'ont pas été comparés au plan de comptes" in text(page.body)
    rules = call_action("budget_ruleset_show", organization="crach")["rules"]
    assert [t["id"] for t in rules["trees"]] == ["correspondance"]


def _typed_mapping(movement: str) -> tuple[io.BytesIO, str]:
    """A mapping whose headers carry non-breaking spaces and their own case."""
    table = (
        "Sens\u00a0;MOUVEMENT;Code\u202ffonction;Niveau\u00a01\n"
        f"Dépense;{movement};41;Sport\n"
        "D;ORDRE;41;Ordre\n"
    )
    return io.BytesIO(table.encode("utf-8")), "correspondance.csv"


def _post_typed_mapping(app: Any, user: dict, movement: str, prefix: str = "") -> str:
    page = app.post(
        prefix + ORG_RULES + "/import",
        data={
            "format": "mapping",
            "upload": _typed_mapping(movement),
            "column_sens": "sens",
            "column_mouvement": "Mouvement",
            "column_fonction": "code fonction",
            "levels": "niveau 1",
        },
        content_type="multipart/form-data",
        **auth(user),
    )
    return text(page.body)


def test_import_form_reads_headers_as_typed_and_refuses_values_it_does_not_understand(
    app: Any, montreuil: dict
) -> None:
    _post_typed_mapping(app, montreuil["editor"], "REELLE")
    rules = call_action("budget_ruleset_show", organization="montreuil")["rules"]
    sport = rules["trees"][0]["categories"][0]
    assert (sport["id"], sport["formula"]) == ("sport", "sens:D & reel & fonction=41")
    body = _post_typed_mapping(app, montreuil["editor"], "Prévu")
    assert "Colonne « MOUVEMENT » (mouvement) : valeurs non comprises Prévu (ligne(s) 2)" in body
    assert "Rien n'a été importé" in body
    body = _post_typed_mapping(app, montreuil["editor"], "Prévu", prefix="/en")
    assert "Column 'MOUVEMENT' (mouvement): values not understood Prévu (row(s) 2)" in body
    after = call_action("budget_ruleset_show", organization="montreuil")["rules"]
    assert after == rules
