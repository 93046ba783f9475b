"""Geometry of the waterfall of a year's savings cascade (``docbudg.figures.waterfall``),
in two layouts that the stylesheet swaps by screen width, so that labels stay readable
without scaling them down (``budget/explorer/analysis/snippets/waterfall.html`` writes
the SVG, escaping labels like any page text):

- ``wide``: vertical bars side by side, zero a horizontal line; a balance below zero
  hangs below it;
- ``narrow`` (phones): one row per step, its label and amount written out above a
  horizontal bar, zero a vertical line; a balance below zero extends left of it.

Balances and changes differ by colour (Okabe and Ito's blue and orange, told apart with
any colour vision) *and* texture (changes are hatched), with a legend.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from decimal import Decimal

from .. import settings
from ..docbudg.figures.waterfall import BALANCE, Step
from .chart import nice_ticks

WIDE, NARROW = "wide", "narrow"
ZERO = Decimal(0)

WIDE_WIDTH = 760
WIDE_LEFT = 76
WIDE_RIGHT = WIDE_WIDTH - 8
WIDE_TOP = 44
WIDE_PLOT = 260
WIDE_BELOW = 20
"""Room under the lowest bar for its amount."""
WIDE_LABEL_CHARS = 14
LINE = 14

NARROW_WIDTH = 320
"""Drawn for a phone's width, so that 14 px text stays at least 12 px on screen."""
NARROW_LEFT = 8
NARROW_RIGHT = NARROW_WIDTH - 8
NARROW_TOP = 32
NARROW_ROW = 66
"""A row: the step's label, its amount under it (both would not fit side by side at a
readable size on a phone), then its bar."""
NARROW_BAR = 18


@dataclass
class WaterfallBar:
    key: str
    label: str
    lines: list[str]
    """The short label, wrapped (wide layout) or on one line (narrow layout)."""
    kind: str
    amount: Decimal
    x: int
    y: int
    width: int
    height: int
    text_x: int
    text_y: int
    """Where the bar's amount (and, narrow, its label) is written."""
    anchor: str

    @property
    def balance(self) -> bool:
        return self.kind == BALANCE


@dataclass
class Connector:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class Tick:
    amount: Decimal
    at: int


@dataclass
class Waterfall:
    layout: str
    width: int
    height: int
    zero: int
    """The zero line: its y (wide) or its x (narrow)."""
    plot_start: int
    plot_end: int
    """Where the zero line and the ticks begin and end, across the bars."""
    bars: list[WaterfallBar]
    connectors: list[Connector]
    ticks: list[Tick]
    """Graduations (wide layout)."""
    label_top: int = 0
    """Wide layout: where the labels under the bars begin."""

    @property
    def wide(self) -> bool:
        return self.layout == WIDE


def _bounds(steps: list[Step]) -> tuple[list[Decimal], Decimal, Decimal]:
    values = [v for s in steps for v in (s.start, s.end)]
    low, high = min([ZERO, *values]), max([ZERO, *values])
    ticks = nice_ticks(low, high, 4)
    return ticks, min(ticks[0], low), max(ticks[-1], high)


def wide(steps: list[Step], lang: str) -> Waterfall:
    """Vertical bars: balances from zero, changes from one balance to the next."""
    ticks, bottom, top = _bounds(steps)
    span = (top - bottom) or Decimal(1)

    def y(amount: Decimal) -> int:
        return WIDE_TOP + int((top - amount) / span * WIDE_PLOT)

    slot = (WIDE_RIGHT - WIDE_LEFT) / len(steps)
    width = int(slot * 0.6)
    bars = []
    for i, step in enumerate(steps):
        upper, lower = y(max(step.start, step.end)), y(min(step.start, step.end))
        x = int(WIDE_LEFT + slot * i + (slot - width) / 2)
        below = step.balance and step.amount < 0
        bars.append(
            WaterfallBar(
                step.key,
                step.label(lang),
                textwrap.wrap(step.short_label(lang), WIDE_LABEL_CHARS) or [""],
                step.kind,
                step.amount,
                x,
                upper,
                width,
                max(lower - upper, 1),
                x + width // 2,
                lower + LINE if below else upper - 5,
                "middle",
            )
        )
    connectors = [
        Connector(a.x + a.width, y(step.end), b.x, y(step.end))
        for a, b, step in zip(bars, bars[1:], steps, strict=False)
    ]
    plot_bottom = WIDE_TOP + WIDE_PLOT + WIDE_BELOW
    lines = max(len(bar.lines) for bar in bars)
    return Waterfall(
        WIDE,
        WIDE_WIDTH,
        plot_bottom + 8 + lines * LINE,
        y(ZERO),
        WIDE_LEFT,
        WIDE_RIGHT,
        bars,
        connectors,
        [Tick(t, y(t)) for t in ticks],
        plot_bottom + 8,
    )


def narrow(steps: list[Step], lang: str) -> Waterfall:
    """One row per step: its label and amount, then a horizontal bar (no graduations:
    each row writes its amount)."""
    _, low, high = _bounds(steps)
    span = (high - low) or Decimal(1)

    def x(amount: Decimal) -> int:
        return NARROW_LEFT + int((amount - low) / span * (NARROW_RIGHT - NARROW_LEFT))

    bars = []
    for i, step in enumerate(steps):
        top = NARROW_TOP + i * NARROW_ROW
        left, right = x(min(step.start, step.end)), x(max(step.start, step.end))
        bars.append(
            WaterfallBar(
                step.key,
                step.label(lang),
                [step.short_label(lang)],
                step.kind,
                step.amount,
                left,
                top + 38,
                max(right - left, 1),
                NARROW_BAR,
                NARROW_LEFT,
                top + 14,
                "start",
            )
        )
    connectors = [
        Connector(x(step.end), a.y + a.height, x(step.end), b.y)
        for a, b, step in zip(bars, bars[1:], steps, strict=False)
    ]
    bottom = NARROW_TOP + len(steps) * NARROW_ROW
    return Waterfall(
        NARROW,
        NARROW_WIDTH,
        bottom + 18,
        x(ZERO),
        NARROW_TOP + 16,
        bottom,
        bars,
        connectors,
        [],
    )


def chart(steps: list[Step], layout: str) -> Waterfall:
    """The waterfall of ``steps`` in ``layout`` (``wide`` or ``narrow``), labelled in the
    reader's language."""
    lang = settings.current_language()
    return narrow(steps, lang) if layout == NARROW else wide(steps, lang)
