"""CSV files that people open in a spreadsheet: a cell that starts like a formula is
shown as text, so a crafted label (from a document or a rule set) cannot run one.

The CSV exports of the pages (explorer, budget page, comparison, annex tables) go through
:func:`safe_rows`. The published data files (SCDL, lines, stored annex tables) and the
API keep the values exactly: the SCDL files must stay valid against their schemas, and
programs read them as data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What spreadsheets take for the start of a formula (OWASP "CSV injection")."""
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    """``'=HYPERLINK(…)`` for ``=HYPERLINK(…)``; numbers (``-12.50``) stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{key: safe_cell(value) for key, value in row.items()} for row in rows]
