"""The server-drawn charts' geometry: one palette, read from the stylesheet; negative
amounts drawn as negative (left of the zero line, below it); labels wrapped for a phone
instead of scaled down."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.explorer import chart, palette


def test_the_palette_is_the_stylesheets() -> None:
    css = palette.STYLESHEET.read_text(encoding="utf-8")
    declared = re.findall(r"--budget-series-\d+:\s*(#[0-9a-f]{6})", css)
    assert len(declared) >= 8
    assert list(chart.PALETTE) == declared
    assert [style.colour for style in chart.styles(3)] == declared[:3]
    # Okabe and Ito's first colours, told apart with any colour vision.
    assert declared[:3] == ["#0072b2", "#e69f00", "#009e73"]


def test_a_stylesheet_without_colours_fails_closed(tmp_path: Path) -> None:
    sheet = tmp_path / "explorer.css"
    sheet.write_text(".budget-page { color: red; }\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="--budget-series-1"):
        palette.read(sheet)


def test_a_negative_bar_extends_left_of_zero() -> None:
    drawn = chart.bar_chart([("a", "Receipts", Decimal(300)), ("b", "Deficit", Decimal(-100))])
    receipts, deficit = drawn.bars
    assert drawn.zero == pytest.approx(chart.PLOT / 4)
    assert receipts.x == pytest.approx(drawn.zero)
    assert receipts.width == pytest.approx(chart.PLOT * 3 / 4)
    assert deficit.x == 0 and deficit.x + deficit.width == pytest.approx(drawn.zero)
    assert deficit.colour == palette.NEGATIVE != receipts.colour


def test_without_a_negative_amount_bars_start_at_the_left_edge() -> None:
    drawn = chart.bar_chart([("a", "A", Decimal(50)), ("b", "B", Decimal(100))])
    assert drawn.zero is None
    assert [(bar.x, bar.width) for bar in drawn.bars] == [(0, chart.PLOT / 2), (0, chart.PLOT)]


def test_long_labels_wrap_on_two_lines_that_fit_a_phone() -> None:
    label = "Aménagement des services urbains et environnement, y compris la voirie communale"
    (bar,) = chart.bar_chart([("a", label, Decimal(1))]).bars
    assert len(bar.lines) == 2
    assert all(len(line) <= chart.LINE_CHARS for line in bar.lines)
    assert bar.lines[-1].endswith("…")
    assert bar.bar_y > bar.y + chart.LABEL_LINE


def test_grouped_bars_draw_negative_savings_below_zero() -> None:
    drawn = chart.grouped_chart(
        [("2020", "2020"), ("2021", "2021")],
        [("Gross", "Gross savings"), ("Net", "Net savings")],
        [[Decimal(200), Decimal(-50)], [Decimal(150), None]],
    )
    assert drawn.zero is not None
    gross, net = drawn.groups[0].bars
    assert gross.x == pytest.approx(drawn.zero)
    assert net.x + net.width == pytest.approx(drawn.zero)
    assert drawn.groups[1].bars[1].amount is None


def test_stacked_bars_hang_negative_parts_below_the_baseline() -> None:
    drawn = chart.stacked_chart(
        [(2020, "2020"), (2021, "2021")],
        [
            ("up", "Up", {2020: Decimal(100), 2021: Decimal(80)}),
            ("down", "Down", {2020: Decimal(-40)}),
        ],
    )
    up, down = drawn.columns[0].segments
    assert up.y + up.height == drawn.baseline
    assert down.y == drawn.baseline and down.height > 0
    assert all(c.x >= 0 and c.x + c.width <= 100 for c in drawn.columns)


def test_neighbouring_totals_never_share_a_line_whatever_the_heights() -> None:
    """Montreuil's spending 2016–2021 (M€): 2017 lower than 2018 by about a line of text,
    where lifting every other total by a fixed step put « 236,5 » on « 251,8 »."""
    totals = [236.6, 236.5, 251.8, 251.5, 249.7, 252.1]
    years = list(range(2016, 2022))
    drawn = chart.stacked_chart(
        [(year, str(year)) for year in years],
        [("s", "Spending", {year: Decimal(str(t)) for year, t in zip(years, totals, strict=True)})],
    )
    heights = [column.total_y for column in drawn.columns]
    for left, right in itertools.pairwise(heights):
        assert abs(left - right) >= chart.STAGGER, heights
    for column in drawn.columns:
        bar_top = min(segment.y for segment in column.segments)
        assert column.total_y <= bar_top - 4  # never inside its own bar
        assert column.total_y >= chart.STAGGER  # inside the drawing
