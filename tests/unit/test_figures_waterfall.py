"""The waterfall of the savings cascade: balances stand on zero, what is taken away hangs
from one balance to the next, a negative balance stays negative, and a missing figure
leaves no chart rather than a wrong one."""

from __future__ import annotations

from decimal import Decimal

from ckanext.budget.docbudg.figures.waterfall import BALANCE, CHANGE, steps

FIGURES = {
    "rrf": "100.00",
    "drf": "95.00",
    "interets_dette": "2.00",
    "epargne_gestion": "7.00",
    "epargne_brute": "5.00",
    "remboursement_capital": "8.50",
    "epargne_nette": "-3.50",
}


def test_each_change_hangs_between_two_balances() -> None:
    found = steps(FIGURES)
    assert found is not None
    assert [(s.key, s.kind) for s in found] == [
        ("rrf", BALANCE),
        ("drf_hors_interets", CHANGE),
        ("epargne_gestion", BALANCE),
        ("interets_dette", CHANGE),
        ("epargne_brute", BALANCE),
        ("remboursement_capital", CHANGE),
        ("epargne_nette", BALANCE),
    ]
    for before, change, after in zip(found[:-1:2], found[1::2], found[2::2], strict=True):
        assert (change.start, change.end) == (before.amount, after.amount)
    assert found[1].amount == Decimal("-93.00")  # 95 spent, 2 of them interest
    net = found[-1]
    assert (net.start, net.end, net.amount) == (Decimal(0), Decimal("-3.50"), Decimal("-3.50"))
    assert found[-2].start == Decimal("5.00") and found[-2].end == Decimal("-3.50")


def test_labels_in_both_languages() -> None:
    found = steps(FIGURES)
    assert found is not None
    assert found[1].label("fr") == "Dépenses réelles de fonctionnement hors intérêts de la dette"
    assert found[1].label("en") == "Real operating spending without debt interest"
    assert found[-1].short_label("fr") == "Épargne nette"


def test_a_missing_figure_gives_no_waterfall() -> None:
    assert steps({**FIGURES, "epargne_nette": None}) is None
    assert steps(None) is None
    assert steps({}) is None
