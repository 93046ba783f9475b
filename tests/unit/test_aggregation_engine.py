"""Aggregating real documents: the published Montreuil figures, default partitions, checks."""

from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg.aggregation import (
    Category,
    Correction,
    RuleSet,
    Selection,
    Tree,
    aggregate,
    default_ruleset,
    import_gironde,
    load_ruleset,
)
from ckanext.budget.docbudg.reader import read_document

FIXTURES = Path(__file__).parent.parent / "fixtures"
SAMPLES = FIXTURES / "samples"
RULES = FIXTURES / "rules"
MONTREUIL_2018 = SAMPLES / "montreuil" / "Montreuil_CA_2018.xml.gz"
ALL_SAMPLES = sorted(p for p in SAMPLES.glob("*/*.xml*") if p.parent.name != "invalid")


@pytest.fixture(scope="module")
def montreuil_2018():
    return read_document(MONTREUIL_2018)


def _ruleset(*leaves, selection=None, corrections=()):
    tree = Tree(
        id="t", label="t", categories=[Category(id=i, label=i, formula_text=f) for i, f in leaves]
    )
    return RuleSet(
        id="r",
        label="r",
        selection=selection or Selection(),
        trees=[tree],
        corrections=list(corrections),
    )


def test_montreuil_published_conventions_give_the_published_totals(montreuil_2018):
    result = aggregate(montreuil_2018, load_ruleset(RULES / "montreuil.yaml"))
    tree = result.trees["rdfi"]
    totals = {node.id: node.total for node in tree.nodes}
    assert totals == {
        "DF": Decimal("191602651.45"),
        "DI": Decimal("60181357.57"),
        "RF": Decimal("210345758.09"),
        "RI": Decimal("43108809.73"),
    }
    assert tree.checks.ok
    assert result.amount_field == "MtReal"


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_default_trees_are_complete_partitions_on_every_sample(path):
    doc = read_document(path)
    result = aggregate(doc, default_ruleset(doc))
    assert set(result.trees) == {"fonction", "chapitre"}
    for tree in result.trees.values():
        assert tree.checks.unmatched == []
        assert tree.checks.multiple == []
        assert tree.checks.rdfi_mismatches == {}
        grand_total = sum((node.total for node in tree.nodes), Decimal(0))
        assert grand_total == sum(result.rdfi.values())


def test_default_trees_use_official_labels_and_put_lines_without_function_apart():
    malo = read_document(SAMPLES / "saint-malo" / "SaintMaloAgglo_transport_BP_2022.xml")
    result = aggregate(malo, default_ruleset(malo))
    by_function = result.trees["fonction"]
    assert by_function.node("D.non-ventile").total == result.rdfi["DF"] + result.rdfi["DI"]
    assert result.amount_field == "MtPrev+MtRARPrec"  # a BP: its credits, RAR taken over
    montreuil = read_document(MONTREUIL_2018)
    chapters = aggregate(montreuil, default_ruleset(montreuil)).trees["chapitre"]
    assert chapters.node("DF.012").label.lower().startswith("charges de personnel")
    leaf = chapters.node("DF.012")
    assert leaf.shares and all(s.line.nature_label for s in leaf.shares)


def test_selection_is_overridable(montreuil_2018):
    everything = Selection(operations="tout", exclude_natures=())
    real = aggregate(montreuil_2018, _ruleset(("all", "tout")))
    wide = aggregate(montreuil_2018, _ruleset(("all", "tout"), selection=everything))
    assert len(wide.lines) > len(real.lines)
    ordre = [line for line in wide.lines if line.entry.op_budg == "1"]
    assert ordre and not [line for line in real.lines if line.entry.op_budg == "1"]
    assert {line.entry.nature for line in wide.lines} >= {"002"}


def test_checks_name_unmatched_and_doubly_counted_lines(montreuil_2018):
    result = aggregate(
        montreuil_2018,
        _ruleset(("salaires", "DF ∩ Ch012"), ("charges", "DF ∩ C64"), ("invest", "DI")),
    )
    checks = result.trees["t"].checks
    assert not checks.ok
    assert checks.multiple and all(
        leaves == ["salaires", "charges"] for _, leaves in checks.multiple
    )
    assert {line.entry.rdfi for line in checks.unmatched} == {"DF", "RF", "RI"}
    expected, counted = checks.rdfi["RF"]
    # RRF: the real operating receipts without asset disposals (775, 2,883,490.00)
    assert expected == Decimal("210345758.09") and counted == 0
    assert len(checks.messages()) >= 3


def test_split_lines_assign_exact_shares_and_report_shares_that_do_not_add_up(montreuil_2018):
    line = next(
        found
        for found in aggregate(montreuil_2018, _ruleset(("x", "DF"))).lines
        if found.entry.fonction
    )
    e = line.entry
    half = (e.amount / 2).quantize(Decimal("0.01"))
    rules = [("a", "DF"), ("b", "R"), ("c", "DI")]
    split = [
        Correction(2018, e.cod_rd, e.nature, e.fonction, half, "b"),
        Correction(2018, e.cod_rd, e.nature, e.fonction, e.amount - half, "c"),
    ]
    result = aggregate(montreuil_2018, _ruleset(*rules, corrections=split))
    tree = result.trees["t"]
    assert tree.checks.ok
    assert [s.amount for s in tree.node("b").shares if s.split] == [half]
    # another year's corrections do not apply
    other_year = [
        Correction(2017, c.cod_rd, c.nature, c.fonction, c.amount, c.category) for c in split
    ]
    assert (
        aggregate(montreuil_2018, _ruleset(*rules, corrections=other_year))
        .trees["t"]
        .node("b")
        .total
        == result.rdfi["RF"] + result.rdfi["RI"]
    )
    short = split[:1]
    checks = aggregate(montreuil_2018, _ruleset(*rules, corrections=short)).trees["t"].checks
    assert checks.split_mismatches[0][1] == half
    assert not checks.ok


def test_gironde_rules_compile_on_a_real_document_and_their_overlaps_are_named(montreuil_2018):
    rules = import_gironde(
        RULES / "gironde-description-agregation.json",
        RULES / "gironde-corrections-agregation.csv",
    )
    tree = aggregate(montreuil_2018, rules).trees["gironde"]
    assert tree.checks.empty_leaves == ["DI.2.6", "RF.4.2"]
    # Gironde's own overlaps (rules written for a département, applied to a city) are named
    assert ("DF.4", "DF.6.1.4") in {tuple(leaves) for _, leaves in tree.checks.multiple}
    assert tree.node("RI.6").formula == "RF∩C775"
    assert tree.node("RI.6").total == Decimal("2883490.00")


def _mixes_breakdowns(leaves: list[str]) -> bool:
    return any(x.startswith("DF.1.") for x in leaves) and any(x.startswith("DF.2.") for x in leaves)


def test_gironde_alternative_breakdowns_are_trees_of_their_own(montreuil_2018):
    """DF.1 "par prestations" and DF.2 "par publics" present the same solidarity
    spending twice: imported as two trees, neither counts a line in both."""
    rules = import_gironde(
        RULES / "gironde-description-agregation.json",
        RULES / "gironde-corrections-agregation.csv",
    )
    assert [t.id for t in rules.trees] == ["gironde", "gironde-publics"]
    main, publics = rules.trees
    assert main.find("DF.1") and not main.find("DF.2")
    assert publics.find("DF.2") and not publics.find("DF.1")
    # everything else is the same presentation in both trees
    assert [c.id for c, _ in main.walk() if not c.id.startswith("DF.1")] == [
        c.id for c, _ in publics.walk() if not c.id.startswith("DF.2")
    ]
    result = aggregate(montreuil_2018, rules)
    for tree in result.trees.values():
        assert not [leaves for _, leaves in tree.checks.multiple if _mixes_breakdowns(leaves)]
        assert tree.checks.split_mismatches == []
    # the same two branches side by side in one tree: the check names the double count
    flat = main.find("DF")
    flat.children.insert(1, publics.find("DF.2"))
    side_by_side = aggregate(montreuil_2018, RuleSet(id="x", label="x", trees=[main]))
    pairs = [leaves for _, leaves in side_by_side.trees["gironde"].checks.multiple]
    assert ["DF.1.4", "DF.2.2"] in pairs


def test_split_lines_of_an_alternative_breakdown_apply_to_its_tree_only():
    rules = import_gironde(
        RULES / "gironde-description-agregation.json",
        RULES / "gironde-corrections-agregation.csv",
    )
    # 2012, D, 6451, fonction 50: all of it to DF.1.1.3 "par prestations", all of it to
    # DF.2.4 "par publics"; shared categories (DF.4) apply to both trees.
    trees = {(c.nature, c.category): c.tree for c in rules.corrections if c.exer == 2012}
    assert trees[("6451", "DF.1.1.3")] == "gironde"
    assert trees[("6451", "DF.2.4")] == "gironde-publics"
    assert trees[("6451", "DF.4")] is None
