"""CSV files that people open in a spreadsheet: a cell that starts like a formula is
shown as text, so a crafted label (from a document or a rule set) cannot run one.

The CSV exports of the pages (explorer, budget page, comparison, annex tables) go through
:func:`safe_rows`. The published data files (SCDL, lines, stored annex tables) and the
API keep the values exactly: the SCDL files must stay valid against their schemas, and
programs read them as data.

Every CSV download also comes as « CSV (Excel) » (``?format=excel``, :func:`csv_download`):
a French Excel opens a standard CSV in one column with amounts as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response

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


# -- « CSV (Excel) »: the same file for a spreadsheet set up in French ------------------
EXCEL = "excel"
"""``?format=excel`` asks any CSV download of the extension for its Excel variant."""
BOM = "\ufeff"
"""Excel reads a CSV as UTF-8 only when it starts with this mark (else as Windows-1252)."""
DECIMAL = re.compile(r"[+-]?\d+\.\d+")
IDENTIFIERS = ("id", "parent", "noeud", "nature", "fonction", "article", "chapitre", "compte")
"""Columns of codes: a code is never turned into a number, even one that looks like one."""


def _identifier(column: str) -> bool:
    name = column.lower()
    return name in IDENTIFIERS or name.startswith("cod") or "siret" in name or name.endswith("_id")


def excel_cell(value: str, column: str = "") -> str:
    """``1234,56`` for ``1234.56`` (a number to a French Excel: comma, no thousands
    separator); text kept, a formula-looking one made text (:func:`safe_cell`)."""
    if DECIMAL.fullmatch(value) and not _identifier(column):
        return value.replace(".", ",")
    return str(safe_cell(value))


def excel_csv(standard: str | bytes) -> bytes:
    """The Excel variant of a standard CSV (``,``, decimal point): the same columns and
    rows, separated by ``;``, decimal comma, UTF-8 with a BOM, CRLF line ends; cells with
    ``;``, quotes or line breaks quoted. Built from the standard file, so both always say
    the same."""
    text = standard.decode("utf-8-sig") if isinstance(standard, bytes) else standard
    reader = csv.reader(io.StringIO(text.removeprefix(BOM), newline=""))
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header: list[str] = []
    for number, row in enumerate(reader):
        if number == 0:
            header = row
            writer.writerow([str(safe_cell(name)) for name in row])
            continue
        names = header + [""] * (len(row) - len(header))
        writer.writerow([excel_cell(cell, name) for cell, name in zip(row, names, strict=False)])
    return (BOM + out.getvalue()).encode("utf-8")


def wants_excel(args: Mapping[str, Any]) -> bool:
    return args.get("format") == EXCEL


def excel_name(filename: str) -> str:
    """``budget-excel.csv`` for ``budget.csv``: both variants can sit in one folder."""
    stem, dot, suffix = filename.rpartition(".")
    return f"{stem}-{EXCEL}.{suffix}" if dot else f"{filename}-{EXCEL}"


def csv_download(standard: str | bytes, filename: str, excel: bool) -> Response:
    """A CSV download: the standard file, or its « CSV (Excel) » variant (``excel``)."""
    body = excel_csv(standard) if excel else standard
    response = Response(body, content_type="text/csv; charset=utf-8")
    name = excel_name(filename) if excel else filename
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
