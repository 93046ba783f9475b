"""Geometry of the server-rendered SVG charts; the SVG itself is written by templates (so
labels are escaped like any page text):

- the document explorer's horizontal bars, one per row, its width proportional to the
  largest absolute amount (``budget/explorer/snippets/chart.html``);
- stacked vertical bars, a category's parts over the years, and grouped horizontal bars,
  several series per category (``budget/explorer/page/snippets/stacked_chart.html`` and
  ``grouped_chart.html``). Series differ by colour *and* texture, carry a number key and
  a legend, so colour is never the only way to tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from ckan.plugins import toolkit as tk

from ..docbudg.figures.evolution import Stack
from ..docbudg.figures.execution import Execution
from ..docbudg.figures.indicator_table import Indicators
from ..docbudg.figures.levels import Level
from . import compare

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


# --- several series: patterns, stacked and grouped bars ------------------------------------

PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#777777")
"""Okabe and Ito's colours, told apart by people with any colour vision deficiency."""
TEXTURES = (
    "",
    "M-2,2 L2,-2 M0,8 L8,0 M6,10 L10,6",
    "M0,4 H8",
    "M3.5,4 h1",
    "M-2,6 L2,10 M0,0 L8,8 M6,-2 L10,2",
    "M4,0 V8",
    "M0,4 H8 M4,0 V8",
    "M0,0 L8,8 M0,8 L8,0",
)
"""Pattern tiles (8×8 SVG paths drawn over the colour), so series differ by more than
colour; a number key repeats it on the bars and in the legend."""


@dataclass(frozen=True)
class Style:
    """How a series is filled: the SVG pattern ``{chart id}-p{index}``."""

    index: int
    colour: str
    texture: str

    @property
    def number(self) -> int:
        return self.index + 1


def styles(count: int) -> list[Style]:
    """A distinct colour and texture pair for each of ``count`` series."""
    return [
        Style(i, PALETTE[i % len(PALETTE)], TEXTURES[(i + i // len(PALETTE)) % len(TEXTURES)])
        for i in range(count)
    ]


@dataclass
class LegendItem:
    style: Style
    id: str
    label: str
    short_label: str
    x: int
    y: int


LEGEND_ROW = 22
LEGEND_COLUMN = 360
LEGEND_CHARS = 44


def legend(items: list[tuple[str, str]], top: int, columns: int = 2) -> list[LegendItem]:
    """Legend entries for (id, label) series, in ``columns`` columns from ``top``."""
    found = styles(len(items))
    rows = -(-len(items) // columns)
    return [
        LegendItem(
            found[i],
            series_id,
            label,
            shorten(label, LEGEND_CHARS),
            (i // rows) * LEGEND_COLUMN if rows else 0,
            top + (i % rows) * LEGEND_ROW if rows else top,
        )
        for i, (series_id, label) in enumerate(items)
    ]


def legend_height(count: int, columns: int = 2) -> int:
    return -(-count // columns) * LEGEND_ROW


def nice_ticks(low: Decimal, high: Decimal, count: int = 4) -> list[Decimal]:
    """Round axis values from ``low`` to ``high`` (steps of 1, 2, 2.5 or 5 × 10ⁿ)."""
    span = high - low
    if span <= 0:
        return [Decimal(0)]
    raw = span / count
    power = Decimal(10) ** (raw.adjusted())
    step = next(
        power * m
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), 10)
        if power * m >= raw
    )
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    ticks, value = [], first
    while value <= high + step / 2:
        if value >= low - step / 2:
            ticks.append(value)
        value += step
    return ticks


@dataclass
class Segment:
    style: Style
    id: str
    label: str
    amount: Decimal
    y: int
    height: int
    show_number: bool


@dataclass
class StackColumn:
    key: int
    label: str
    x: int
    width: int
    total: Decimal
    total_y: int
    segments: list[Segment]


@dataclass
class Tick:
    amount: Decimal
    y: int


@dataclass
class StackedChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    baseline: int
    axis_y: int
    columns: list[StackColumn]
    ticks: list[Tick]
    legend: list[LegendItem]


STACK_PLOT_LEFT = 84
STACK_PLOT_TOP = 18
STACK_PLOT_HEIGHT = 220
STACK_BAR_MAX = 64
NUMBER_MIN_HEIGHT = 14


def stacked_chart(
    columns: list[tuple[int, str]],
    series: list[tuple[str, str, dict[int, Decimal]]],
    totals: dict[int, Decimal] | None = None,
) -> StackedChart:
    """Vertical bars, one per (key, label) column, stacked from the (id, label, values by
    column key) series: positive parts upwards from zero, negative ones downwards."""
    ups = [
        sum((max(v.get(k, Decimal(0)), Decimal(0)) for _, _, v in series), Decimal(0))
        for k, _ in columns
    ]
    downs = [
        sum((min(v.get(k, Decimal(0)), Decimal(0)) for _, _, v in series), Decimal(0))
        for k, _ in columns
    ]
    ticks = nice_ticks(min([Decimal(0), *downs]), max([Decimal(0), *ups]))
    top = max(ticks[-1], *ups, Decimal(0))
    bottom = min(ticks[0], *downs, Decimal(0))
    span = (top - bottom) or Decimal(1)

    def y(amount: Decimal) -> int:
        return STACK_PLOT_TOP + int((top - amount) / span * STACK_PLOT_HEIGHT)

    plot_right = WIDTH - 8
    slot = (plot_right - STACK_PLOT_LEFT) / max(len(columns), 1)
    bar = int(min(STACK_BAR_MAX, slot * 0.6))
    found = styles(len(series))
    drawn = []
    for i, (key, label) in enumerate(columns):
        up = down = Decimal(0)
        segments = []
        for style, (series_id, series_label, values) in zip(found, series, strict=True):
            amount = values.get(key)
            if not amount:
                continue
            start, up, down = (up, up + amount, down) if amount > 0 else (down, up, down + amount)
            end = start + amount
            y0, y1 = sorted((y(start), y(end)))
            height = max(y1 - y0, 1)
            segments.append(
                Segment(
                    style, series_id, series_label, amount, y0, height, height >= NUMBER_MIN_HEIGHT
                )
            )
        x = int(STACK_PLOT_LEFT + slot * i + (slot - bar) / 2)
        total = (totals or {}).get(key, up + down)
        drawn.append(StackColumn(key, label, x, bar, total, y(up) - 4, segments))
    axis_y = STACK_PLOT_TOP + STACK_PLOT_HEIGHT
    legend_top = axis_y + 40
    items = legend([(s[0], s[1]) for s in series], legend_top)
    return StackedChart(
        width=WIDTH,
        height=legend_top + legend_height(len(series)),
        plot_left=STACK_PLOT_LEFT,
        plot_right=plot_right,
        plot_top=STACK_PLOT_TOP,
        baseline=y(Decimal(0)),
        axis_y=axis_y,
        columns=drawn,
        ticks=[Tick(t, y(t)) for t in ticks],
        legend=items,
    )


@dataclass
class GroupBar:
    style: Style
    short_label: str
    amount: Decimal | None
    y: int
    width: int


@dataclass
class Group:
    id: str
    label: str
    short_label: str
    y: int
    bars: list[GroupBar]


@dataclass
class GroupedChart:
    width: int
    height: int
    groups: list[Group]
    legend: list[LegendItem]
    bar_height: int = 14
    label_height: int = LABEL_HEIGHT


GROUP_BAR = 14
GROUP_GAP = 4
GROUP_SPACING = 14


def grouped_chart(
    groups: list[tuple[str, str]],
    series: list[tuple[str, str]],
    values: list[list[Decimal | None]],
) -> GroupedChart:
    """Horizontal bars: for each (id, label) group, one bar per (short label, label)
    series; ``values[group][series]`` (None: no figure). The legend comes first."""
    items = legend([(short, label) for short, label in series], 0)
    top = legend_height(len(series)) + 8
    largest = max((abs(v) for row in values for v in row if v is not None), default=Decimal(0))
    found = styles(len(series))
    drawn = []
    step = GROUP_BAR + GROUP_GAP
    for (group_id, label), row in zip(groups, values, strict=True):
        bars = []
        for i, (style, amount) in enumerate(zip(found, row, strict=True)):
            width = int(abs(amount) / largest * BAR_MAX) if largest and amount else 0
            bars.append(
                GroupBar(style, series[i][0], amount, top + LABEL_HEIGHT + i * step, max(width, 1))
            )
        drawn.append(Group(group_id, label, shorten(label), top, bars))
        top += LABEL_HEIGHT + len(series) * step + GROUP_SPACING
    return GroupedChart(WIDTH, top, drawn, items, GROUP_BAR)


# --- the charts of the budget and comparison pages -----------------------------------------


def stack_chart(stack: Stack) -> StackedChart:
    """A category's parts over the years."""
    return stacked_chart(
        [(year, str(year)) for year in stack.years],
        [(s.id, s.label, s.values) for s in stack.series],
        stack.totals,
    )


def execution_chart(execution: Execution) -> GroupedChart:
    """Voted and realised side by side, per category."""
    voted, realised = tk._("Voted"), tk._("Realised")
    return grouped_chart(
        [(row.id, row.label) for row in execution.rows],
        [(voted, voted), (realised, realised)],
        [[row.voted, row.realised] for row in execution.rows],
    )


def comparison_chart(comparison: compare.Comparison) -> GroupedChart:
    """The compared documents side by side, per category; bars carry the legend's number."""
    return grouped_chart(
        [(row.id, row.label) for row in comparison.rows],
        [(f"{i}.", column.heading) for i, column in enumerate(comparison.columns, start=1)],
        [row.amounts for row in comparison.rows],
    )


SAVINGS = ("epargne_brute", "epargne_nette")


def indicators_chart(found: Indicators) -> GroupedChart | None:
    """Gross and net savings year by year; None before any indicator is computed."""
    rows = {row.key: row for row in found.rows if row.key in SAVINGS}
    years = [(i, column) for i, column in enumerate(found.columns) if column.values is not None]
    if not years or len(rows) != len(SAVINGS):
        return None
    return grouped_chart(
        [(str(column.year), column.words) for _, column in years],
        [(rows[key].label, rows[key].label) for key in SAVINGS],
        [[rows[key].values[i] for key in SAVINGS] for i, _ in years],
    )
