"""The donut's marks: official function codes (0 to 9) where the groups are functions,
ranks where they are nature groups, letters beside codes (never mistaken for one)."""

from decimal import Decimal

from ckanext.budget.docbudg.figures.groups import GroupShare
from ckanext.budget.explorer.donut import donut


def _group(key: str, amount: str) -> GroupShare:
    return GroupShare(key, key, "", Decimal(amount), None)


def test_functions_carry_their_official_code() -> None:
    chart = donut([_group("0", "50"), _group("2", "30"), _group("9", "20")])
    assert [s.number for s in chart.slices] == ["0", "2", "9"]


def test_a_group_without_code_beside_functions_gets_a_letter() -> None:
    chart = donut([_group("0", "50"), _group("non-ventile", "30"), _group("3", "20")])
    assert [s.number for s in chart.slices] == ["0", "a", "3"]


def test_nature_groups_are_numbered_from_one() -> None:
    chart = donut([_group("impots", "50"), _group("dotations", "30")])
    assert [s.number for s in chart.slices] == ["1", "2"]
