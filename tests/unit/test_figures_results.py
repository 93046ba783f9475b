"""The typed result the portal stores (``docbudg.figures.results``) and what pages read
of it (``levels``): exact amounts through JSON, lookups and labels, figures equal to sums
computed here from the XML."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ckanext.budget.docbudg.aggregation import (
    Correction,
    RuleSet,
    aggregate,
    default_ruleset,
    import_gironde,
    load_ruleset,
)
from ckanext.budget.docbudg.figures.big_numbers import big_numbers
from ckanext.budget.docbudg.figures.levels import level
from ckanext.budget.docbudg.figures.report import (
    export_csv,
    export_dict,
    result_to_csv,
    result_to_dict,
)
from ckanext.budget.docbudg.figures.results import (
    Result,
    ResultShare,
    leaf_lines_to_json,
    result_of,
    stored_leaf_lines,
)
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums
from .independent_sums import SAMPLES

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
MONTREUIL_2018 = SAMPLES / "montreuil" / "Montreuil_CA_2018.xml.gz"


@pytest.fixture(scope="module")
def montreuil_2018():
    return read_document(MONTREUIL_2018)


@pytest.fixture(scope="module")
def rule_sets(montreuil_2018):
    return {
        "default": default_ruleset(montreuil_2018),
        "montreuil": load_ruleset(RULES / "montreuil.yaml"),
        "gironde": import_gironde(
            RULES / "gironde-description-agregation.json",
            RULES / "gironde-corrections-agregation.csv",
        ),
    }


def through_json(result: Result) -> Result:
    """What the database gives back."""
    return Result.from_json(json.loads(json.dumps(result.to_json())))


@pytest.mark.parametrize("rules", ["default", "montreuil", "gironde"])
def test_a_stored_result_reads_back_equal_and_gives_the_same_public_json(
    montreuil_2018, rule_sets, rules: str
) -> None:
    aggregated = aggregate(montreuil_2018, rule_sets[rules])
    result = result_of(aggregated, big_numbers(montreuil_2018))
    again = through_json(result)
    assert again == result
    assert again.ok is aggregated.ok
    # The API serves stored results in its French form: the same as a live aggregation.
    assert json.loads(json.dumps(export_dict(again))) == json.loads(
        json.dumps(result_to_dict(aggregated, with_lines=False))
    )


def test_the_checks_keep_the_lines_they_name(montreuil_2018, rule_sets) -> None:
    """Gironde's rules on a Montreuil document leave lines out and count some twice."""
    result = through_json(result_of(aggregate(montreuil_2018, rule_sets["gironde"])))
    checks = result.trees[0].checks
    assert checks is not None and not checks.ok
    assert checks.unmatched and checks.messages
    line = checks.unmatched[0]
    assert isinstance(line.amount, Decimal) and line.direction in ("R", "D")
    for key, (document, counted) in checks.totals.items():
        assert isinstance(document, Decimal) and isinstance(counted, Decimal), key


def test_levels_equal_the_documents_sums(montreuil_2018, rule_sets) -> None:
    result = through_json(result_of(aggregate(montreuil_2018, rule_sets["default"])))
    expected = independent_sums.big_numbers(MONTREUIL_2018)
    spending = level(result, "chapitre", "D", own_rules=False, lang="en")
    receipts = level(result, "chapitre", "R", own_rules=False, lang="fr")
    assert {row.id: row.amount for row in spending.rows + receipts.rows} == expected
    assert spending.total == expected["DF"] + expected["DI"]
    assert (spending.label, receipts.label) == ("Expenditure", "Recettes")
    top = level(result, "chapitre", None, own_rules=False, lang="en")
    assert top.node_id is None and [row.id for row in top.rows] == ["D", "R"]
    assert top.total == sum(expected.values())
    chapter = level(result, "chapitre", "DF.012", own_rules=False, lang="en")
    assert chapter.path == [("D", "Expenditure"), ("DF", spending.rows[0].label)]
    assert chapter.is_leaf
    assert chapter.total == independent_sums.by_chapter(MONTREUIL_2018, "DF")["012"]


def test_labels_and_paths_of_an_authoritys_own_tree(montreuil_2018, rule_sets) -> None:
    result = through_json(result_of(aggregate(montreuil_2018, rule_sets["montreuil"])))
    top = level(result, "rdfi", None, own_rules=True, lang="en")
    assert top.tree_label == "Receipts and expenditure by section"
    assert top.rows[0].has_children and top.rows[0].id == "DF"
    operating = level(result, "rdfi", "DF", own_rules=True, lang="fr")
    assert operating.label == "Dépenses de fonctionnement" and operating.path == []
    assert sum(row.amount for row in operating.rows) == operating.total
    staff = level(result, "rdfi", "DF.personnel", own_rules=True, lang="en")
    assert staff.is_leaf and staff.path == [("DF", "Operating expenditure")]
    assert staff.parts()[0].amount == staff.total == result.find("rdfi", "DF.personnel").amount


def test_unknown_ids_fall_back_to_the_default_tree_and_first_level(
    montreuil_2018, rule_sets
) -> None:
    defaults = result_of(aggregate(montreuil_2018, rule_sets["default"]))
    shown = level(defaults, "no-such-tree", "no-such-node", own_rules=False, lang="en")
    assert (shown.tree_id, shown.node_id) == ("fonction", None)
    assert [tree for tree, _ in shown.trees] == ["fonction", "chapitre"]
    own = result_of(aggregate(montreuil_2018, rule_sets["montreuil"]))
    assert level(own, None, None, own_rules=True, lang="en").tree_id == "rdfi"
    assert level(Result(trees=[]), None, None, own_rules=False, lang="en") is None


def leaf_lines(aggregated: Any, tree_id: str, node_id: str) -> list[ResultShare]:
    """What the engine counted in a leaf, largest first: the oracle of the stored lines."""
    node = aggregated.trees[tree_id].node(node_id) if tree_id in aggregated.trees else None
    if node is None or not node.is_leaf:
        return []
    return sorted(map(ResultShare.of, node.shares), key=lambda s: (-s.amount, s.line.nature))


def test_a_leafs_lines_add_up_to_it_largest_first(montreuil_2018, rule_sets) -> None:
    aggregated = aggregate(montreuil_2018, rule_sets["montreuil"], "rdfi")
    leaf = result_of(aggregated).find("rdfi", "DF.personnel")
    lines = stored_leaf_lines(leaf_lines_to_json(aggregated), "rdfi", "DF.personnel")
    assert lines and sum(share.amount for share in lines) == leaf.amount
    assert [s.amount for s in lines] == sorted((s.amount for s in lines), reverse=True)
    assert all(s.line.nature.startswith("64") or s.line.chapter == "012" for s in lines)
    stored = leaf_lines_to_json(aggregated)
    assert stored_leaf_lines(stored, "rdfi", "DF") == []  # a branch has no lines of its own


def split_line(montreuil_2018, rules: RuleSet) -> RuleSet:
    """``rules`` with one operating expenditure line split between two leaves."""
    line = next(
        entry.entry
        for entry in aggregate(montreuil_2018, rules).lines
        if entry.entry.rdfi == "DF" and entry.entry.amount > 100
    )
    half = (line.amount / 2).quantize(Decimal("0.01"))
    year = montreuil_2018.header.exer
    shares = [("DF.personnel", half), ("DF.autres", line.amount - half)]
    corrections = [
        Correction(year, line.cod_rd, line.nature, line.fonction, amount, leaf, "rdfi")
        for leaf, amount in shares
    ]
    return replace(rules, corrections=corrections)


@pytest.mark.parametrize("rules", ["default", "montreuil", "gironde", "split"])
def test_the_stored_leaf_lines_give_what_a_live_aggregation_gives(
    montreuil_2018, rule_sets, rules: str
) -> None:
    """What reads show of a leaf's lines, and the API's ``lines=true`` and CSV, come from
    the lines stored with the aggregation: the same as aggregating the document again
    (Gironde's rules split lines between leaves)."""
    chosen = split_line(montreuil_2018, rule_sets["montreuil"]) if rules == "split" else None
    aggregated = aggregate(montreuil_2018, chosen or rule_sets[rules])
    splits = [n for t in aggregated.trees.values() for n in t.walk() if n.split_shares]
    assert len(splits) == (2 if rules == "split" else 0)
    stored = through_json(result_of(aggregated))
    lines = json.loads(json.dumps(leaf_lines_to_json(aggregated)))
    full = stored.with_leaf_lines(lines)
    assert json.loads(json.dumps(export_dict(full))) == json.loads(
        json.dumps(result_to_dict(aggregated, with_lines=True))
    )
    assert export_csv(full) == result_to_csv(aggregated)
    leaves = [(t.tree_id, n.id) for t in aggregated.trees.values() for n in t.walk() if n.is_leaf]
    assert any(leaf_lines(aggregated, *leaf) for leaf in leaves)
    for leaf in leaves:
        assert stored_leaf_lines(lines, *leaf) == leaf_lines(aggregated, *leaf), leaf
    assert stored_leaf_lines(lines, "no-such-tree", "x") == []
    with pytest.raises(ValueError, match="budget-lines/1"):
        stored.with_leaf_lines({"lines": []})


def test_the_french_form_of_earlier_versions_is_refused(montreuil_2018, rule_sets) -> None:
    french = result_to_dict(aggregate(montreuil_2018, rule_sets["default"]), with_lines=False)
    with pytest.raises(ValueError, match="budget-result/2"):
        Result.from_json(french)
