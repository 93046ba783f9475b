"""The key indicators of a budget over the years: one column per year, one row per
indicator (then per inhabitant), with their definitions (see :mod:`..indicators`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import analysis as core_indicators

KINDS = {"population": "population", "capacite_desendettement": "years"}
"""How a row's values read; any other indicator is an amount of money."""


def current(stored: Any) -> dict[str, Any] | None:
    """Stored indicators (``indicators.compute``) when they follow today's definitions;
    None before they are computed, or when computed by another version of them."""
    if isinstance(stored, dict) and stored.get("version") == core_indicators.VERSION:
        return stored
    return None


@dataclass
class IndicatorColumn:
    year: int
    words: str
    """The document in words (« Compte administratif 2019 »)."""
    values: dict[str, Any] | None
    """The stored indicators of the year's document; None: not computed yet."""


@dataclass
class IndicatorRow:
    key: str
    label: str
    definition: str
    kind: str
    """``money``, ``population`` or ``years``."""
    per_inhabitant: bool
    values: list[Decimal | None]


@dataclass
class Indicators:
    columns: list[IndicatorColumn]
    rows: list[IndicatorRow]
    per_inhabitant_definition: str

    @property
    def computed(self) -> bool:
        return any(column.values is not None for column in self.columns)


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def indicator_table(columns: list[IndicatorColumn], lang: str) -> Indicators:
    """The indicators of these columns, labelled and defined in ``lang``."""
    labels = core_indicators.labels(lang)
    definitions = core_indicators.definitions(lang)
    rows = [
        IndicatorRow(
            key,
            labels[key],
            definitions[key],
            KINDS.get(key, "money"),
            False,
            [_decimal((c.values or {}).get(key)) for c in columns],
        )
        for key in core_indicators.KEYS
    ]
    rows += [
        IndicatorRow(
            f"par_habitant.{key}",
            labels[key],
            "",
            "money",
            True,
            [_decimal(((c.values or {}).get("par_habitant") or {}).get(key)) for c in columns],
        )
        for key in core_indicators.PER_INHABITANT
    ]
    return Indicators(columns, rows, definitions["par_habitant"])
