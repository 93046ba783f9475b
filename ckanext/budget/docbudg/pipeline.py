"""The one path a document takes: read → anonymise → validate → export.

The CLI and the CKAN layer both call :func:`process`, so a document can never be
exported, or stored, without having been anonymised first. Reader errors
(:class:`~.errors.BudgetDocError`) propagate: a file that cannot be read is rejected.
The original bytes live only inside the reader; what comes out is the anonymised
serialisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .anonymisation import DEFAULT_POLICY, AnonymisationPolicy, AnonymisationReport, anonymise
from .export import FORMATS, ExportError, ExportResult, build_table, find_export_plan
from .messages import default_language
from .model import BudgetDocument, DocumentHeader
from .reader import DEFAULT_LIMITS, Limits, Source, read_document
from .validation import ValidationReport, validate

DEFAULT_FORMATS: dict[str, tuple[str, ...]] = {
    "scdl-budget": ("csv",),
    "scdl-subventions": ("csv",),
    "lines": ("csv", "json"),
}
DEFAULT_EXPORTS = tuple(DEFAULT_FORMATS)


@dataclass
class PipelineResult:
    """Everything produced from one document; nothing here holds unanonymised data."""

    header: DocumentHeader
    anonymised: bytes
    """The anonymised document, serialised in its original encoding."""
    anonymisation: AnonymisationReport
    validation: ValidationReport
    exports: dict[str, ExportResult] = field(default_factory=dict)
    """By ``<name>.<format>``, e.g. ``scdl-budget.csv``, ``lines.json``."""
    export_errors: dict[str, ExportError] = field(default_factory=dict)
    """By export name: why an export was not produced."""
    line_count: int = 0
    detail_line_count: int = 0
    annex_counts: dict[str, int] = field(default_factory=dict)
    document: BudgetDocument | None = None
    """The anonymised document itself, only with ``keep_document=True``."""

    @property
    def status(self) -> str:
        return self.validation.status

    def summary(self, lang: str | None = None) -> dict[str, Any]:
        """A JSON-able account of what happened (no document content beyond the header)."""
        lang = lang or default_language()
        header = self.header
        return {
            "siret": header.id_etab or header.id_coll,
            "name": header.libelle_coll,
            "budget": header.libelle_etab,
            "exer": header.exer,
            "stage": header.nat_dec,
            "nomenclature": header.nomenclature,
            "status": self.status,
            "lines": self.line_count,
            "detail_lines": self.detail_line_count,
            "annexes": self.annex_counts,
            "validation": self.validation.counts(),
            "anonymisation": self.anonymisation.as_dict(),
            "exports": {key: result.summary(lang) for key, result in self.exports.items()},
            "export_errors": {
                name: {"code": error.code, "message": error.text(lang)}
                for name, error in self.export_errors.items()
            },
        }


def _requested(exports: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``{"lines": ("csv", "json")}`` from names (default formats) or ``name.format``."""
    wanted: dict[str, list[str]] = {}
    for item in exports:
        name, _, fmt = item.partition(".")
        if name not in DEFAULT_FORMATS:
            raise ValueError(f"unknown export {name!r}; expected one of {DEFAULT_EXPORTS}")
        if fmt and fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; expected one of {FORMATS}")
        formats = (fmt,) if fmt else DEFAULT_FORMATS[name]
        wanted.setdefault(name, [])
        wanted[name].extend(f for f in formats if f not in wanted[name])
    return {name: tuple(formats) for name, formats in wanted.items()}


def run_exports(
    doc: BudgetDocument,
    exports: Iterable[str] = DEFAULT_EXPORTS,
    *,
    plans_dir: str | Path | None = None,
) -> tuple[dict[str, ExportResult], dict[str, ExportError]]:
    """Build each export once and render it in each requested format."""
    results: dict[str, ExportResult] = {}
    failures: dict[str, ExportError] = {}
    wanted = _requested(exports)
    if not wanted:
        return results, failures
    plan = find_export_plan(doc, plans_dir)
    for name, formats in wanted.items():
        try:
            table = build_table(doc, name, plan=plan)
        except ExportError as error:
            failures[name] = error
            continue
        for fmt in formats:
            results[f"{name}.{fmt}"] = ExportResult.from_table(table, fmt)
    return results, failures


def process(
    source: Source,
    *,
    policy: AnonymisationPolicy = DEFAULT_POLICY,
    limits: Limits = DEFAULT_LIMITS,
    plans_dir: str | Path | None = None,
    exports: Iterable[str] = DEFAULT_EXPORTS,
    keep_document: bool = False,
) -> PipelineResult:
    """Read, anonymise, validate and export one document.

    ``exports`` takes export names (``scdl-budget``, ``scdl-subventions``, ``lines``:
    default formats) or ``name.format`` (``lines.json``); ``()`` for none.
    Raises :class:`~.errors.BudgetDocError` when the source is not a readable document.
    """
    wanted = tuple(exports)
    _requested(wanted)  # reject an unknown export before doing any work
    doc = read_document(source, limits)
    anonymisation = anonymise(doc, policy)
    # Serialised before validation and exports build their Python objects: a lower peak.
    anonymised = doc.to_bytes()
    validation = validate(doc, plans_dir=plans_dir)
    produced, failures = run_exports(doc, wanted, plans_dir=plans_dir)
    return PipelineResult(
        header=doc.header,
        anonymised=anonymised,
        anonymisation=anonymisation,
        validation=validation,
        exports=produced,
        export_errors=failures,
        line_count=len(doc.lines),
        detail_line_count=len(doc.detail_lines),
        annex_counts=doc.annex_blocks(),
        document=doc if keep_document else None,
    )
