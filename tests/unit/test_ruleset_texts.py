"""Editorial texts of a rule set (issue 15): kept per category and per year, and for the
whole budget per year, through the native format; every content saved before texts
existed still reads (no text); texts too long, English only or of an odd year refused
with a message in both languages; only the texts read for the pages; changes told."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from ckanext.budget.docbudg.aggregation import (
    RuleSetError,
    dump_ruleset,
    ruleset_from_dict,
    ruleset_to_dict,
)
from ckanext.budget.docbudg.aggregation.ruleset import MAX_TEXT, Text
from ckanext.budget.docbudg.aggregation.storage import texts_from_dict

RULES = Path(__file__).parent.parent / "fixtures" / "rules"


@pytest.fixture
def stored() -> dict:
    """Montreuil's rules as saved before texts existed (no ``texts`` key anywhere)."""
    return yaml.safe_load((RULES / "montreuil.yaml").read_text(encoding="utf-8"))


def with_texts(stored: dict) -> dict:
    data = copy.deepcopy(stored)
    data["texts"] = {"2018": {"fr": "Une année de travaux.\nDeux écoles rénovées."}}
    data["trees"][0]["categories"][0]["children"][0]["texts"] = {
        "2019": {"fr": "Recrutements.", "en": "Hiring."},
        "2018": {"fr": "Gel des postes."},
    }
    return data


def test_content_without_texts_reads_as_no_text(stored: dict) -> None:
    rules = ruleset_from_dict(stored)
    assert rules.texts == {}
    assert all(not c.texts for tree in rules.trees for c, _ in tree.walk())
    # and is written back as it was: no empty "texts" keys appear in old versions
    assert "texts" not in json.dumps(ruleset_to_dict(rules))


def test_texts_round_trip_through_json_and_yaml(stored: dict) -> None:
    rules = ruleset_from_dict(with_texts(stored))
    assert rules.texts == {2018: Text("Une année de travaux.\nDeux écoles rénovées.")}
    staff = rules.tree("rdfi").find("DF.personnel")
    assert staff.texts == {2018: Text("Gel des postes."), 2019: Text("Recrutements.", "Hiring.")}
    saved = ruleset_to_dict(rules)
    # years as text (JSON keys), in order
    assert list(saved["trees"][0]["categories"][0]["children"][0]["texts"]) == ["2018", "2019"]
    again = ruleset_from_dict(json.loads(json.dumps(saved)))
    assert ruleset_to_dict(again) == saved  # formulas are saved in the native notation
    assert again.texts == rules.texts
    from_yaml = ruleset_from_dict(yaml.safe_load(dump_ruleset(rules, "yaml")))
    assert from_yaml.tree("rdfi").find("DF.personnel").texts == staff.texts
    assert from_yaml.texts == rules.texts


def test_texts_shown_in_the_page_language_with_french_fallback() -> None:
    both = Text("Une ligne.\n\n  Une autre.  ", "One line.")
    assert both.paragraphs("fr") == (["Une ligne.", "Une autre."], "fr")
    assert both.paragraphs("en") == (["One line."], "en")
    assert Text("Seulement en français.").paragraphs("en") == (["Seulement en français."], "fr")


@pytest.mark.parametrize(
    ("texts", "fr", "en"),
    [
        (
            {"2020": {"fr": "x" * (MAX_TEXT + 1)}},
            "Texte de 2020 trop long : 2001 caractères, 2000 au plus.",
            "Text of 2020 too long: 2001 characters, 2000 at most.",
        ),
        (
            {"2020": {"fr": "", "en": "English only."}},
            "le texte en anglais accompagne un texte en français",
            "the English text goes with a French one",
        ),
        ({"20x0": {"fr": "Texte."}}, "Année de texte invalide", "Invalid text year"),
        ({"1850": {"fr": "Texte."}}, "Année de texte invalide", "Invalid text year"),
        ({"2020": "Texte."}, "texte de 2020 illisible", "unreadable text of 2020"),
        (["Texte."], "doit associer des années à des textes", "must map years to texts"),
    ],
)
def test_unusable_texts_are_refused_in_both_languages(
    stored: dict, texts: object, fr: str, en: str
) -> None:
    data = copy.deepcopy(stored)
    data["trees"][0]["categories"][1]["texts"] = texts
    with pytest.raises(RuleSetError) as found:
        ruleset_from_dict(data)
    assert fr in found.value.text("fr") and "rdfi/DI" in found.value.text("fr")
    assert en in found.value.text("en")


def test_a_text_at_the_limit_is_kept_whole(stored: dict) -> None:
    data = copy.deepcopy(stored)
    data["texts"] = {"2021": {"fr": "é" * MAX_TEXT, "en": "\r\nOne.\r\nTwo.\r\n"}}
    rules = ruleset_from_dict(data)
    assert rules.texts[2021] == Text("é" * MAX_TEXT, "One.\nTwo.")


def test_only_the_texts_are_read_for_the_pages(stored: dict) -> None:
    data = with_texts(stored)
    data["trees"][0]["categories"][1]["formula"] = "not a formula ((("  # not parsed here
    found = texts_from_dict(data)
    assert found.of_budget(2018) == Text("Une année de travaux.\nDeux écoles rénovées.")
    assert found.of_budget(2019) is None
    assert found.of_category("rdfi", "DF.personnel", 2019) == Text("Recrutements.", "Hiring.")
    assert found.of_category("rdfi", "DF.personnel", 2020) is None
    assert found.of_category("rdfi", None, 2019) is None
    assert found.of_category("other", "DF.personnel", 2019) is None
    assert texts_from_dict(stored).categories == {} and texts_from_dict(None).budget == {}
    assert found == ruleset_from_dict(with_texts(stored)).editorial_texts()


def test_changes_name_the_texts_and_their_years(stored: dict) -> None:
    from ckanext.budget.rulesets.diff import changes, compare

    old = ruleset_from_dict(stored)
    new = ruleset_from_dict(with_texts(stored))
    assert changes(old, new) == [
        {"kind": "budget_texts", "years": [2018]},
        {"kind": "texts", "ids": ["DF.personnel"], "years": [2018, 2019]},
    ]
    assert changes(new, new) == []
    (tree,) = compare(old, new)
    (staff,) = tree.categories
    assert staff.id == "DF.personnel" and staff.text_years == [2018, 2019]
    assert not staff.formula_changed and not staff.renamed
