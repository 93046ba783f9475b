"""Geometry of the server-rendered SVG donut of « Le budget en bref » (where the money
comes from, where it goes); the SVG itself is written by the template
(``budget/explorer/page/snippets/donut.html``), so labels are escaped like any text.

Colours are the explorer's Okabe-Ito series (``palette``: told apart by the common
colour-blindnesses), then greys; each slice carries its mark, repeated in the table
beside it, so colour is never the only way to match a slice to its row. A slice below 0
(possible in a decision) is drawn as nothing: the table gives its amount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ..docbudg.figures.groups import GroupShare
from . import palette

SIZE = 220
"""Width and height of the SVG in CSS pixels (its text is drawn at real size)."""
CENTRE = SIZE / 2
OUTER = 104
INNER = 62
LABEL_RADIUS = (OUTER + INNER) / 2
FONT_SIZE = 14
"""The numbers on slices and the centre's words, in pixels: ≥ 12 px on a phone too, as
the SVG is never drawn smaller than its size (``max-width: none``)."""
MIN_LABELLED = Decimal("0.05")
"""Slices smaller than this share carry no number (too thin): the table has it."""
PALETTE = (*palette.SERIES, "#5e5e5e", "#c8c8c8", "#2b2b2b", "#999999")
"""The explorer's series colours (``palette``), then greys for the functions beyond."""


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(colour: str) -> str:
    """Black or white, whichever contrasts most with the slice (WCAG contrast ratio)."""
    lum = _luminance(colour)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


@dataclass(frozen=True)
class Slice:
    number: str
    """Its mark: the official code of a function (0 to 9); else its rank, or a letter
    beside coded slices (never mistaken for a code)."""
    key: str
    label: str
    amount: Decimal
    share: Decimal | None
    colour: str
    path: str
    """SVG path of the slice; empty for a slice not drawn."""
    label_x: float
    label_y: float
    text_colour: str
    labelled: bool


@dataclass(frozen=True)
class Donut:
    size: int
    font_size: int
    slices: list[Slice]


def _point(angle: float, radius: float) -> tuple[float, float]:
    return CENTRE + radius * math.sin(angle), CENTRE - radius * math.cos(angle)


def _path(start: float, end: float) -> str:
    if end - start >= 2 * math.pi - 1e-9:  # a whole ring: two half arcs
        end = start + 2 * math.pi - 1e-6
    large = 1 if end - start > math.pi else 0
    x1, y1 = _point(start, OUTER)
    x2, y2 = _point(end, OUTER)
    x3, y3 = _point(end, INNER)
    x4, y4 = _point(start, INNER)
    return (
        f"M{x1:.2f},{y1:.2f}A{OUTER},{OUTER} 0 {large} 1 {x2:.2f},{y2:.2f}"
        f"L{x3:.2f},{y3:.2f}A{INNER},{INNER} 0 {large} 0 {x4:.2f},{y4:.2f}Z"
    )


def donut(groups: list[GroupShare]) -> Donut:
    """Slices for the groups in their order, clockwise from the top."""
    drawn = sum((g.amount for g in groups if g.amount > 0), Decimal(0))
    slices = []
    angle = 0.0
    coded = any(g.key.isdigit() for g in groups)
    uncoded = iter("abcdefghijklmnopqrstuvwxyz")
    for number, group in enumerate(groups, start=1):
        colour = PALETTE[(number - 1) % len(PALETTE)]
        mark = group.key if group.key.isdigit() else next(uncoded) if coded else str(number)
        part = group.amount / drawn if drawn > 0 and group.amount > 0 else Decimal(0)
        sweep = float(part) * 2 * math.pi
        x, y = _point(angle + sweep / 2, LABEL_RADIUS)
        slices.append(
            Slice(
                number=mark,
                key=group.key,
                label=group.label,
                amount=group.amount,
                share=group.share,
                colour=colour,
                path=_path(angle, angle + sweep) if sweep > 0 else "",
                label_x=round(x, 1),
                label_y=round(y, 1),
                text_colour=text_colour(colour),
                labelled=part >= MIN_LABELLED,
            )
        )
        angle += sweep
    return Donut(SIZE, FONT_SIZE, slices)
