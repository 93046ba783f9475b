"""A budget's documents combined year by year (``docbudg.figures.combination``), their
evolution, voted against realised and the key indicators table, equal to sums computed
here from the XML."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg import indicators
from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset
from ckanext.budget.docbudg.figures.big_numbers import big_numbers
from ckanext.budget.docbudg.figures.combination import (
    REALISED,
    VOTED,
    Basis,
    Choice,
    Source,
    bases,
    choose,
    combine,
    indicator_document,
)
from ckanext.budget.docbudg.figures.evolution import evolution
from ckanext.budget.docbudg.figures.execution import execution
from ckanext.budget.docbudg.figures.indicator_table import (
    IndicatorColumn,
    current,
    indicator_table,
)
from ckanext.budget.docbudg.figures.levels import level
from ckanext.budget.docbudg.figures.results import Result, result_of
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums
from .independent_sums import SAMPLES

CRACH = SAMPLES / "crach"
MONTREUIL = sorted((SAMPLES / "montreuil").glob("*.xml.gz"))
DAY = datetime.timedelta(days=1)
T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def stored(path: Path) -> Result:
    doc = read_document(path)
    return result_of(aggregate(doc, default_ruleset(doc)), big_numbers(doc))


def source(id: str, year: int | None, stage: str | None, decision: str = "", day: int = 0):
    return Source(id, year, stage, decision or None, T0 + day * DAY)


def test_the_account_is_the_cfu_when_a_year_has_both_and_an_upload_counts_once() -> None:
    chosen = choose(
        [
            source("ca", 2021, "CA"),
            source("cfu", 2021, "CFU"),
            source("ca-2022-first", 2022, "CA", day=1),
            source("ca-2022-again", 2022, "CA", day=2),
            source("dm2-old", 2022, "DM", "2", day=1),
            source("dm2", 2022, "DM", "2", day=3),
            source("dm1", 2022, "DM", "1"),
            source("bs", 2022, "BS"),
            source("bp", 2022, "BP", day=5),
            source("unknown-stage", 2022, None),
            source("no-year", None, "CA"),
        ]
    )
    assert sorted(chosen) == [2021, 2022]
    assert chosen[2021] == {REALISED: Choice(2021, REALISED, ("cfu",))}
    assert chosen[2022][REALISED].document_ids == ("ca-2022-again",)
    voted = chosen[2022][VOTED]
    assert voted.document_ids == ("bp", "bs", "dm1", "dm2")
    assert voted.primitive == "bp"
    amendments_only = choose([source("dm", 2021, "DM", "1")])[2021][VOTED]
    assert amendments_only.primitive is None


def test_voted_figures_add_up_the_amending_budgets_category_by_category() -> None:
    paths = [CRACH / "Crach_principal_DM2_2021.xml", CRACH / "Crach_principal_DM3_2021.xml"]
    combined = combine([stored(p) for p in paths])
    assert combined.document is None and all(t.checks is None for t in combined.trees)
    operating = combined.find("chapitre", "DF")
    expected: dict[str, Decimal] = {}
    for path in paths:
        for chapter, amount in independent_sums.by_chapter(path, "DF").items():
            expected[chapter] = expected.get(chapter, Decimal(0)) + amount
    assert any(expected.values()), "the amending budgets move money between chapters"
    found = {c.id.removeprefix("DF."): c.amount for c in operating.children if c.amount}
    assert found == {k: v for k, v in expected.items() if v}
    assert operating.amount == sum(expected.values())
    numbers = [independent_sums.big_numbers(p) for p in paths]
    for key in ("RF", "DF", "RI", "DI"):
        assert combined.big_numbers[key] == sum((n.get(key, 0) for n in numbers), Decimal(0))


def test_bases_keep_the_chosen_documents_with_a_result() -> None:
    results = {"ca": stored(CRACH / "Crach_principal_CA_2021.xml")}
    chosen = choose([source("ca", 2021, "CA"), source("dm", 2021, "DM", "2")])
    found = bases(chosen, results, own_rules={"ca"})
    assert list(found[2021]) == [REALISED]  # the DM has no stored result yet
    assert found[2021][REALISED].result is results["ca"] and found[2021][REALISED].own_rules
    assert indicator_document(found[2021]) == "ca"
    voted = bases(
        choose([source("bp", 2022, "BP"), source("dm", 2022, "DM", "1")]),
        {
            "bp": results["ca"],
            "dm": results["ca"],
        },
    )
    assert indicator_document(voted[2022]) == "bp"


def test_evolution_gives_each_year_its_own_figures() -> None:
    by_year = {2016 + i: stored(path) for i, path in enumerate(MONTREUIL[:3])}
    (stack,) = evolution(by_year, "chapitre", ["D"], "en")
    assert (stack.id, stack.label, stack.years) == ("D", "Expenditure", [2016, 2017, 2018])
    for year, path in zip(stack.years, MONTREUIL[:3], strict=True):
        expected = independent_sums.big_numbers(path)
        assert {s.id: s.values[year] for s in stack.series} == {
            "DF": expected["DF"],
            "DI": expected["DI"],
        }
        assert stack.totals[year] == expected["DF"] + expected["DI"]
    (leaf,) = evolution(by_year, "chapitre", ["DF.012"], "en")
    assert [s.id for s in leaf.series] == ["DF.012"]  # a leaf is its own only part
    (missing,) = evolution(by_year, "chapitre", ["no-such-category"], "en")
    assert missing.years == [] and missing.series == []


def test_voted_against_realised_gives_the_rate_only_with_a_budget_primitif() -> None:
    primitive = CRACH / "Crach_principal_BP_2022.xml"
    account = CRACH / "Crach_principal_CA_2021.xml"
    voted = Basis(Choice(2022, VOTED, ("bp",), primitive="bp"), stored(primitive), False)
    realised = Basis(Choice(2022, REALISED, ("ca",)), stored(account), False)
    shown = level(realised.result, "chapitre", "D", False, "en")
    found = execution(voted, realised, shown, "en")
    planned, spent = independent_sums.big_numbers(primitive), independent_sums.big_numbers(account)
    rows = {row.id: row for row in found.rows}
    assert set(rows) == {"DF", "DI"}
    for key in ("DF", "DI"):
        assert (rows[key].voted, rows[key].realised) == (planned[key], spent[key])
        assert rows[key].rate == spent[key] / planned[key]
    assert found.voted_total == planned["DF"] + planned["DI"] and found.with_primitive
    amendments = Basis(Choice(2022, VOTED, ("bp",)), voted.result, False)
    assert all(row.rate is None for row in execution(amendments, realised, shown, "en").rows)


def test_the_indicators_table_reads_the_stored_indicators_of_this_version() -> None:
    values = indicators.compute(read_document(MONTREUIL[2]))
    assert current(values) is values
    assert current({**values, "version": indicators.VERSION + 1}) is None
    table = indicator_table(
        [IndicatorColumn(2017, "2017", None), IndicatorColumn(2018, "2018", values)], "fr"
    )
    rows = {row.key: row for row in table.rows}
    assert rows["rrf"].values == [None, Decimal(values["rrf"])]
    assert rows["population"].kind == "population" and rows["population"].values[1] == (
        independent_sums.population(MONTREUIL[2])
    )
    per_head = rows["par_habitant.epargne_nette"]
    assert per_head.per_inhabitant and per_head.values[1] == Decimal(
        values["par_habitant"]["epargne_nette"]
    )
    assert table.computed and rows["rrf"].label.startswith("Recettes réelles")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_labels_follow_the_language(lang: str) -> None:
    (stack,) = evolution(
        {2021: stored(CRACH / "Crach_principal_CA_2021.xml")}, "chapitre", ["R"], lang
    )
    assert stack.label == {"fr": "Recettes", "en": "Receipts"}[lang]
