"""The financial analysis (``docbudg.figures.analysis``) and the conventions it shares with the
big numbers (``docbudg.conventions``), checked year by year against sums made here from
the XML alone (``independent_sums``), never with the core's selection code."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from ckanext.budget.docbudg.aggregation import aggregate
from ckanext.budget.docbudg.aggregation.defaults import default_ruleset
from ckanext.budget.docbudg.figures import analysis
from ckanext.budget.docbudg.figures.big_numbers import BigNumbers, big_numbers
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums
from .independent_sums import SAMPLES

MONTREUIL = {year: SAMPLES / f"montreuil/Montreuil_CA_{year}.xml.gz" for year in range(2016, 2022)}
ZERO = Decimal(0)


counted_lines = cache(independent_sums.counted_lines)
document = cache(read_document)


def _sum(path: Path, keep) -> Decimal:
    return sum((Decimal(line["amount"]) for line in counted_lines(path) if keep(line)), ZERO)


def _debt(nature: str) -> bool:
    excluded = ("165", "166", "16449", "1645", "1688", "169")
    return nature.startswith("16") and not nature.startswith(excluded)


def _expected(path: Path) -> dict[str, Decimal]:
    def key(line):
        return line["CodRD"] + line["section"]

    rrf = _sum(path, lambda line: key(line) == "RF")
    drf = _sum(path, lambda line: key(line) == "DF")
    interest = _sum(path, lambda line: key(line) == "DF" and line["Nature"].startswith("6611"))
    repaid = _sum(path, lambda line: key(line) == "DI" and _debt(line["Nature"]))
    neutral = independent_sums.neutral_operations(path)
    return {
        "rrf": rrf,
        "drf": drf,
        "interets_dette": interest,
        "epargne_gestion": rrf - drf + interest,
        "epargne_brute": rrf - drf,
        "remboursement_capital": repaid,
        "epargne_nette": rrf - drf - repaid,
        "depenses_equipement": _sum(
            path,
            lambda line: (
                key(line) == "DI"
                and line["Nature"][:2] in ("20", "21", "23")
                and not line["Nature"].startswith("204")
            ),
        ),
        "subventions_equipement_versees": _sum(
            path, lambda line: key(line) == "DI" and line["Nature"].startswith("204")
        ),
        "emprunts_nouveaux": _sum(path, lambda line: key(line) == "RI" and _debt(line["Nature"])),
        "cessions": _sum(path, lambda line: line["CodRD"] == "R" and line["Nature"] == "775"),
        "refinancements": neutral.get("refinancements", {}).get("DI", ZERO),
        "tresorerie": neutral.get("tresorerie", {}).get("DI", ZERO),
    }


@pytest.mark.parametrize("year", sorted(MONTREUIL))
def test_the_cascade_of_each_montreuil_year_equals_sums_of_its_lines(year: int) -> None:
    path = MONTREUIL[year]
    result = analysis.compute(document(path))
    for key, amount in _expected(path).items():
        assert Decimal(result[key]) == amount, key
    assert result["nature"] == "realise"


@pytest.mark.parametrize("year", sorted(MONTREUIL))
def test_big_numbers_of_the_analysis_are_the_pages_big_numbers(year: int) -> None:
    """``grands_chiffres`` says exactly what the pages show, and what they left out."""
    path = MONTREUIL[year]
    doc = document(path)
    shown = big_numbers(doc)
    found = analysis.compute(doc)["grands_chiffres"]
    expected = independent_sums.big_numbers(path)
    for name, key in analysis.BIG_NUMBERS.items():
        assert Decimal(found[name]) == shown[key] == expected[key]
    neutral = independent_sums.neutral_operations(path)
    for group, sides in found["operations_neutres"].items():
        assert Decimal(sides["depenses"]) == neutral.get(group, {}).get("DI", ZERO)
        assert Decimal(sides["recettes"]) == neutral.get(group, {}).get("RI", ZERO)


def test_asset_disposals_are_an_investment_receipt_everywhere() -> None:
    """Montreuil 2018 sold assets for 2,883,490.00 €: not an operating receipt in the big
    numbers, the indicators, the default presentation or its checks."""
    path = MONTREUIL[2018]
    doc = document(path)
    disposals = _sum(path, lambda line: line["CodRD"] == "R" and line["Nature"] == "775")
    assert disposals == Decimal("2883490.00")
    operating = _sum(path, lambda line: line["CodRD"] == "R" and line["Nature"][:1] in "67")
    numbers = big_numbers(doc)
    assert numbers["RF"] == operating - disposals == Decimal(analysis.compute(doc)["rrf"])
    chapters = aggregate(doc, default_ruleset(doc)).trees["chapitre"]
    assert chapters.checks.ok
    assert chapters.node("RI.cessions").total == disposals
    assert chapters.node("RF").total == numbers["RF"]
    assert chapters.node("RI").total == numbers["RI"]
    assert (
        chapters.node("RF.77").total
        == _sum(path, lambda line: line["CodRD"] == "R" and line.get("ContNat") == "77") - disposals
    )


def test_refinancing_is_left_out_of_spending_and_receipts_and_shown_apart() -> None:
    """Montreuil 2020 refinanced 50,062,459.53 € of debt (166, both sides)."""
    path = MONTREUIL[2020]
    doc = document(path)
    numbers = big_numbers(doc)
    refinanced = Decimal("50062459.53")
    assert numbers.neutral["refinancements"] == {"DI": refinanced, "RI": refinanced}
    (left_out,) = numbers.left_out("DI", "fr")
    assert left_out.amount == refinanced and "refinancement" in left_out.label
    everything = _sum(path, lambda line: line["CodRD"] + line["section"] == "DI")
    assert numbers["DI"] == everything  # the oracle already leaves 166 out
    for tree in aggregate(doc, default_ruleset(doc)).trees.values():
        assert tree.checks.ok
        spending = next(node for node in tree.nodes if node.id == "D")
        assert spending.total == numbers["DF"] + numbers["DI"]
    again = BigNumbers.stored(numbers.to_json())
    assert again == numbers
    assert BigNumbers.stored({**numbers.to_json(), "conventions": 1}) is None


def test_a_figure_that_cannot_be_computed_is_null_with_its_reason() -> None:
    """Montreuil 2016 gives no population and has no loans nor subsidies annex."""
    result = analysis.compute(document(MONTREUIL[2016]))
    assert result["population"] is None and result["encours_dette"] is None
    assert result["capacite_desendettement"] is None
    assert all(value is None for value in result["par_habitant"].values())
    assert result["raisons"] == {
        "encours_dette": "sans_annexe_dette",
        "capacite_desendettement": "sans_annexe_dette",
        "population": "sans_population",
        "par_habitant": "sans_population",
        "subventions_detaillees": "sans_annexe_concours",
    }
    english = analysis.reasons(result, "en")
    assert "loans annex" in english["encours_dette"]
    assert "annexe des emprunts" in analysis.reasons(result, "fr")["encours_dette"]


def test_published_subsidies_against_accounted_ones() -> None:
    """Subsidies in cash of the CONCOURS annex (in kind left out) against account 6574."""
    path = MONTREUIL[2018]
    root = independent_sums._root(path)
    listed = ZERO
    for record in root.iter():
        if independent_sums._local(record.tag) != "CONCOURS":
            continue
        values = {independent_sums._local(c.tag): c.get("V") or "" for c in record}
        subject = values.get("ObjSubv") or values.get("DenomOuNumSubv") or ""
        if values.get("LibPrestaNat") and values["LibPrestaNat"] != subject:
            continue
        listed += Decimal(values.get("MtSubv") or "0")
    accounted = _sum(path, lambda line: line["CodRD"] == "D" and line["Nature"].startswith("6574"))
    found = analysis.compute(document(path))["subventions_detaillees"]
    assert (Decimal(found["annexe"]), Decimal(found["comptes"])) == (listed, accounted)
    assert Decimal(found["taux"]) == (listed / accounted).quantize(Decimal("0.0001"))


def test_a_budget_without_year_end_capital_has_no_debt_figure_rather_than_zero() -> None:
    """Crach lotissement's BP 2022 lists two own loans with their capital at 1 January
    only: the debt at 31 December is unknown, not 0 €, and so is the repayment capacity."""
    path = SAMPLES / "crach/Crach_lotissement_BP_2022.xml"
    root = independent_sums._root(path)
    own = [
        {independent_sums._local(c.tag): c.get("V") for c in record}
        for record in root.iter()
        if independent_sums._local(record.tag) == "EMPRUNT"
    ]
    own = [loan for loan in own if loan.get("CodTypEmpr") in ("01", "02")]
    assert own and not any(loan.get("MtCapitalRestDu_31_12") for loan in own)
    result = analysis.compute(document(path))
    assert result["encours_dette"] is None and result["capacite_desendettement"] is None
    assert result["raisons"]["encours_dette"] == "sans_capital_31_12"
    assert "1er janvier" in analysis.reasons(result, "fr")["encours_dette"]


def test_a_budget_counts_the_disposals_it_votes_on_024() -> None:
    """A BP votes its asset disposals on chapter 024 (a CA records them on 775)."""
    path = SAMPLES / "crach/Crach_principal_BP_2022.xml"
    voted = Decimal(0)
    for line in independent_sums._root(path).iter():
        if independent_sums._local(line.tag) != "LigneBudget":
            continue
        values = {independent_sums._local(c.tag): c.get("V") for c in line}
        if values.get("CodRD") == "R" and values.get("Nature") in ("024", "775"):
            voted += sum(Decimal(values.get(f) or "0") for f in ("MtPrev", "MtRARPrec"))
    assert voted == Decimal("30000.00")
    result = analysis.compute(document(path))
    assert result["nature"] == "previsionnel"
    assert Decimal(result["cessions"]) == voted
