"""The document index behind the engine: totals stay exact to the cent whatever the
amounts, compiled formulas select what the formula says, split lines find their line."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg.aggregation import (
    Category,
    RuleSet,
    Selection,
    Tree,
    aggregate,
    default_ruleset,
    parse_formula,
)
from ckanext.budget.docbudg.aggregation.index import bits, line_index
from ckanext.budget.docbudg.nomenclature import find_plan
from ckanext.budget.docbudg.reader import read_document

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"
CRACH = SAMPLES / "crach" / "Crach_lotissement_CA_2021.xml"
MONTREUIL = sorted((SAMPLES / "montreuil").glob("*.xml.gz"))


def _decimal_totals(result, tree_id):
    """Leaf totals summed line by line in Decimal, the reference the engine must equal."""
    out = {}
    for node in result.trees[tree_id].walk():
        if node.is_leaf:
            out[node.id] = sum((share.amount for share in node.shares), Decimal(0))
    return out


@pytest.mark.parametrize("path", MONTREUIL[::2], ids=lambda p: p.name)
def test_leaf_totals_equal_the_decimal_sum_of_their_lines(path):
    doc = read_document(path)
    result = aggregate(doc, default_ruleset(doc))
    for tree_id, tree in result.trees.items():
        expected = _decimal_totals(result, tree_id)
        assert {n.id: n.total for n in tree.walk() if n.is_leaf} == expected
    assert sum(result.rdfi.values()) == sum(
        (line.entry.amount for line in result.lines), Decimal(0)
    )


def _crach_with_amounts(amount_of) -> object:
    """Crach's small CA with every ``MtReal`` rewritten by ``amount_of(old text)``."""
    text = CRACH.read_bytes().decode("iso-8859-1")
    changed = re.sub(r'<MtReal V="([^"]*)"/>', lambda m: f'<MtReal V="{amount_of(m[1])}"/>', text)
    return read_document(changed.encode("iso-8859-1"))


@pytest.mark.parametrize(
    "amount_of",
    [
        lambda old: old + "7",  # tenths of a cent: not a whole number of cents
        lambda old: "99999999999999.9" + old[-1],  # sums far beyond float precision
    ],
    ids=["sub-cent", "huge"],
)
def test_totals_stay_exact_when_floats_could_not_hold_them(amount_of):
    doc = _crach_with_amounts(amount_of)
    result = aggregate(doc, default_ruleset(doc))
    amounts = [line.entry.amount for line in result.lines]
    exact = sum(amounts, Decimal(0))
    assert exact.as_tuple().exponent == -3 or exact > Decimal(2**53) / 100
    assert sum(result.rdfi.values()) == exact
    for tree_id, tree in result.trees.items():
        assert {n.id: n.total for n in tree.walk() if n.is_leaf} == _decimal_totals(result, tree_id)
        assert sum((n.total for n in tree.nodes), Decimal(0)) == exact
        assert tree.checks.ok


def test_compiled_formulas_select_what_the_formula_says():
    doc = read_document(MONTREUIL[2])
    plan = find_plan(doc.header.exer, doc.header.nomenclature)
    index = line_index(doc, Selection(), plan)
    formula = parse_formula("DF ∩ (C60 + C61) - F4 ∪ RI ∩ Ch13")
    expected = {
        e.position
        for e in index.entries
        if (
            e.rdfi == "DF"
            and e.nature.startswith(("60", "61"))
            and not (e.fonction or "").startswith("4")
        )
        or (e.rdfi == "RI" and e.chapter == "13")
    }
    assert set(bits(index.evaluate(formula))) == expected and expected


def test_a_union_of_thousands_of_terms_compiles_without_recursion():
    doc = read_document(MONTREUIL[2])
    natures = sorted({line.nature for line in doc.lines if line.nature})
    terms = [f"nature:{n}" for n in natures] * 20  # ~6,000 terms, as spreadsheets make
    tree = Tree(
        id="t", label="t", categories=[Category(id="x", label="x", formula_text=" | ".join(terms))]
    )
    result = aggregate(doc, RuleSet(id="r", label="r", trees=[tree]))
    assert result.trees["t"].checks.unmatched == []


def test_split_lines_find_their_line_by_direction_nature_and_function():
    doc = read_document(MONTREUIL[2])
    index = line_index(doc, Selection(), find_plan(2018, "M14-M14_COM_SUP3500"))
    with_function = next(e for e in index.entries if e.fonction)
    assert (
        index.find(with_function.cod_rd, with_function.nature, with_function.fonction)
        == with_function.position
    )
    assert index.find("D", "999999", None) is None
