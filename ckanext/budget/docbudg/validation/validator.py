"""The validation pipeline: reader errors, then layers 2 to 7 on a readable document."""

from __future__ import annotations

from pathlib import Path

from ..errors import BudgetDocError, MissingBudgetPart, NotABudgetDocument
from ..messages import Message
from ..model import BudgetDocument
from ..nomenclature import find_merged_plan
from ..reader import DEFAULT_LIMITS, Limits, Source, read_document
from .annexes import check_annexes
from .balances import check_balances
from .codes import check_codes
from .metadata import check_metadata, report_structure
from .report import ERROR, LAYER_READING, LAYER_STRUCTURE, FindingCollector, ValidationReport
from .xsd import check_schema

_HINT_READING = Message(
    "Déposez le fichier XML tel qu'exporté par TotEM ou par votre logiciel financier, sans "
    "l'ouvrir ni l'enregistrer dans un autre programme.",
    "Upload the XML file exactly as exported by TotEM or your finance software, without "
    "opening or saving it in another program.",
)


def validate(doc: BudgetDocument, *, plans_dir: str | Path | None = None) -> ValidationReport:
    """Every check of layers 2–7 on a document the reader accepted."""
    collector = FindingCollector()
    report_structure(doc, collector)
    check_schema(doc, collector)
    if doc.budget is None:
        return collector.report()  # the schema finding says Budget is missing
    choice = check_metadata(doc, collector, plans_dir=plans_dir)
    if choice is not None:
        check_codes(doc, choice, collector, plans_dir=plans_dir)
        merged = find_merged_plan(choice.plan.exer, choice.plan.nomenclature, plans_dir=plans_dir)
        check_balances(doc, merged or choice.plan, collector)
    check_annexes(doc, collector)
    return collector.report()


def reading_report(error: BudgetDocError) -> ValidationReport:
    """The report of a file the reader refused: one error, no further layer."""
    layer = (
        LAYER_STRUCTURE
        if isinstance(error, (NotABudgetDocument, MissingBudgetPart))
        else LAYER_READING
    )
    line = error.params.get("line")
    collector = FindingCollector()
    collector.add(
        error.code,
        ERROR,
        layer,
        error.msg,
        error.hint or _HINT_READING,
        line=line if isinstance(line, int) else None,
    )
    return collector.report()


def validate_source(
    source: Source,
    *,
    limits: Limits = DEFAULT_LIMITS,
    plans_dir: str | Path | None = None,
) -> tuple[BudgetDocument | None, ValidationReport]:
    """Read then validate; a file the reader refuses gives ``(None, report with its error)``."""
    try:
        doc = read_document(source, limits)
    except BudgetDocError as error:
        return None, reading_report(error)
    return doc, validate(doc, plans_dir=plans_dir)
