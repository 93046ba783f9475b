"""Geometry of the server-rendered horizontal bar chart: one bar per row, its width
proportional to the largest absolute amount. The SVG itself is written by the template
``budget/explorer/snippets/chart.html`` (so labels are escaped like any page text)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .data import Level

WIDTH = 720
LABEL_HEIGHT = 18
BAR_HEIGHT = 16
ROW_HEIGHT = 44
BAR_MAX = 480
LABEL_CHARS = 80


@dataclass
class Bar:
    id: str
    label: str
    short_label: str
    amount: Decimal
    y: int
    width: int


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    bar_height: int = BAR_HEIGHT
    label_height: int = LABEL_HEIGHT


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    """A label that fits the chart; the full one stays in the table and the bar's title."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bar_chart(rows: list[tuple[str, str, Decimal]]) -> Chart:
    """Bars for (id, label, amount) rows; negative amounts are drawn by their size."""
    largest = max((abs(amount) for _, _, amount in rows), default=Decimal(0))
    bars = []
    for i, (row_id, label, amount) in enumerate(rows):
        width = int(abs(amount) / largest * BAR_MAX) if largest else 0
        bars.append(Bar(row_id, label, shorten(label), amount, i * ROW_HEIGHT, max(width, 1)))
    return Chart(WIDTH, max(len(rows), 1) * ROW_HEIGHT, bars)


def level_chart(level: Level) -> Chart:
    """The chart of an explorer level's rows."""
    return bar_chart([(row.id, row.label, row.amount) for row in level.rows])
