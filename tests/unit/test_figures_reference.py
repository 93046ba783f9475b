"""The reference group of a comparison: OFGL population strata, the median, who is a
member, and the median of each category of a level."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest

from ckanext.budget.docbudg.figures import reference
from ckanext.budget.docbudg.figures.levels import Level, Row
from ckanext.budget.docbudg.figures.reference import Member

D = Decimal


@pytest.mark.parametrize(
    ("population", "key"),
    [
        (1, "moins-500"),
        (499, "moins-500"),
        (500, "500-2000"),
        (1_999, "500-2000"),
        (2_000, "2000-3500"),
        (3_446, "2000-3500"),
        (3_500, "3500-10000"),
        (9_999, "3500-10000"),
        (10_000, "10000-20000"),
        (20_000, "20000-50000"),
        (49_999, "20000-50000"),
        (50_000, "50000-100000"),
        (99_999, "50000-100000"),
        (100_000, "plus-100000"),
        (2_100_000, "plus-100000"),
    ],
)
def test_strata_are_the_ofgl_ones(population: int, key: str) -> None:
    found = reference.stratum(population)
    assert found is not None and found.key == key


@pytest.mark.parametrize("population", [None, 0, -5])
def test_an_unknown_population_has_no_stratum(population: int | None) -> None:
    assert reference.stratum(population) is None


def test_strata_cover_every_population_once() -> None:
    bounds = [(s.low, s.high) for s in reference.STRATA]
    assert bounds[0][0] == 0 and bounds[-1][1] is None
    assert all(a[1] == b[0] for a, b in pairwise(bounds))


def test_median_odd_even_and_unknown() -> None:
    assert reference.median([D(3), D(1), D(2)]) == D("2.00")
    assert reference.median([D(4), D(1), D(2), D(10)]) == D("3.00")
    assert reference.median([D("1.005"), None]) == D("1.01")  # half up, to the cent
    assert reference.median([None, None]) is None
    assert reference.median([]) is None
    # a median, not a mean: one giant does not move it
    assert reference.median([D(10), D(11), D(10_000_000)]) == D("11.00")


def test_medians_per_inhabitant_is_the_median_of_ratios() -> None:
    amounts = [D(1000), D(3000), D(100_000)]
    populations = [10, 20, 2000]
    # ratios 100, 150, 50: median 100 (the ratio of medians would be 3000 / 20 = 150)
    assert reference.medians(amounts, populations) == (D("3000.00"), D("100.00"))


def test_members_same_stratum_same_norm_other_authorities_once() -> None:
    me = Member("siret-me", 60_000, "M57")
    candidates = [
        Member("a", 55_000, "M57"),
        Member("a", 56_000, "M57"),  # same authority again: counted once
        Member("b", 99_999, "M57"),
        Member("c", 100_000, "M57"),  # another stratum
        Member("d", 70_000, "M14"),  # another norm
        Member("e", None, "M57"),  # population unknown
        Member("siret-me", 60_000, "M57"),  # itself
        Member("f", 51_000, "M57"),
    ]
    assert reference.members(me, candidates) == [0, 2, 7]
    assert reference.members(me, candidates, excluded=["f"]) == [0, 2]
    assert reference.members(Member("x", None, "M57"), candidates) == []


def test_group_label_names_class_norm_and_count() -> None:
    stratum = reference.stratum(60_000)
    assert stratum is not None
    group = reference.Group(stratum, "M57", 3)
    assert group.label.text("fr") == (
        "Médiane des communes de 50\u202f000 à 100\u202f000 habitants du portail, M57 (n = 3)"
    )
    assert group.label.text("en") == (
        "Median of the portal's municipalities with 50,000 to 100,000 inhabitants, M57 (n = 3)"
    )
    small = reference.stratum(10)
    large = reference.stratum(10**6)
    assert small is not None and large is not None
    assert small.words.text("fr") == "de moins de 500 habitants"
    assert large.words.text("en") == "with over 100,000 inhabitants"


def test_norm_family() -> None:
    assert reference.norm_family("M57-M57_A") == "M57"
    assert reference.norm_family("M14-M14_COM_SUP3500") == "M14"
    assert reference.norm_family(None) is None and reference.norm_family("") is None


def _level(total: str, parts: dict[str, str]) -> Level:
    rows = [Row(k, k, D(v), False) for k, v in parts.items()]
    return Level("fonction", "Par fonction", [], None, "Par fonction", D(total), [], rows)


def test_summarise_counts_a_missing_category_as_zero() -> None:
    levels = [
        _level("300", {"1": "100", "2": "200"}),
        _level("500", {"1": "500"}),
        _level("900", {"1": "300", "2": "600"}),
    ]
    found = reference.summarise(levels, [10, 10, 100], ["1", "2"])
    assert found.rows["1"] == (D("300.00"), D("10.00"))  # 10, 50, 3 per head
    assert found.rows["2"] == (D("200.00"), D("6.00"))  # 20, 0, 6 per head
    assert found.total == (D("500.00"), D("30.00"))  # 30, 50, 9


def test_each_class_norm_year_and_stage_has_its_own_group() -> None:
    """Documents of different classes or norms each get their group; documents with
    the same key share one; a document without population gets none."""
    keys = [
        reference.key(3_446, "M14", "2021", "CA"),
        reference.key(110_000, "M57", "2021", "CA"),
        reference.key(2_500, "M14", "2021", "CA"),
        reference.key(None, "M14", "2021", "CA"),
        reference.key(3_000, "M57", "2021", "CA"),
        reference.key(3_000, "M14", "2020", "CA"),
    ]
    assert keys[3] is None
    assert reference.shared(keys) == [[0, 2], [1], [4], [5]]
    assert reference.shared([None]) == []


def test_whose_reference_in_both_languages() -> None:
    assert reference.of_documents([2]).text("fr") == "document 2"
    assert reference.of_documents([1, 3]).text("en") == "documents 1 and 3"
    assert reference.of_documents([1, 2, 4]).text("fr") == "documents 1, 2 et 4"
