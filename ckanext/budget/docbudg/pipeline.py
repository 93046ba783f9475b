"""The one path a document takes: read → anonymise → verify → validate → export.

The command line and the portal (upload gate, background job, dry-run check,
re-processing) all call :func:`process` (or :func:`process_any_file` for a file that may
not be a budget document), so a document can never be validated, exported or stored
without having been anonymised and verified first. Reader errors
(:class:`~.errors.BudgetDocError`) propagate: a file that cannot be read is rejected.
What comes out is the published document: the original bytes when the anonymiser
changed nothing (its seal stays true), otherwise the anonymised serialisation, read back
— everything after the anonymiser reads what will be published, nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .anonymisation import DEFAULT_POLICY, AnonymisationPolicy, AnonymisationReport, anonymise
from .anonymisation.verify import verify
from .export import FORMATS, ExportError, ExportResult, build_table, find_export_plan
from .messages import default_language
from .model import BudgetDocument, DocumentHeader
from .reader import DEFAULT_LIMITS, Limits, Loaded, Source, load, parse_bytes
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
    """The published document: the original bytes if nothing was occulted, otherwise the
    anonymised serialisation in the original encoding."""
    anonymisation: AnonymisationReport
    validation: ValidationReport | None = None
    """``None`` until :meth:`complete` ran (see ``process(complete=False)``)."""
    exports: dict[str, ExportResult] = field(default_factory=dict)
    """By ``<name>.<format>``, e.g. ``scdl-budget.csv``, ``lines.json``."""
    export_errors: dict[str, ExportError] = field(default_factory=dict)
    """By export name: why an export was not produced."""
    line_count: int = 0
    detail_line_count: int = 0
    annex_counts: dict[str, int] = field(default_factory=dict)
    document: BudgetDocument | None = None
    """The published document, read back; kept until completed (and after, on request)."""

    @cached_property
    def sha256(self) -> str:
        """Hash of the published bytes: the identity of what is stored."""
        return hashlib.sha256(self.anonymised).hexdigest()

    @property
    def size(self) -> int:
        return len(self.anonymised)

    @property
    def completed(self) -> bool:
        return self.validation is not None

    @property
    def status(self) -> str:
        return self.validation.status if self.validation is not None else "pending"

    def complete(
        self,
        exports: Iterable[str] = DEFAULT_EXPORTS,
        *,
        plans_dir: str | Path | None = None,
        keep_document: bool = True,
    ) -> None:
        """Validate the published document and build its exports."""
        assert self.document is not None, "completed already without keeping the document"
        self.validation = validate(self.document, plans_dir=plans_dir)
        self.exports, self.export_errors = run_exports(self.document, exports, plans_dir=plans_dir)
        if not keep_document:
            self.document = None

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
            "validation": self.validation.counts() if self.validation is not None else None,
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


def _published(
    loaded: Loaded, policy: AnonymisationPolicy, limits: Limits
) -> tuple[BudgetDocument, bytes, AnonymisationReport]:
    """Anonymise, then read back what will be published and verify it."""
    doc = loaded.document
    report = anonymise(doc, policy)
    if report.changed:
        published = doc.to_bytes()
        doc = parse_bytes(published, limits)
    else:
        published = loaded.data
    verify(doc, published, policy, again=report.changed)
    return doc, published, report


def _run(
    loaded: Loaded,
    *,
    policy: AnonymisationPolicy,
    limits: Limits,
    plans_dir: str | Path | None,
    exports: tuple[str, ...],
    complete: bool,
    keep_document: bool,
) -> PipelineResult:
    doc, published, report = _published(loaded, policy, limits)
    del loaded
    result = PipelineResult(
        header=doc.header,
        anonymised=published,
        anonymisation=report,
        line_count=len(doc.lines),
        detail_line_count=len(doc.detail_lines),
        annex_counts=doc.annex_blocks(),
        document=doc,
    )
    if complete:
        result.complete(exports, plans_dir=plans_dir, keep_document=keep_document)
    return result


def process(
    source: Source,
    *,
    policy: AnonymisationPolicy = DEFAULT_POLICY,
    limits: Limits = DEFAULT_LIMITS,
    plans_dir: str | Path | None = None,
    exports: Iterable[str] = DEFAULT_EXPORTS,
    complete: bool = True,
    keep_document: bool = False,
) -> PipelineResult:
    """Read, anonymise, verify, validate and export one document.

    ``exports`` takes export names (``scdl-budget``, ``scdl-subventions``, ``lines``:
    default formats) or ``name.format`` (``lines.json``); ``()`` for none.
    ``complete=False`` stops after the verification (the portal validates and exports
    large documents in a background job: :meth:`PipelineResult.complete`).
    Raises :class:`~.errors.BudgetDocError` when the source is not a readable document.
    """
    exports = tuple(exports)
    _requested(exports)  # refuse an unknown export before reading
    loaded = load(source, limits)
    assert loaded is not None  # only ``any_file`` answers None
    return _run(
        loaded,
        policy=policy,
        limits=limits,
        plans_dir=plans_dir,
        exports=exports,
        complete=complete,
        keep_document=keep_document,
    )


def process_any_file(
    source: Source,
    *,
    policy: AnonymisationPolicy = DEFAULT_POLICY,
    limits: Limits = DEFAULT_LIMITS,
    plans_dir: str | Path | None = None,
    exports: Iterable[str] = DEFAULT_EXPORTS,
    complete: bool = True,
    keep_document: bool = False,
) -> PipelineResult | None:
    """:func:`process` for a file of any kind (an upload): ``None`` when it holds no budget
    document (see ``reader.load``); one it holds, even unreadable, is never ``None``."""
    exports = tuple(exports)
    _requested(exports)  # refuse an unknown export before reading
    loaded = load(source, limits, any_file=True)
    if loaded is None:
        return None
    return _run(
        loaded,
        policy=policy,
        limits=limits,
        plans_dir=plans_dir,
        exports=exports,
        complete=complete,
        keep_document=keep_document,
    )
