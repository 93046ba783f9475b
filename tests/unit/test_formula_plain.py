"""The plain-French notation of formulas: ``et``/``ou``/``sauf`` and word atoms, read as
input and written back (:func:`plain`) everywhere a formula is shown."""

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ckanext.budget.docbudg.aggregation import default_ruleset
from ckanext.budget.docbudg.aggregation.formula import (
    Atom,
    BinOp,
    FormulaError,
    compile_formula,
    native,
    parse_formula,
    plain,
    plain_text,
)
from ckanext.budget.docbudg.nomenclature import find_plan

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
SHARED = Path("/work/shared/data/rules")
D, R = Atom("sens", "D"), Atom("sens", "R")
F, INV = Atom("section", "F"), Atom("section", "I")


def ch(code):
    return Atom("chapitre", code)


def test_each_operator_word_and_its_symbol_mean_the_same():
    assert parse_formula("dépenses et fonctionnement") == BinOp("&", D, F)
    assert parse_formula("dépenses ou recettes") == BinOp("|", D, R)
    assert parse_formula("dépenses sauf chapitre 012") == BinOp("-", D, ch("012"))
    assert parse_formula("dépenses et fonctionnement") == parse_formula("DF")
    assert parse_formula("recettes sauf (compte 73 ou compte 74)") == parse_formula("R-(C73∪C74)")


def test_et_binds_tighter_than_ou_and_sauf_as_in_the_existing_tool():
    assert parse_formula("dépenses et chapitre 20 ou chapitre 21") == BinOp(
        "|", BinOp("&", D, ch("20")), ch("21")
    )
    assert parse_formula("tout sauf dépenses et investissement") == BinOp(
        "-", Atom("tout"), BinOp("&", D, INV)
    )
    assert parse_formula("DF∩C73914+C73926") == parse_formula(
        "dépenses et fonctionnement et compte 73914 ou compte 73926"
    )
    # shown back with the parentheses, so nobody has to know the rule
    assert plain(parse_formula("DF∩C73914+C73926")) == (
        "(dépenses et fonctionnement et compte 73914) ou compte 73926"
    )


def test_a_keyword_takes_a_list_of_codes():
    assert parse_formula("dépenses et investissement et chapitres 20, 21, 23") == BinOp(
        "&", BinOp("&", D, INV), BinOp("|", BinOp("|", ch("20"), ch("21")), ch("23"))
    )
    text = "sens:D & section:I & (chapitre:20 | chapitre:21 | chapitre:23)"
    assert plain(parse_formula(text)) == "dépenses et investissement et chapitres 20, 21, 23"


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("DÉPENSES et Fonctionnement", BinOp("&", D, F)),
        ("depenses ET fonctionnement", BinOp("&", D, F)),
        ("expenditure and operating", BinOp("&", D, F)),
        ("revenue or investment except all", BinOp("-", BinOp("|", R, INV), Atom("tout"))),
        ("Année 2018 et réel", BinOp("&", Atom("annee", "2018"), Atom("reel"))),
        ("annee 2018 et reel", BinOp("&", Atom("annee", "2018"), Atom("reel"))),
        ("compte 60", Atom("compte", "60")),
        ("compte = 60", Atom("nature", "60")),
        ("nature 6064", Atom("nature", "6064")),
        ("nature 6*", Atom("nature_prefix", "6")),
        ("fonction 4", Atom("fonction", "4")),
        ("fonction = 41", Atom("fonction_exact", "41")),
        ("fonction=41", Atom("fonction_exact", "41")),
        ("sans fonction", Atom("fonction", "aucune")),
        ("avec fonction", Atom("fonction", "*")),
        ("without function", Atom("fonction", "aucune")),
        ("ordre", Atom("ordre")),
        ("chapter 012", ch("012")),
    ],
)
def test_words_are_case_and_accent_insensitive_with_english_aliases(text, formula):
    assert parse_formula(text) == formula


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sens:D & fonction:2", "dépenses et fonction 2"),
        ("DF∩C73914+C73926", "(dépenses et fonctionnement et compte 73914) ou compte 73926"),
        ("RI ∩ Ch16", "recettes et investissement et chapitre 16"),
        ("DF ∩ (F4 ∪ F5)", "dépenses et fonctionnement et fonctions 4, 5"),
        ("DF & C60 - (F4 | F5)", "(dépenses et fonctionnement et compte 60) sauf fonctions 4, 5"),
        ("Réel & Sens:dépense & nature:6*", "réel et dépenses et nature 6*"),
        ("sens:D & fonction=41", "dépenses et fonction = 41"),
        ("compte=60", "nature 60"),
        ("sens:R & fonction:aucune", "recettes et sans fonction"),
        ("sens:D & fonction:*", "dépenses et avec fonction"),
        ("Ann2018∩RF", "année 2018 et (recettes et fonctionnement)"),
        ("tout - ordre", "tout sauf ordre"),
    ],
)
def test_every_old_notation_is_shown_back_in_plain_french_meaning_the_same(old, new):
    assert plain(parse_formula(old)) == new
    assert parse_formula(new) == parse_formula(old)
    assert plain_text(old) == new


def test_a_text_that_does_not_parse_is_shown_as_it_is():
    assert plain_text("DF∩(C60") == "DF∩(C60"
    assert plain_text("") == plain_text(None) == ""


@pytest.mark.parametrize(
    ("text", "position", "suggestion", "fr", "en"),
    [
        ("chapitre", 8, None, "Code attendu après « chapitre »", "Expected a code after"),
        ("dépenses et chapitre et recettes", 21, None, "Code attendu", "Expected a code"),
        ("chapitres 20,", 13, None, "Code attendu", "Expected a code"),
        ("sans compte", 5, "sans fonction", "« fonction » attendu", "expected after 'sans'"),
        ("chapitr 012", 0, "chapitre", "Sélecteur inconnu", "Unknown selector"),
        ("dépences", 0, "dépenses", "Sélecteur inconnu", "Unknown selector"),
        ("compte 65.74", 7, "compte 6574", "Valeur « 65.74 » invalide", "Invalid value"),
        ("année 18", 6, None, "Valeur « 18 » invalide", "Invalid value"),
        ("chapitre 20 chapitre 21", 12, "chapitre 20 ou chapitre 21", "inattendu", "Unexpected"),
        ("dépenses et (compte 60", 22, "dépenses et (compte 60)", "manquante", "Missing"),
        ("dépenses et", 11, None, "Sélecteur ou « ( » attendu", "Expected a selector"),
        ("dépenses et 6574", 12, "compte 6574", "Sélecteur inconnu « 6574 »", "Unknown selector"),
        ("dépenses et ch012", 12, "chapitre 012", "Sélecteur inconnu", "Unknown selector"),
    ],
)
def test_errors_say_where_and_what_in_french_and_english(text, position, suggestion, fr, en):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    error = info.value
    assert error.position == position
    assert error.suggestion == suggestion
    assert fr in error.text_in("fr") and f"(position {position})" in error.text_in("fr")
    assert en in error.text_in("en") and f"(position {position})" in error.text_in("en")
    if suggestion:
        assert f"Vouliez-vous dire « {suggestion} »" in error.text_in("fr")
        assert f"Did you mean '{suggestion}'" in error.text_in("en")


def _gironde_formulas(path):
    def walk(node):
        if node.get("formula", "").strip():
            yield node["id"], node["formula"]
        for child in node.get("children", []):
            yield from walk(child)

    return list(walk(json.loads(path.read_text("utf-8"))))


def _yaml_formulas(path):
    def walk(nodes):
        for node in nodes:
            if str(node.get("formula") or "").strip():
                yield node["id"], node["formula"]
            yield from walk(node.get("children", []))

    data = yaml.safe_load(path.read_text("utf-8"))
    return [found for tree in data["trees"] for found in walk(tree["categories"])]


def _every_known_formula():
    found = _gironde_formulas(RULES / "gironde-description-agregation.json")
    found += _yaml_formulas(RULES / "montreuil.yaml")
    shared = SHARED / "gironde-description-agregation.json"
    if shared.exists():
        found += _gironde_formulas(shared)
    for year, nomenclature in ((2024, "M14"), (2016, "M14"), (2024, "M57")):
        plan = find_plan(year, nomenclature)
        if plan is not None:
            for tree in default_ruleset(plan).trees:
                found += [(c.id, c.formula_text) for c, _ in tree.walk() if c.formula_text]
    return found


def test_every_formula_of_the_fixtures_survives_the_plain_rendering():
    formulas = _every_known_formula()
    assert len(formulas) > 150
    for category, text in formulas:
        formula = parse_formula(text)
        shown = plain(formula)
        assert parse_formula(shown) == formula, (category, text, shown)
        assert not set(shown) & set(":∩∪&|^+"), shown  # no symbol of the old notations


_codes = st.from_regex(r"[0-9]{1,6}", fullmatch=True)
_atoms = st.one_of(
    st.builds(Atom, st.just("compte"), _codes),
    st.builds(Atom, st.just("chapitre"), _codes),
    st.builds(Atom, st.just("nature"), _codes),
    st.builds(Atom, st.just("nature_prefix"), _codes),
    st.builds(Atom, st.just("fonction"), st.sampled_from(["4", "41", "*", "aucune"])),
    st.builds(Atom, st.just("fonction_exact"), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
    st.builds(Atom, st.just("sens"), st.sampled_from("DR")),
    st.builds(Atom, st.just("section"), st.sampled_from("FI")),
    st.builds(Atom, st.just("annee"), st.from_regex(r"20[0-9]{2}", fullmatch=True)),
    st.sampled_from([Atom("reel"), Atom("ordre"), Atom("tout")]),
)
_formulas = st.recursive(
    _atoms,
    lambda inner: st.builds(BinOp, st.sampled_from("&|-"), inner, inner),
    max_leaves=14,
)


@given(_formulas)
def test_plain_text_parses_back_to_the_same_formula(formula):
    assert parse_formula(plain(formula)) == formula
    assert parse_formula(native(formula)) == formula


def test_a_union_of_thousands_of_codes_is_rendered_without_recursion():
    formula = Atom("nature", "1")
    for code in range(2, 5000):
        formula = BinOp("|", formula, Atom("nature", str(code)))
    formula = BinOp("&", D, formula)
    shown = plain(formula)
    assert shown.startswith("dépenses et natures 1, 2, 3")
    assert compile_formula(parse_formula(shown)) == compile_formula(formula)


def test_codes_are_found_by_keyword_and_start_of_code_or_by_words_of_their_label():
    from ckanext.budget.docbudg.aggregation.codes import search_codes

    plan = find_plan(2021, "M14-M14_COM_SUP3500")
    found, total = search_codes(plan, "Chapitre 01", limit=3)
    assert [c.formula for c in found] == ["chapitre 010", "chapitre 011", "chapitre 012"]
    assert total > 3 and all(c.code.startswith("01") for c in found)
    found, _ = search_codes(plan, "nature 6574")
    assert [c.formula for c in found] == ["nature 6574"]
    assert found[0].label.startswith("Subventions de fonctionnement aux associations")
    found, total = search_codes(plan, "subventions ASSOCIATIONS")
    assert [c.formula for c in found] == ["compte 6574"] and total == 1
    found, _ = search_codes(plan, "fonction 41")
    assert {c.code for c in found} >= {"41", "411", "412"}
    assert parse_formula(found[0].formula) == Atom("fonction", "41")
    assert search_codes(plan, "zzzz") == ([], 0)
