"""The extension's tables: what processing a budget document produced, per resource.

Only anonymised data ever reaches these tables: document metadata, the budget lines
with their resolved labels, the validation report, the anonymisation report (counts,
never values) and the derived files. Rows are keyed by resource id and removed with
the resource (``delete_for_resource``; purges cascade through the foreign keys).
Schema changes go through the alembic revisions in ``migration/budget/versions``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk
from sqlalchemy.dialects.postgresql import JSONB

from ..docbudg.model import AMOUNT_FIELDS

STATUS_PENDING = "pending"
STATUS_RUNNING = "running"
STATUS_DONE = "done"
STATUS_FAILED = "failed"
STATUSES = (STATUS_PENDING, STATUS_RUNNING, STATUS_DONE, STATUS_FAILED)

# Amount columns of budget_line, named after the XML fields they hold.
AMOUNT_COLUMNS = {name: name.lower() for name in AMOUNT_FIELDS}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class BudgetDocumentRecord(tk.BaseModel):
    """One processed budget-document resource: identity, status and reports."""

    __tablename__ = "budget_document"

    resource_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    package_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("package.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    content_sha256 = sa.Column(sa.String(64), nullable=False)
    size_bytes = sa.Column(sa.BigInteger, nullable=False)
    # Identity of the document (from its header), kept as columns for facets and lists.
    collectivite = sa.Column(sa.UnicodeText)
    siret = sa.Column(sa.String(14))
    etablissement = sa.Column(sa.UnicodeText)
    cod_bud = sa.Column(sa.UnicodeText)
    nomenclature = sa.Column(sa.UnicodeText)
    stage = sa.Column(sa.String(8))
    num_dec = sa.Column(sa.UnicodeText)
    exercice = sa.Column(sa.Integer, index=True)
    is_principal = sa.Column(sa.Boolean)
    # When the decision was voted (DteDec): orders a year's decisions (migration 0011).
    dte_dec = sa.Column(sa.Date)
    header = sa.Column(JSONB, default=dict)
    # Processing.
    status = sa.Column(sa.String(16), nullable=False, default=STATUS_PENDING)
    status_reason = sa.Column(JSONB)
    validation_status = sa.Column(sa.String(16))
    validation_report = sa.Column(JSONB)
    anonymisation_report = sa.Column(JSONB, default=dict)
    counts = sa.Column(JSONB, default=dict)
    # Financial analysis (docbudg.figures.analysis.compute); recomputed by the aggregation
    # job when stored under another version (documents.results.figures_current).
    indicators = sa.Column(JSONB)
    # The four big numbers (docbudg.figures.big_numbers); NULL until (re)processed after 0006.
    big_numbers = sa.Column(JSONB)
    job_id = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime(timezone=True), default=_now)
    updated = sa.Column(sa.DateTime(timezone=True), default=_now, onupdate=_now)
    processed = sa.Column(sa.DateTime(timezone=True))

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "package_id": self.package_id,
            "content_sha256": self.content_sha256,
            "size_bytes": self.size_bytes,
            "collectivite": self.collectivite,
            "siret": self.siret,
            "etablissement": self.etablissement,
            "cod_bud": self.cod_bud,
            "nomenclature": self.nomenclature,
            "stage": self.stage,
            "num_dec": self.num_dec,
            "exercice": self.exercice,
            "is_principal": self.is_principal,
            "header": self.header or {},
            "status": self.status,
            "status_reason": self.status_reason,
            "validation_status": self.validation_status,
            "anonymisation": self.anonymisation_report or {},
            "counts": self.counts or {},
            "indicators": self.indicators,
            "big_numbers": self.big_numbers,
            "exports": [e.name for e in exports_for(self.resource_id)],
            "created": _iso(self.created),
            "updated": _iso(self.updated),
            "processed": _iso(self.processed),
        }


class BudgetLineRecord(tk.BaseModel):
    """A budget line of a processed document, with labels resolved from the plan."""

    __tablename__ = "budget_line"
    __table_args__ = (sa.Index("budget_line_resource_idx", "resource_id", "idx"),)

    id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    resource_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("budget_document.resource_id", ondelete="CASCADE"),
        nullable=False,
    )
    idx = sa.Column(sa.Integer, nullable=False)
    cod_rd = sa.Column(sa.String(1))
    section = sa.Column(sa.String(1))
    op_budg = sa.Column(sa.String(1))
    chapter = sa.Column(sa.UnicodeText)
    nature = sa.Column(sa.UnicodeText)
    fonction = sa.Column(sa.UnicodeText)
    cont_nat = sa.Column(sa.UnicodeText)
    operation = sa.Column(sa.UnicodeText)
    chapter_label = sa.Column(sa.UnicodeText)
    nature_label = sa.Column(sa.UnicodeText)
    function_label = sa.Column(sa.UnicodeText)
    mtbudgprec = sa.Column(sa.Numeric(18, 2))
    mtrarprec = sa.Column(sa.Numeric(18, 2))
    mtpropnouv = sa.Column(sa.Numeric(18, 2))
    mtprev = sa.Column(sa.Numeric(18, 2))
    credouv = sa.Column(sa.Numeric(18, 2))
    mtreal = sa.Column(sa.Numeric(18, 2))
    mtrar3112 = sa.Column(sa.Numeric(18, 2))


class BudgetExportRecord(tk.BaseModel):
    """A derived file (SCDL CSV, lines CSV/JSON…), kept in the database with its document
    so it is written atomically with the results and served by every web node."""

    __tablename__ = "budget_export"

    resource_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("budget_document.resource_id", ondelete="CASCADE"),
        primary_key=True,
    )
    name = sa.Column(sa.UnicodeText, primary_key=True)
    media_type = sa.Column(sa.UnicodeText, nullable=False)
    content = sa.Column(sa.LargeBinary, nullable=False)
    sha256 = sa.Column(sa.String(64), nullable=False)
    created = sa.Column(sa.DateTime(timezone=True), default=_now)


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def get_document(resource_id: str) -> BudgetDocumentRecord | None:
    return model.Session.get(BudgetDocumentRecord, resource_id)


def documents_for_package(package_id: str) -> list[BudgetDocumentRecord]:
    return (
        model.Session.query(BudgetDocumentRecord)
        .filter(BudgetDocumentRecord.package_id == package_id)
        .order_by(BudgetDocumentRecord.exercice, BudgetDocumentRecord.stage)
        .all()
    )


def exports_for(resource_id: str) -> list[BudgetExportRecord]:
    return (
        model.Session.query(BudgetExportRecord)
        .filter(BudgetExportRecord.resource_id == resource_id)
        .order_by(BudgetExportRecord.name)
        .all()
    )


def get_export(resource_id: str, name: str) -> BudgetExportRecord | None:
    return model.Session.get(BudgetExportRecord, (resource_id, name))


def delete_for_resources(resource_ids: Iterable[str]) -> int:
    """Remove everything stored for these resources (lines and exports cascade)."""
    ids = list(resource_ids)
    if not ids:
        return 0
    session = model.Session
    session.query(BudgetLineRecord).filter(BudgetLineRecord.resource_id.in_(ids)).delete(
        synchronize_session=False
    )
    session.query(BudgetExportRecord).filter(BudgetExportRecord.resource_id.in_(ids)).delete(
        synchronize_session=False
    )
    return (
        session.query(BudgetDocumentRecord)
        .filter(BudgetDocumentRecord.resource_id.in_(ids))
        .delete(synchronize_session=False)
    )


def delete_for_package(package_id: str) -> int:
    """Remove everything stored for a dataset's documents (the dataset was deleted)."""
    ids = [
        resource_id
        for (resource_id,) in model.Session.query(BudgetDocumentRecord.resource_id).filter(
            BudgetDocumentRecord.package_id == package_id
        )
    ]
    return delete_for_resources(ids)


LINE_FILTERS = ("cod_rd", "section", "chapter", "fonction", "nature", "op_budg")


def query_lines(
    resource_id: str,
    filters: dict[str, Sequence[str] | str] | None = None,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[int, list[BudgetLineRecord]]:
    """Lines of a document, filtered on exact codes; ``nature`` also matches descendants
    by prefix (``nature=60`` gives 6011, 6042…), as finance staff expect."""
    query = model.Session.query(BudgetLineRecord).filter(
        BudgetLineRecord.resource_id == resource_id
    )
    for key, value in (filters or {}).items():
        if key not in LINE_FILTERS or value in (None, "", []):
            continue
        values = [value] if isinstance(value, str) else list(value)
        column = getattr(BudgetLineRecord, key)
        if key == "nature":
            query = query.filter(sa.or_(*(column.like(f"{v}%") for v in values)))
        else:
            query = query.filter(column.in_(values))
    total = query.count()
    query = query.order_by(BudgetLineRecord.idx).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return total, query.all()


def line_as_dict(line: BudgetLineRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "index": line.idx,
        "cod_rd": line.cod_rd,
        "section": line.section,
        "op_budg": line.op_budg,
        "chapter": line.chapter,
        "chapter_label": line.chapter_label,
        "nature": line.nature,
        "nature_label": line.nature_label,
        "fonction": line.fonction,
        "function_label": line.function_label,
        "cont_nat": line.cont_nat,
        "operation": line.operation,
    }
    for field, column in AMOUNT_COLUMNS.items():
        value = getattr(line, column)
        row[field] = None if value is None else f"{value:.2f}"
    return row
