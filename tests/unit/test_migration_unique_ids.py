"""Revision 0008: stored rule-set versions whose categories shared an id (which rule sets
now refuse) get an id each, so every stored version loads again."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from ckanext.budget.docbudg.aggregation import RuleSetError, ruleset_from_dict

PATH = (
    Path(__file__).parents[2]
    / "ckanext/budget/migration/budget/versions/0008_budget_unique_category_ids.py"
)


@pytest.fixture(scope="module")
def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("budget_0008", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leaf(id_: str, formula: str) -> dict:
    return {"id": id_, "label": id_, "formula": formula}


STORED = {
    "format": "budget-aggregation/1",
    "id": "ville",
    "label": "Ville",
    "trees": [
        {
            "id": "politiques",
            "label": "Politiques",
            "categories": [
                {
                    "id": "espaces-publics",
                    "label": "Espaces publics",
                    "children": [leaf("voirie", "sens:D & fonction:82")],
                },
                {
                    "id": "espaces-publics",
                    "label": "Espaces Publics",
                    "children": [
                        leaf("voirie", "sens:D & fonction:81"),
                        leaf("voirie-2", "sens:R"),
                    ],
                },
                leaf("reste", "sens:D - (fonction:82 | fonction:81)"),
            ],
        },
        {"id": "politiques", "label": "Bis", "categories": [leaf("tout", "sens:D | sens:R")]},
    ],
}


def test_duplicate_ids_are_refused_then_renamed_once_and_for_all(migration: ModuleType) -> None:
    with pytest.raises(RuleSetError, match="politiques"):
        ruleset_from_dict(copy.deepcopy(STORED))
    content = copy.deepcopy(STORED)
    assert migration.unique_ids(content) is True
    rules = ruleset_from_dict(content)
    assert [tree.id for tree in rules.trees] == ["politiques", "politiques-2"]
    ids = [category.id for category, _ in rules.trees[0].walk()]
    assert ids == [
        "espaces-publics",
        "voirie",
        "espaces-publics-2",
        "voirie-3",
        "voirie-2",
        "reste",
    ]
    again = copy.deepcopy(content)
    assert migration.unique_ids(again) is False and again == content


def test_a_version_without_duplicates_is_left_as_it_was(migration: ModuleType) -> None:
    content = {**copy.deepcopy(STORED), "trees": STORED["trees"][1:]}
    before = copy.deepcopy(content)
    assert migration.unique_ids(content) is False and content == before


def test_amounts_earlier_versions_did_not_check_are_made_readable(migration: ModuleType) -> None:
    content = copy.deepcopy(STORED)
    content["trees"] = content["trees"][1:]
    content["selection"] = {
        "amounts": {"BP": "MtPrev", "DM": "MtPrev", "ca": "MtReal", "CFU": "MtFoo", "CA": "MtReal"}
    }
    assert migration.readable_amounts(content) is True
    # What earlier versions wrote for every rule set is no choice: each stage's own amount.
    assert content["selection"]["amounts"] == {}
    assert ruleset_from_dict(content).selection.amounts == {}
    assert migration.readable_amounts(content) is False


def test_an_old_rule_set_that_changed_one_amount_keeps_the_stages_own_for_the_others(
    migration: ModuleType,
) -> None:
    legacy = {"BP": "MtPrev", "BS": "MtPrev", "DM": "MtPrev", "CA": "MtReal", "CFU": "CredOuv"}
    content = {**copy.deepcopy(STORED), "trees": STORED["trees"][1:]}
    content["selection"] = {"amounts": legacy}
    assert migration.readable_amounts(content) is True
    assert ruleset_from_dict(content).selection.amounts == {"CFU": "CredOuv"}
