"""The formula language: precedence of the existing tool, spellings, errors that help."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ckanext.budget.docbudg.aggregation.formula import (
    Atom,
    BinOp,
    FormulaError,
    native,
    parse_formula,
)

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
DF = BinOp("&", Atom("sens", "D"), Atom("section", "F"))


def C(code):
    return Atom("compte", code)


def gironde_leaves():
    def walk(node):
        if "formula" in node:
            yield node
        for child in node.get("children", []):
            yield from walk(child)

    data = json.loads((RULES / "gironde-description-agregation.json").read_text("utf-8"))
    return list(walk(data))


def test_intersection_binds_tighter_than_union_as_in_the_existing_tool():
    assert parse_formula("DF∩C73914+C73926") == BinOp("|", BinOp("&", DF, C("73914")), C("73926"))


def test_difference_and_union_are_left_associative_and_below_intersection():
    assert parse_formula("C60-C60∩F4+C61") == BinOp(
        "|", BinOp("-", C("60"), BinOp("&", C("60"), Atom("fonction", "4"))), C("61")
    )


def test_f_alone_is_the_section_and_f_with_a_code_a_function():
    assert parse_formula("F") == Atom("section", "F")
    assert parse_formula("F4") == Atom("fonction", "4")
    assert parse_formula("Ch011∩Ann2018") == BinOp(
        "&", Atom("chapitre", "011"), Atom("annee", "2018")
    )


def test_ascii_and_native_spellings_mean_the_same_as_the_legacy_ones():
    legacy = parse_formula("DF∩(C60∪C61+C62)")
    assert parse_formula("DF & (C60 | C61 + C62)") == legacy
    assert parse_formula("DF ^ (C60|C61|C62)") == legacy
    assert parse_formula("sens:D & section:F & (compte:60 | account:61 | compte:62)") == legacy
    assert parse_formula("Réel & Sens:dépense & nature:6* & fonction:*") == BinOp(
        "&",
        BinOp(
            "&",
            BinOp("&", Atom("reel"), Atom("sens", "D")),
            Atom("nature_prefix", "6"),
        ),
        Atom("fonction", "*"),
    )


def test_every_gironde_formula_parses_and_survives_the_native_rendering():
    leaves = gironde_leaves()
    assert len(leaves) == 109
    empty = [leaf["id"] for leaf in leaves if not leaf["formula"].strip()]
    assert empty == ["DI.2.6", "RF.4.2"]
    for leaf in leaves:
        if leaf["formula"].strip():
            formula = parse_formula(leaf["formula"])
            assert parse_formula(native(formula)) == formula, leaf["id"]


def test_native_rendering_makes_the_pitfall_explicit():
    text = native(parse_formula("DF∩C73914+C73926"))
    assert text == "(sens:D & section:F & compte:73914) | compte:73926"


@pytest.mark.parametrize(
    ("text", "position", "suggestion"),
    [
        ("DF∩c6574", 3, "C6574"),
        ("DF∩6574", 3, "C6574"),
        ("compt:60", 0, "compte:60"),
        ("DF∩(C60", 7, "DF∩(C60)"),
        ("C60 C61", 4, "C60 ∪ C61"),
        ("DF∩", 3, None),
        ("sens:X", 5, None),
        ("   ", 0, None),
    ],
)
def test_invalid_formulas_are_errors_with_position_and_suggestion(text, position, suggestion):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert info.value.position == position
    assert info.value.suggestion == suggestion
    if suggestion:
        assert suggestion in info.value.text_in("fr")
        assert suggestion in info.value.text_in("en")
    assert info.value.text_in("fr") != info.value.text_in("en")


_atoms = st.one_of(
    st.builds(Atom, st.just("compte"), st.from_regex(r"[0-9]{1,6}", fullmatch=True)),
    st.builds(Atom, st.just("fonction"), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
    st.builds(Atom, st.just("fonction_exact"), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
    st.builds(Atom, st.just("sens"), st.sampled_from("DR")),
    st.builds(Atom, st.just("nature_prefix"), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
    st.just(Atom("reel")),
)
_formulas = st.recursive(
    _atoms,
    lambda inner: st.builds(BinOp, st.sampled_from("&|-"), inner, inner),
    max_leaves=12,
)


@given(_formulas)
def test_native_text_parses_back_to_the_same_formula(formula):
    assert parse_formula(native(formula)) == formula
