"""What the pages show of a budget document, built from the stored results.

Presenters pick the user's language for the core library's bilingual texts (findings,
failure reasons, anonymisation summary) and group what templates list; they return codes
(statuses, layers, severities, export names), which templates turn into translated labels
with the ``budget_*`` helpers. Nothing here reads the document itself.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ckan import model

from .. import settings
from ..docbudg.anonymisation import AnonymisationReport
from ..docbudg.figures.big_numbers import BigNumbers
from ..docbudg.figures.combination import REALISED_STAGES
from ..docbudg.model import Stage
from ..docbudg.stage_amounts import amount_words
from ..docbudg.validation.report import LAYERS, SEVERITIES
from . import jobs
from . import model as db
from .labels import dm_number, in_language, stage_label

UNDERWAY = (db.STATUS_PENDING, db.STATUS_RUNNING)
_REPORT_FIELDS = {f.name for f in dataclasses.fields(AnonymisationReport)} - {"paths"}


def pick(text: Any, lang: str | None = None) -> str:
    """A bilingual ``{"fr": …, "en": …}`` value in ``lang`` (a plain string is kept)."""
    if isinstance(text, dict):
        lang = lang or settings.current_language()
        return str(text.get(lang) or text.get("fr") or text.get("en") or "")
    return "" if text is None else str(text)


def anonymisation_summary(report: dict[str, Any] | None, lang: str | None = None) -> str:
    """The anonymisation summary in words (« 7 bénéficiaires personnes physiques occultés
    (8 attributions) ; sceau supprimé »), rebuilt from the stored counts by the core
    library's own wording."""
    if not report:
        return ""
    values = {key: value for key, value in report.items() if key in _REPORT_FIELDS}
    values.setdefault("replacement", "")
    return AnonymisationReport(**values).summary(lang or settings.current_language())


def stage_words(stage: str | None, num_dec: str | None, exercice: int | None, lang: str) -> str:
    """« Décision modificative n° 2 — 2021 » style: the stage and year in words, in
    ``lang`` (the pages' callers give the reader's)."""
    try:
        member = Stage[stage] if stage else None
    except KeyError:
        member = None
    if member is None:
        words = stage or ""
    else:
        with in_language(lang):
            words = stage_label(member)
            if member is Stage.DM and num_dec and num_dec != "0":
                words += " " + dm_number(num_dec)
    return f"{words} {exercice}".strip() if exercice else words


def download_name(resource_name: str | None, suffix: str) -> str:
    """``compte-administratif-2021-budget-principal.scdl-budget.csv``: an ASCII file name
    made from the resource's name, safe in a ``Content-Disposition`` header. The suffix
    may hold rule-set identifiers (``fonction-F.csv``): it is made safe the same way,
    part by part around its dots."""
    stem = _slug(resource_name or "")[:120].strip("-")
    parts = (_slug(part)[:80].strip("-") for part in suffix.split("."))
    return ".".join([stem or "document-budgetaire", *(part for part in parts if part)])


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass
class DocumentView:
    """A processed document as the resource page and the resource list show it."""

    resource_id: str
    status: str
    validation_status: str | None
    reason: str
    anonymisation: str
    collectivite: str | None
    siret: str | None
    budget: str | None
    is_principal: bool | None
    stage: str
    nomenclature: str | None
    lines: int | None
    counts: dict[str, int]
    exports: list[str] = field(default_factory=list)
    missing_exports: list[tuple[str, str]] = field(default_factory=list)
    realised: bool = False
    key_figures: BigNumbers | None = None
    amount_words: str = ""
    """What the key figures count (« Crédits votés après la décision modificative n° 3
    (MtBudgPrec + MtPrev) »)."""
    processed: datetime.datetime | None = None
    """When the document was last processed (shown in the reader's language)."""

    @property
    def badge(self) -> str:
        return badge_word(self.status, self.validation_status)


def badge_word(status: str, validation_status: str | None) -> str:
    """One word for the badge: a processing state, else the validation status."""
    if status == db.STATUS_DONE:
        return validation_status or "valid"
    return status


def document_badge(resource_id: str) -> str | None:
    """The badge word of a resource, or None when it is not a budget document."""
    record = db.get_document(resource_id)
    return None if record is None else badge_word(record.status, record.validation_status)


def document_view(resource_id: str, *, with_figures: bool = True) -> DocumentView | None:
    record = db.get_document(resource_id)
    if record is None:
        return None
    status, status_reason = jobs.shown_status(record)
    lang = settings.current_language()
    report = record.validation_report or {}
    counts = {severity: int(report.get("counts", {}).get(severity, 0)) for severity in SEVERITIES}
    stored_counts = record.counts or {}
    export_errors = stored_counts.get("export_errors") or {}
    view = DocumentView(
        resource_id=record.resource_id,
        status=status,
        validation_status=record.validation_status,
        reason=pick(status_reason, lang) if status == db.STATUS_FAILED else "",
        anonymisation=anonymisation_summary(record.anonymisation_report, lang),
        collectivite=record.collectivite,
        siret=record.siret,
        budget=record.etablissement,
        is_principal=record.is_principal,
        stage=stage_words(record.stage, record.num_dec, record.exercice, lang),
        nomenclature=record.nomenclature,
        lines=stored_counts.get("detail_lines", stored_counts.get("lines")),
        counts=counts,
        exports=export_names(record.resource_id),
        missing_exports=[
            (name, pick(error.get("message"), lang)) for name, error in export_errors.items()
        ],
        realised=record.stage in REALISED_STAGES,
        amount_words=document_amount_words(record.stage, record.num_dec, lang),
        processed=record.processed,
    )
    if with_figures and status == db.STATUS_DONE:
        view.key_figures = key_figures(record)
    return view


def processing_underway(resource_id: str) -> bool:
    """Whether the document waits for or undergoes processing, as its page shows it: the
    page then reloads itself until the status settles."""
    record = db.get_document(resource_id)
    return record is not None and jobs.shown_status(record)[0] in UNDERWAY


def document_amount_words(stage: str | None, num_dec: str | None, lang: str) -> str:
    """What a document's own figures count (the core's ``stage_amounts``), in ``lang``."""
    return amount_words(Stage.__members__.get(stage or ""), number=num_dec).text(lang)


def export_names(resource_id: str) -> list[str]:
    """Names of the derived files, without loading their content."""
    export = db.BudgetExportRecord
    query = model.Session.query(export.name).filter(export.resource_id == resource_id)
    return [name for (name,) in query.order_by(export.name)]


def key_figures(record: db.BudgetDocumentRecord) -> BigNumbers | None:
    """The document's big numbers (the core's ``figures.big_numbers``), stored when it
    was processed; None until they are computed under today's conventions."""
    return BigNumbers.stored(record.big_numbers)


@dataclass
class FindingView:
    code: str
    line: int | None
    path: str | None
    message: str
    hint: str


@dataclass
class SeverityGroup:
    severity: str
    findings: list[FindingView]


@dataclass
class LayerGroup:
    layer: str
    counts: dict[str, int]
    groups: list[SeverityGroup]


@dataclass
class ReportView:
    status: str
    counts: dict[str, int]
    layers: list[LayerGroup]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def report_view(report: dict[str, Any], lang: str | None = None) -> ReportView:
    """A validation report grouped by layer (in validation order) then severity; messages
    and hints in ``lang``. Accepts stored reports (bilingual) and one-language ones."""
    lang = lang or settings.current_language()
    by_layer: dict[str, dict[str, list[FindingView]]] = {}
    for finding in report.get("findings", []):
        layer = by_layer.setdefault(finding.get("layer") or "", {})
        layer.setdefault(finding.get("severity") or "info", []).append(
            FindingView(
                code=str(finding.get("code") or ""),
                line=finding.get("line"),
                path=finding.get("path"),
                message=pick(finding.get("message"), lang),
                hint=pick(finding.get("hint"), lang),
            )
        )
    order = [layer for layer in LAYERS if layer in by_layer]
    order += sorted(layer for layer in by_layer if layer not in LAYERS)
    layers = []
    for layer in order:
        severities = by_layer[layer]
        layers.append(
            LayerGroup(
                layer=layer,
                counts={s: len(severities.get(s, [])) for s in SEVERITIES},
                groups=[SeverityGroup(s, severities[s]) for s in SEVERITIES if s in severities],
            )
        )
    counts = {s: int((report.get("counts") or {}).get(s, 0)) for s in SEVERITIES}
    return ReportView(status=str(report.get("status") or ""), counts=counts, layers=layers)
