"""Exports of an (anonymised) budget document: SCDL budget, SCDL subventions, lines.

    result = export(doc, "scdl-budget", "csv")        # plan found from the header
    result.data, result.rows, result.skipped, result.notes

Callers must anonymise first (``pipeline.process`` does): exporters copy annex texts.
Each exporter builds a :class:`~.table.Table`; :func:`export` renders it as CSV or JSON.
A document that lacks what a format needs raises :class:`~.table.ExportError`
(:class:`~.table.NothingToExport` when there is simply nothing, e.g. no subsidies annex).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..messages import Message
from ..model import BudgetDocument
from ..nomenclature import Plan
from . import lines, scdl_budget, scdl_subventions
from .line_info import find_export_plan
from .table import (
    FORMATS,
    MEDIA_TYPES,
    ExportError,
    NothingToExport,
    SkippedRow,
    Table,
    render,
)

Builder = Callable[[BudgetDocument, "Plan | None"], Table]
BUILDERS: dict[str, Builder] = {
    scdl_budget.NAME: scdl_budget.build,
    scdl_subventions.NAME: scdl_subventions.build,
    lines.NAME: lines.build,
}
EXPORT_NAMES = tuple(BUILDERS)

__all__ = [
    "EXPORT_NAMES",
    "FORMATS",
    "ExportError",
    "ExportResult",
    "NothingToExport",
    "SkippedRow",
    "Table",
    "build_table",
    "export",
    "find_export_plan",
]


@dataclass(frozen=True)
class ExportResult:
    name: str
    format: str
    data: bytes
    rows: int
    skipped: tuple[SkippedRow, ...] = ()
    notes: tuple[Message, ...] = field(default=())

    @classmethod
    def from_table(cls, table: Table, fmt: str) -> ExportResult:
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; expected one of {FORMATS}")
        return cls(
            name=table.name,
            format=fmt,
            data=render(table, fmt),
            rows=len(table.rows),
            skipped=tuple(table.skipped),
            notes=tuple(table.notes),
        )

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def filename_suffix(self) -> str:
        """``scdl-budget.csv``: appended to the document's name by callers."""
        return f"{self.name}.{self.format}"

    def summary(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "export": self.name,
            "format": self.format,
            "rows": self.rows,
            "skipped": [row.as_dict(lang) for row in self.skipped],
            "notes": [note.text(lang) for note in self.notes],
        }


def build_table(
    doc: BudgetDocument, name: str, *, plan: Plan | None = None, plans_dir: str | Path | None = None
) -> Table:
    """The export's rows; ``plan`` defaults to the document's (merged N-1/N+1) plan."""
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown export {name!r}; expected one of {EXPORT_NAMES}") from None
    if plan is None:
        plan = find_export_plan(doc, plans_dir)
    return builder(doc, plan)


def export(
    doc: BudgetDocument,
    name: str,
    fmt: str = "csv",
    *,
    plan: Plan | None = None,
    plans_dir: str | Path | None = None,
) -> ExportResult:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {FORMATS}")
    return ExportResult.from_table(build_table(doc, name, plan=plan, plans_dir=plans_dir), fmt)
