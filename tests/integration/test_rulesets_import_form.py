"""The rule import form asks for the format first (a GET form, no JavaScript), then shows
the form of that format with only its fields; each format's form imports its file."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.ckan_config("ckan.locale_default", "fr"),
]

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
IMPORT = "/organization/crach/budget-rules/import"
MAPPING_FIELDS = {
    *(f"column_{role}" for role in ("sens", "mouvement", "section", "chapitre", "nature")),
    "column_fonction",
    *("levels", "tree_id", "levels_2", "tree_id_2", "levels_3", "tree_id_3"),
    *("sheet", "nomenclature", "exer"),
}
FIELDS = {
    "native": {"format", "upload", "comment"},
    "gironde": {"format", "upload", "corrections", "comment"},
    "mapping": {"format", "upload", "comment", *MAPPING_FIELDS},
}
MAPPING_CSV = "Sens;Nature;N1\nD;6574;Associations\nD;6411;Personnel\n"


@pytest.fixture
def editor() -> dict[str, Any]:
    user = factories.UserWithToken()
    factories.Organization(name="crach", users=[{"name": user["name"], "capacity": "editor"}])
    return {"headers": {"Authorization": user["token"]}}


def form_fields(page: str, method: str) -> set[str]:
    """The names of the fields of the page's form sent with ``method`` (CSRF token aside)."""
    forms = re.findall(rf'<form method="{method}"[^>]*>(.*?)</form>', page, re.S)
    assert len(forms) == 1, forms
    return set(re.findall(r'name="([^"]+)"', forms[0])) - {"_csrf_token"}


def imported_trees() -> list[dict[str, Any]]:
    return call_action("budget_ruleset_show", organization="crach")["rules"]["trees"]


def test_the_form_asks_for_the_format_first(app: Any, editor: dict) -> None:
    page = app.get(IMPORT, **editor).get_data(as_text=True)
    assert form_fields(page, "get") == {"format"}
    assert re.findall(r'name="format" id="f-\w+" value="(\w+)"', page) == list(FIELDS)
    assert "Format du fichier" in page and 'type="file"' not in page


@pytest.mark.parametrize("fmt", list(FIELDS))
def test_each_format_shows_only_its_fields(app: Any, editor: dict, fmt: str) -> None:
    page = app.get(IMPORT, query_string={"format": fmt}, **editor).get_data(as_text=True)
    assert form_fields(page, "post") == FIELDS[fmt]
    assert f'name="format" value="{fmt}"' in page
    assert "Changer de format" in page


def test_native_form_imports(app: Any, editor: dict) -> None:
    rules = (RULES / "montreuil.yaml").read_bytes()
    app.post(
        IMPORT,
        data={"format": "native", "upload": (io.BytesIO(rules), "regles.yaml")},
        content_type="multipart/form-data",
        **editor,
    )
    expected = [tree["id"] for tree in yaml.safe_load(rules)["trees"]]
    assert [tree["id"] for tree in imported_trees()] == expected


def test_gironde_form_imports_with_its_corrections(app: Any, editor: dict) -> None:
    tree = (RULES / "gironde-description-agregation.json").read_bytes()
    corrections = (RULES / "gironde-corrections-agregation.csv").read_bytes()
    page = app.post(
        IMPORT,
        data={
            "format": "gironde",
            "upload": (io.BytesIO(tree), "g.json"),
            "corrections": (io.BytesIO(corrections), "c.csv"),
        },
        content_type="multipart/form-data",
        **editor,
    ).get_data(as_text=True)
    shown = call_action("budget_ruleset_show", organization="crach")["rules"]
    rows = len(corrections.decode("utf-8-sig").strip().splitlines()) - 1
    # a row whose category the tree lacks is left out, and the answer says so
    left_out = page.count("Corrections, ligne")
    assert shown["trees"][0]["id"] == "gironde"
    assert len(shown["corrections"]) == rows - left_out > 400


def test_mapping_form_imports_its_columns_and_levels(app: Any, editor: dict) -> None:
    page = app.post(
        IMPORT,
        data={
            "format": "mapping",
            "upload": (io.BytesIO(MAPPING_CSV.encode()), "correspondance.csv"),
            "column_sens": "Sens",
            "column_nature": "Nature",
            "levels": "N1",
            "tree_id": "usages",
        },
        content_type="multipart/form-data",
        **editor,
    ).get_data(as_text=True)
    (tree,) = imported_trees()
    assert tree["id"] == "usages"
    assert [c["label"] for c in tree["categories"]] == ["Associations", "Personnel"]
    # the answer is the mapping's form again, with the note on unchecked codes
    assert "comparés au plan de comptes" in page
    assert form_fields(page, "post") == FIELDS["mapping"]
