"""Geometry of the server-rendered SVG charts; the SVG itself is written by templates (so
labels are escaped like any page text):

- the document explorer's horizontal bars, one per row, its width proportional to the
  largest absolute amount (``budget/explorer/snippets/chart.html``);
- stacked vertical bars, a category's parts over the years, and grouped horizontal bars,
  several series per category (``budget/explorer/page/snippets/stacked_chart.html`` and
  ``grouped_chart.html``). Series differ by colour *and* texture, carry a number key and
  a legend, so colour is never the only way to tell them apart.

The charts are drawn for phones as for desktops: no viewBox scales them down, positions
across are percentages of the chart's width and text is written in CSS pixels, so labels
stay at their size on a 390 px screen (long labels wrap on two lines). Negative amounts
are drawn as negative: left of the zero line (horizontal bars), below it (vertical bars).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from ckan.plugins import toolkit as tk

from ..docbudg.figures.evolution import Stack
from ..docbudg.figures.execution import Execution
from ..docbudg.figures.indicator_table import Indicators
from ..docbudg.figures.levels import Level
from . import compare, palette

WIDTH = 720
"""The widest a chart is drawn (CSS pixels); narrower screens draw it narrower."""
LABEL_LINE = 16
LABEL_HEIGHT = 18
BAR_HEIGHT = 16
ROW_GAP = 12
PLOT = 72.0
"""The share of the chart's width (%) the bars take; the rest is for their amounts."""
LABEL_CHARS = 80
LINE_CHARS = 38
"""Characters per label line: 38 at 13 px fit the narrowest phone (320 px)."""
LABEL_LINES = 2


@dataclass
class Bar:
    id: str
    label: str
    short_label: str
    amount: Decimal
    y: int
    x: float
    """Where the bar starts, in % of the chart's width."""
    width: float
    """In % of the chart's width."""
    lines: list[str]
    text_x: float
    """Where its amount is written (%), 6 px after it."""
    colour: str = palette.POSITIVE

    @property
    def bar_y(self) -> int:
        return self.y + len(self.lines) * LABEL_LINE + 4


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    bar_height: int = BAR_HEIGHT
    label_height: int = LABEL_HEIGHT
    zero: float | None = None
    """The zero line (%), drawn when some amount is negative."""
    line_height: int = LABEL_LINE


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    """A label that fits the chart; the full one stays in the table and the bar's title."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def wrap(label: str, width: int = LINE_CHARS, lines: int = LABEL_LINES) -> list[str]:
    """The label on at most ``lines`` lines of ``width`` characters (the last one cut
    with an ellipsis): SVG text does not wrap by itself."""
    found = textwrap.wrap(label, width) or [""]
    if len(found) <= lines:
        return found
    return [*found[: lines - 1], shorten(" ".join(found[lines - 1 :]), width)]


@dataclass(frozen=True)
class Scale:
    """Horizontal bars from zero: amounts to percentages of the chart's width."""

    low: Decimal
    span: Decimal

    @classmethod
    def of(cls, amounts: list[Decimal]) -> Scale:
        low = min([Decimal(0), *amounts])
        high = max([Decimal(0), *amounts])
        return cls(low, (high - low) or Decimal(1))

    def at(self, amount: Decimal) -> float:
        return round(float((amount - self.low) / self.span) * PLOT, 2)

    def bar(self, amount: Decimal) -> tuple[float, float]:
        """Where the bar of ``amount`` starts and how wide it is (%, at least a sliver)."""
        start = self.at(min(amount, Decimal(0)))
        return start, max(round(self.at(max(amount, Decimal(0))) - start, 2), 0.2)

    @property
    def zero(self) -> float | None:
        return self.at(Decimal(0)) if self.low < 0 else None


def bar_chart(rows: list[tuple[str, str, Decimal]]) -> Chart:
    """Bars for (id, label, amount) rows; a negative amount extends left of zero."""
    scale = Scale.of([amount for _, _, amount in rows])
    bars, y = [], 0
    for row_id, label, amount in rows:
        x, width = scale.bar(amount)
        lines = wrap(label)
        text_x = x + width if amount >= 0 else scale.at(Decimal(0))
        colour = palette.NEGATIVE if amount < 0 else palette.POSITIVE
        bar = Bar(row_id, label, shorten(label), amount, y, x, width, lines, text_x, colour)
        bars.append(bar)
        y = bar.bar_y + BAR_HEIGHT + ROW_GAP
    return Chart(WIDTH, max(y, 1), bars, zero=scale.zero)


def level_chart(level: Level) -> Chart:
    """The chart of an explorer level's rows."""
    return bar_chart([(row.id, row.label, row.amount) for row in level.rows])


# --- several series: patterns, stacked and grouped bars ------------------------------------

PALETTE = palette.SERIES
"""Okabe and Ito's colours, told apart by people with any colour vision deficiency (defined
once, in the stylesheet: see ``palette``)."""
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
    mark: str = ""
    """What names the series on the chart (its number, or its official code)."""


LEGEND_ROW = 22
LEGEND_COLUMN = 360
LEGEND_CHARS = 40
"""A legend entry's characters: one column of them fits a phone."""


def legend(
    items: list[tuple[str, str]], top: int, columns: int = 1, marks: list[str] | None = None
) -> list[LegendItem]:
    """Legend entries for (id, label) series, in ``columns`` columns from ``top``, marked
    ``marks`` (else numbered 1, 2…)."""
    found = styles(len(items))
    shown = marks or [str(style.number) for style in found]
    rows = -(-len(items) // columns)
    return [
        LegendItem(
            found[i],
            series_id,
            label,
            shorten(label, LEGEND_CHARS),
            (i // rows) * LEGEND_COLUMN if rows else 0,
            top + (i % rows) * LEGEND_ROW if rows else top,
            shown[i],
        )
        for i, (series_id, label) in enumerate(items)
    ]


def legend_height(count: int, columns: int = 1) -> int:
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
    mark: str = ""


@dataclass
class StackColumn:
    key: int
    label: str
    x: float
    """Where the bar starts, in % of the chart's width."""
    width: float
    total: Decimal
    total_y: int
    segments: list[Segment]

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass
class Tick:
    amount: Decimal
    y: int


@dataclass
class StackedChart:
    width: int
    height: int
    plot_left: float
    """Where the plot begins (%): the axis amounts are written left of it."""
    plot_right: float
    plot_top: int
    baseline: int
    axis_y: int
    columns: list[StackColumn]
    ticks: list[Tick]
    legend: list[LegendItem]


STACK_PLOT_LEFT = 20.0
"""In %: room for the axis amounts (about 64 px on the narrowest phone)."""
STACK_PLOT_TOP = 34
STACK_PLOT_HEIGHT = 220
STACK_BAR_SHARE = 0.6
NUMBER_MIN_HEIGHT = 14
STAGGER = 14
"""Every other total is written at least this much above both its neighbours' totals
(a line of chart text), so that neighbours never overlap on a phone, whatever the heights
of their bars."""


def stacked_chart(
    columns: list[tuple[int, str]],
    series: list[tuple[str, str, dict[int, Decimal]]],
    totals: dict[int, Decimal] | None = None,
    marks: list[str] | None = None,
) -> StackedChart:
    """Vertical bars, one per (key, label) column, stacked from the (id, label, values by
    column key) series: positive parts upwards from zero, negative ones downwards; parts
    named by ``marks`` (else numbered 1, 2…)."""
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

    plot_right = 99.0
    slot = (plot_right - STACK_PLOT_LEFT) / max(len(columns), 1)
    bar = round(slot * STACK_BAR_SHARE, 2)
    found = styles(len(series))
    shown = marks or [str(style.number) for style in found]
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
                    style,
                    series_id,
                    series_label,
                    amount,
                    y0,
                    height,
                    height >= NUMBER_MIN_HEIGHT,
                    shown[style.index],
                )
            )
        x = round(STACK_PLOT_LEFT + slot * i + (slot - bar) / 2, 2)
        total = (totals or {}).get(key, up + down)
        drawn.append(StackColumn(key, label, x, bar, total, y(up) - 4, segments))
    for i in range(1, len(drawn), 2):
        neighbours = [drawn[j].total_y for j in (i - 1, i + 1) if j < len(drawn)]
        drawn[i].total_y = min(drawn[i].total_y, *(n - STAGGER for n in neighbours))
    axis_y = STACK_PLOT_TOP + STACK_PLOT_HEIGHT
    legend_top = axis_y + 40
    items = legend([(s[0], s[1]) for s in series], legend_top, marks=marks)
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
    x: float
    """Where the bar starts, in % of the chart's width."""
    width: float
    text_x: float
    """Where its amount is written (%), 6 px after it."""


@dataclass
class Group:
    id: str
    label: str
    short_label: str
    y: int
    bars: list[GroupBar]
    lines: list[str]


@dataclass
class GroupedChart:
    width: int
    height: int
    groups: list[Group]
    legend: list[LegendItem]
    bar_height: int = 14
    label_height: int = LABEL_HEIGHT
    zero: float | None = None
    """The zero line (%), drawn when some amount is negative."""
    line_height: int = LABEL_LINE


GROUP_BAR = 14
GROUP_GAP = 4
GROUP_SPACING = 14


def grouped_chart(
    groups: list[tuple[str, str]],
    series: list[tuple[str, str]],
    values: list[list[Decimal | None]],
) -> GroupedChart:
    """Horizontal bars: for each (id, label) group, one bar per (short label, label)
    series; ``values[group][series]`` (None: no figure), a negative one left of zero. The
    legend comes first."""
    items = legend([(short, label) for short, label in series], 0)
    top = legend_height(len(series)) + 8
    scale = Scale.of([v for row in values for v in row if v is not None])
    found = styles(len(series))
    drawn = []
    step = GROUP_BAR + GROUP_GAP
    for (group_id, label), row in zip(groups, values, strict=True):
        lines = wrap(label)
        bars_top = top + len(lines) * LABEL_LINE + 4
        bars = []
        for i, (style, amount) in enumerate(zip(found, row, strict=True)):
            x, width = scale.bar(amount) if amount is not None else (scale.at(Decimal(0)), 0.0)
            text_x = x + width if amount is None or amount >= 0 else scale.at(Decimal(0))
            bars.append(
                GroupBar(style, series[i][0], amount, bars_top + i * step, x, width, text_x)
            )
        drawn.append(Group(group_id, label, shorten(label), top, bars, lines))
        top = bars_top + len(series) * step + GROUP_SPACING
    return GroupedChart(WIDTH, top, drawn, items, GROUP_BAR, zero=scale.zero)


# --- the charts of the budget and comparison pages -----------------------------------------


def stack_chart(stack: Stack) -> StackedChart:
    """A category's parts over the years."""
    return stacked_chart(
        [(year, str(year)) for year in stack.years],
        [(s.id, s.label, s.values) for s in stack.series],
        stack.totals,
        stack.marks,
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
    """The compared documents side by side, per category, in euros or per inhabitant
    (``comparison.unit``), then each reference group's median; bars carry the legend's
    number, the legend a short name (the list and the table above name them in full)."""
    inhabitant = comparison.unit == "inhabitant"
    series = [(f"{i}.", column.short) for i, column in enumerate(comparison.columns, start=1)]
    values = [list(row.per_inhabitant if inhabitant else row.amounts) for row in comparison.rows]
    groups = comparison.references
    for n, group in enumerate(groups, start=1):  # M1., M2.: one per reference group
        series.append((tk._("M.") if len(groups) == 1 else f"M{n}.", group.short))
        for row, drawn in zip(comparison.rows, values, strict=True):
            median, median_head = compare.reference_of(comparison, "categories", row.id, group)
            drawn.append(median_head if inhabitant else median)
    return grouped_chart([(row.id, row.label) for row in comparison.rows], series, values)


SAVINGS = ("epargne_brute", "epargne_nette")


def indicators_chart(found: Indicators) -> GroupedChart | None:
    """Gross and net savings year by year; None before any indicator is computed."""
    rows = {row.key: row for row in found.rows if row.key in SAVINGS}
    years = [(i, column) for i, column in enumerate(found.columns) if column.values is not None]
    if not years or len(rows) != len(SAVINGS):
        return None
    # Numbered like the comparison's documents: the bars write "1. €22.1M", the legend
    # names the figure (its full name would not fit beside a bar on a phone).
    return grouped_chart(
        [(str(column.year), column.words) for _, column in years],
        [(f"{i}.", rows[key].label) for i, key in enumerate(SAVINGS, start=1)],
        [[rows[key].values[i] for key in SAVINGS] for i, _ in years],
    )
