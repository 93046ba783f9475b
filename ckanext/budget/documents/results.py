"""A processed document's results, stored per resource in one transaction: its identity,
lines, derived files, annex tables, indicators and validation report."""

from __future__ import annotations

import datetime
import hashlib
import logging
from typing import Any

import sqlalchemy as sa
from ckan import model

from .. import settings
from ..docbudg import annex_tables
from ..docbudg.export import ExportError, ExportResult
from ..docbudg.export.line_info import describer, find_export_plan
from ..docbudg.export.table import MEDIA_TYPES
from ..docbudg.figures import analysis
from ..docbudg.figures.big_numbers import BigNumbers, big_numbers
from ..docbudg.model import BudgetDocument, DocumentHeader
from ..docbudg.validation import ValidationReport
from . import model as db

log = logging.getLogger(__name__)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def identity(record: db.BudgetDocumentRecord, header: DocumentHeader) -> None:
    record.collectivite = header.libelle_coll
    record.siret = (header.id_etab or header.id_coll or "")[:14] or None
    record.etablissement = header.libelle_etab
    record.cod_bud = header.cod_bud
    record.nomenclature = header.nomenclature
    record.stage = header.stage.name if header.stage else None
    record.num_dec = header.num_dec
    record.exercice = header.exer
    record.is_principal = header.is_principal
    record.dte_dec = header.decision_date
    record.header = {
        "libelle_coll": header.libelle_coll,
        "id_coll": header.id_coll,
        "libelle_etab": header.libelle_etab,
        "id_etab": header.id_etab,
        "siren": header.siren,
        "cod_coll": header.cod_coll,
        "cod_insee_coll": header.cod_insee_coll,
        "cod_bud": header.cod_bud,
        "nomenclature": header.nomenclature,
        "norme": header.norme,
        "declinaison": header.declinaison,
        "nat_dec": header.nat_dec,
        "num_dec": header.num_dec,
        "exer": header.exer,
        "version_schema": header.version_schema,
        "dte_dec": header.dte_dec,
        "cod_typ_bud": header.cod_typ_bud,
        "is_cfu": header.is_cfu,
    }


def clear_results(resource_id: str) -> None:
    session = model.Session
    session.query(db.BudgetLineRecord).filter_by(resource_id=resource_id).delete(
        synchronize_session=False
    )
    session.query(db.BudgetExportRecord).filter_by(resource_id=resource_id).delete(
        synchronize_session=False
    )


def _line_rows(resource_id: str, doc: BudgetDocument) -> list[dict[str, Any]]:
    describe = describer(find_export_plan(doc, settings.plans_dir()))
    rows = []
    for line in doc.detail_lines:
        info = describe(line)
        row: dict[str, Any] = {
            "resource_id": resource_id,
            "idx": line.index,
            "cod_rd": (line.cod_rd or "")[:1] or None,
            "section": info.section,
            "op_budg": (line.op_budg or "")[:1] or None,
            "chapter": info.chapter,
            "nature": line.nature,
            "fonction": line.fonction,
            "cont_nat": line.cont_nat,
            "operation": line.operation,
            "chapter_label": info.chapter_label,
            "nature_label": info.nature_label,
            "function_label": info.function_label,
        }
        for field, column in db.AMOUNT_COLUMNS.items():
            row[column] = line.amounts.get(field)
        rows.append(row)
    return rows


def store_results(
    record: db.BudgetDocumentRecord,
    doc: BudgetDocument,
    validation: ValidationReport,
    exports: dict[str, ExportResult],
    export_errors: dict[str, ExportError],
) -> None:
    """Replace the document's lines, exports and report with these, in one transaction."""
    session = model.Session
    clear_results(record.resource_id)
    session.flush()
    rows = _line_rows(record.resource_id, doc)
    if rows:
        session.execute(sa.insert(db.BudgetLineRecord.__table__), rows)
    for key, result in exports.items():
        session.add(
            db.BudgetExportRecord(
                resource_id=record.resource_id,
                name=key,
                media_type=result.media_type,
                content=result.data,
                sha256=hashlib.sha256(result.data).hexdigest(),
                created=now(),
            )
        )
    _add_annex_tables(record.resource_id, doc)
    store_figures(record, doc, annex_tables_stored=True)
    record.validation_report = validation.as_dict()
    record.validation_status = validation.status
    record.counts = {
        "lines": len(doc.lines),
        "detail_lines": len(rows),
        "annexes": doc.annex_blocks(),
        "annex_tables": annex_tables.VERSION,
        "exports": {key: result.rows for key, result in exports.items()},
        "export_errors": {
            name: {"code": error.code, "message": error.msg.as_dict()}
            for name, error in export_errors.items()
        },
    }
    record.status = db.STATUS_DONE
    record.status_reason = None
    record.processed = now()


def figures_current(record: db.BudgetDocumentRecord) -> bool:
    """The document's big numbers and financial analysis follow today's conventions
    (else the aggregation job computes them again: reads never do)."""
    stored = record.indicators
    return (
        BigNumbers.stored(record.big_numbers) is not None
        and isinstance(stored, dict)
        and stored.get("version") == analysis.VERSION
        and (record.counts or {}).get("annex_tables") == annex_tables.VERSION
    )


def store_figures(
    record: db.BudgetDocumentRecord, doc: BudgetDocument, *, annex_tables_stored: bool = False
) -> None:
    """The big numbers, financial analysis and (unless just stored) annex tables of ``doc``
    (the record's content, parsed), written when they differ: every write makes the
    portal's page cache stale. Both figures read the plan de comptes the aggregation reads,
    so that its checks compare like with like."""
    if (
        not annex_tables_stored
        and (record.counts or {}).get("annex_tables") != annex_tables.VERSION
    ):
        names = [annex_tables.export_name(name) for name in annex_tables.SPECS]
        model.Session.query(db.BudgetExportRecord).filter(
            db.BudgetExportRecord.resource_id == record.resource_id,
            db.BudgetExportRecord.name.in_(names),
        ).delete(synchronize_session=False)
        _add_annex_tables(record.resource_id, doc)
        record.counts = {**(record.counts or {}), "annex_tables": annex_tables.VERSION}
    numbers = big_numbers(doc)
    found = analysis.compute(doc, numbers=numbers)
    if record.indicators != found:
        record.indicators = found
    if record.big_numbers != numbers.to_json():
        record.big_numbers = numbers.to_json()


def _add_annex_tables(resource_id: str, doc: BudgetDocument) -> None:
    """The subsidies, loans and staff tables as derived files (``annexe-*.csv``): the
    annex pages read them, never the document."""
    for name, table in annex_tables.build(doc).items():
        data = annex_tables.to_csv(table.spec, table.rows)
        model.Session.add(
            db.BudgetExportRecord(
                resource_id=resource_id,
                name=annex_tables.export_name(name),
                media_type=MEDIA_TYPES["csv"],
                content=data,
                sha256=hashlib.sha256(data).hexdigest(),
                created=now(),
            )
        )


def record_for(package_id: str, resource_id: str) -> db.BudgetDocumentRecord:
    record = db.get_document(resource_id)
    if record is None:
        record = db.BudgetDocumentRecord(resource_id=resource_id, created=now())
        model.Session.add(record)
    record.package_id = package_id
    return record
