"""The charts' colours, read from the one place they are defined: the custom properties
of ``assets/explorer.css`` (``--budget-series-1``…, ``--budget-positive``…), so the SVG
drawn on the server and the stylesheet never disagree."""

from __future__ import annotations

import re
from pathlib import Path

STYLESHEET = Path(__file__).resolve().parent.parent / "assets" / "explorer.css"
_PROPERTY = re.compile(r"--budget-([a-z]+(?:-\d+)?)\s*:\s*(#[0-9a-fA-F]{3,8})\s*;")


def read(path: Path = STYLESHEET) -> dict[str, str]:
    """Every ``--budget-<name>: #colour;`` of the stylesheet, by name; fails (at import)
    when the stylesheet defines no series colour, rather than drawing uncoloured charts."""
    found = dict(_PROPERTY.findall(path.read_text(encoding="utf-8")))
    if "series-1" not in found:
        raise RuntimeError(f"{path} defines no --budget-series-1 colour")
    return found


COLOURS = read()
SERIES: tuple[str, ...] = tuple(
    COLOURS[name]
    for name in sorted(
        (n for n in COLOURS if n.startswith("series-")), key=lambda n: int(n.split("-")[1])
    )
)
"""The series colours, in the order series take them."""
POSITIVE = COLOURS.get("positive", SERIES[0])
NEGATIVE = COLOURS.get("negative", SERIES[-1])
INK = COLOURS.get("ink", "#1a1a1a")
