"""Voted against realised for one year, at one level, with the execution rate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .combination import REALISED, VOTED, Basis
from .levels import Level, level


@dataclass
class ExecutionRow:
    id: str
    label: str
    voted: Decimal | None
    realised: Decimal | None
    rate: Decimal | None = None
    """Realised ÷ voted (the execution rate), when both are known and voted is not nil."""


@dataclass
class Execution:
    """Voted against realised for one year, at the level shown. Voted is the credits
    voted after the year's latest decision (``combination``): the whole year's budget,
    so the rate means something even when the budget primitif is not on the portal."""

    year: int
    rows: list[ExecutionRow]
    voted_total: Decimal
    realised_total: Decimal


def execution(voted: Basis, realised: Basis, shown: Level, lang: str) -> Execution:
    """The parts of the level shown, voted and realised side by side (matched by id;
    parts nil on both sides are left out)."""
    rows: dict[str, ExecutionRow] = {}
    for kind, basis in ((VOTED, voted), (REALISED, realised)):
        found = level(basis.result, shown.tree_id, shown.node_id, basis.own_rules, lang)
        if found is None or found.tree_id != shown.tree_id or found.node_id != shown.node_id:
            continue
        for part in found.parts():
            row = rows.setdefault(part.id, ExecutionRow(part.id, part.label, None, None))
            setattr(row, kind, part.amount)

    def total(kind: str) -> Decimal:
        return sum((getattr(r, kind) or Decimal(0) for r in rows.values()), Decimal(0))

    kept = [row for row in rows.values() if row.voted or row.realised]
    for row in kept:
        if row.voted and row.realised is not None:
            row.rate = row.realised / row.voted
    return Execution(voted.year, kept, total(VOTED), total(REALISED))
