"""The savings cascade of one document as the steps of a waterfall chart.

From real operating receipts down to net savings, each balance of the cascade
(:data:`.analysis.CASCADE`) is a bar standing on zero, and what is taken away between two
balances is a bar hanging from the first to the second:

RRF → − DRF without interest → épargne de gestion → − intérêts → épargne brute
→ − capital repaid → épargne nette.

A balance below zero (Montreuil 2018: épargne nette −4,116,419.22 €) stays below zero.
The steps are read from the stored figures (``analysis.compute``), in euros or per
inhabitant (its ``par_habitant``): nothing is added up again but the operating spending
without interest, ``drf`` − ``interets_dette``. The geometry belongs to whoever draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..messages import Message
from .analysis import LABELS

BALANCE, CHANGE = "balance", "change"
ZERO = Decimal(0)
SPENDING = "drf_hors_interets"
"""The step taken away from RRF: real operating spending without the debt interest."""
NEEDED = (
    "rrf",
    "drf",
    "interets_dette",
    "epargne_gestion",
    "epargne_brute",
    "remboursement_capital",
    "epargne_nette",
)

STEP_LABELS: dict[str, Message] = {
    **{key: LABELS[key] for key in NEEDED},
    SPENDING: Message(
        "Dépenses réelles de fonctionnement hors intérêts de la dette",
        "Real operating spending without debt interest",
    ),
}
SHORT_LABELS: dict[str, Message] = {
    "rrf": Message("Recettes réelles de fonctionnement", "Real operating receipts"),
    SPENDING: Message("Dépenses hors intérêts", "Spending without interest"),
    "epargne_gestion": Message("Épargne de gestion", "Operating surplus"),
    "interets_dette": Message("Intérêts de la dette", "Debt interest"),
    "epargne_brute": Message("Épargne brute", "Gross savings"),
    "remboursement_capital": Message("Capital remboursé", "Capital repaid"),
    "epargne_nette": Message("Épargne nette", "Net savings"),
}
"""What the chart writes under each bar (the full label is its tooltip and the table's)."""


@dataclass(frozen=True)
class Step:
    """One bar: a balance (from zero to ``amount``), or a change (``amount`` < 0 when
    taken away) drawn from the balance before it (``start``) to the one after (``end``)."""

    key: str
    kind: str
    amount: Decimal
    start: Decimal
    end: Decimal

    @property
    def balance(self) -> bool:
        return self.kind == BALANCE

    def label(self, lang: str) -> str:
        return STEP_LABELS[self.key].text(lang)

    def short_label(self, lang: str) -> str:
        return SHORT_LABELS[self.key].text(lang)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def steps(figures: Mapping[str, Any] | None) -> list[Step] | None:
    """The seven steps of the cascade from stored figures (the document's amounts, or
    its ``par_habitant``); None when one of them is missing."""
    values = {key: _decimal((figures or {}).get(key)) for key in NEEDED}
    if any(value is None for value in values.values()):
        return None
    found: dict[str, Decimal] = {k: v for k, v in values.items() if v is not None}
    rrf, operating = found["rrf"], found["epargne_gestion"]
    gross, net = found["epargne_brute"], found["epargne_nette"]
    return [
        Step("rrf", BALANCE, rrf, ZERO, rrf),
        Step(SPENDING, CHANGE, found["interets_dette"] - found["drf"], rrf, operating),
        Step("epargne_gestion", BALANCE, operating, ZERO, operating),
        Step("interets_dette", CHANGE, -found["interets_dette"], operating, gross),
        Step("epargne_brute", BALANCE, gross, ZERO, gross),
        Step("remboursement_capital", CHANGE, -found["remboursement_capital"], gross, net),
        Step("epargne_nette", BALANCE, net, ZERO, net),
    ]
