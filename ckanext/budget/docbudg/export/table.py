"""Tables produced by the exporters, and their rendering as CSV or JSON bytes.

Every exporter builds a :class:`Table` of text cells; rendering is shared so that all
exports follow the same conventions: UTF-8 without BOM, comma separator, RFC 4180
quoting, amounts with two decimals and a ``.`` separator (as the SCDL schemas require),
money never passing through ``float``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

from ..errors import BudgetDocError
from ..messages import Message

CENT = Decimal("0.01")
FORMATS = ("csv", "json")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class ExportError(BudgetDocError):
    """The document lacks what an export format requires (the export is not produced)."""

    code = "export_impossible"
    message = Message(
        "L'export « {export} » ne peut pas être produit : {reason}",
        "The '{export}' export cannot be produced: {reason}",
    )

    def __init__(self, export: str, reason: Message) -> None:
        self.reason = reason
        template = Message(
            *(
                getattr(self.message, lang).replace("{reason}", _escape(reason.text(lang)))
                for lang in ("fr", "en")
            )
        )
        super().__init__(template, export=export)


class NothingToExport(ExportError):
    """The document holds no data for this export (e.g. no subsidies annex)."""

    code = "export_not_applicable"


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@dataclass(frozen=True)
class SkippedRow:
    """A source record left out of an export, and why (never its content)."""

    index: int
    sourceline: int | None
    reason: Message

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {"index": self.index, "line": self.sourceline, "reason": self.reason.text(lang)}


@dataclass
class Table:
    """Rows of text cells in a fixed column order, with what was left out and why."""

    name: str
    fields: tuple[str, ...]
    rows: list[dict[str, str]] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    """Conventions applied to this document (e.g. fields filled by convention)."""
    document: dict[str, Any] = field(default_factory=dict)
    """Header facts written in the JSON envelope."""


def amount(value: Decimal | None) -> str:
    """``1234.50`` from a Decimal; empty for an absent amount; never ``-0.00``."""
    if value is None:
        return ""
    text = str(value)
    if _TWO_PLACES.fullmatch(text) is None or text == "-0.00":
        text = f"{value.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"
        if text == "-0.00":
            text = "0.00"
    return text


_TWO_PLACES = re.compile(r"-?\d+\.\d\d")


def to_csv(table: Table) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.fields)
    cells = itemgetter(*table.fields)
    writer.writerows(map(cells, table.rows))
    return out.getvalue().encode("utf-8")


def to_json(table: Table) -> bytes:
    """``{"document", "fields", "rows"}``; amounts stay decimal strings (exact cents)."""
    payload = {
        "export": table.name,
        "document": table.document,
        "fields": list(table.fields),
        "rows": table.rows,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(table: Table, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(table)
    if fmt == "json":
        return to_json(table)
    raise ValueError(f"unknown export format {fmt!r}")


class RowChecker:
    """Checks cells against a Table Schema's constraints before they are written.

    frictionless is the reference (tests use it) but far too slow to run on every upload;
    this covers the constraints the SCDL schemas use (required, enum, pattern, minLength,
    maxLength, minimum, maximum, date) so an invalid row is reported, not published.
    ``only`` restricts the per-row check to the columns filled from document text; the
    others are built from fixed values and checked once, on the first row.
    """

    def __init__(self, schema: dict[str, Any], only: tuple[str, ...] | None = None) -> None:
        self.missing = frozenset(schema.get("missingValues", [""]))
        self.all_fields = [
            (f["name"], f.get("type", "string"), f.get("constraints", {})) for f in schema["fields"]
        ]
        self.fields = [f for f in self.all_fields if only is None or f[0] in only]
        self.checked = frozenset(
            name for name, ftype, c in self.all_fields if ftype == "date" or set(c) & _CHECKS
        )
        self.patterns = {
            name: re.compile(c["pattern"]) for name, _t, c in self.all_fields if "pattern" in c
        }
        # A verdict depends on the field and its value only; documents repeat both a lot.
        self._verdicts: dict[tuple[str, str], bool] = {}

    def problems(self, row: dict[str, str], *, every_field: bool = False) -> list[str]:
        """Names of the fields whose value breaks a constraint."""
        verdicts = self._verdicts
        if len(verdicts) > MAX_VERDICTS:
            verdicts.clear()
        bad = []
        for field_spec in self.all_fields if every_field else self.fields:
            name = field_spec[0]
            key = (name, row.get(name, ""))
            ok = verdicts.get(key)
            if ok is None:
                ok = verdicts[key] = self._valid(field_spec, key[1])
            if not ok:
                bad.append(name)
        return bad

    def _valid(self, field_spec: tuple[str, str, dict[str, Any]], value: str) -> bool:
        name, ftype, constraints = field_spec
        if value in self.missing:
            return not constraints.get("required")
        return name not in self.checked or self._ok(name, ftype, constraints, value)

    def _ok(self, name: str, ftype: str, constraints: dict[str, Any], value: str) -> bool:
        if "enum" in constraints and value not in constraints["enum"]:
            return False
        if name in self.patterns and not self.patterns[name].fullmatch(value):
            return False
        if len(value) < constraints.get("minLength", 0):
            return False
        if "maxLength" in constraints and len(value) > constraints["maxLength"]:
            return False
        if ftype == "date":
            return _is_date(value)
        if ftype == "number":
            number = Decimal(value)
            if "minimum" in constraints and number < Decimal(str(constraints["minimum"])):
                return False
            if "maximum" in constraints and number > Decimal(str(constraints["maximum"])):
                return False
        return True


MAX_VERDICTS = 100_000
_CHECKS = frozenset(("enum", "pattern", "minLength", "maxLength", "minimum", "maximum"))


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
