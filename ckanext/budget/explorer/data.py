"""What the explorer shows of a document, read from its stored aggregation.

A *level* (``docbudg.figures.levels``) is one node of one tree (or the tree itself): its
children become the bars and the table rows. Amounts stay the exact ``Decimal`` amounts of
the aggregation, so the pages and the exports add up to the cent. A leaf's lines are read
from what was stored with the aggregation. Nothing here computes: a document whose
aggregation is missing or out of date is shown as being computed, and its job queued
(``rulesets.jobs``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings
from ..docbudg.figures.big_numbers import BigNumbers
from ..docbudg.figures.combination import REALISED_STAGES
from ..docbudg.figures.levels import Level, level
from ..docbudg.model import Stage
from ..docbudg.stage_amounts import amount_words
from ..documents import model as db
from ..documents.jobs import shown_status
from ..documents.presenters import document_amount_words, stage_words
from ..rulesets import jobs, service
from . import placement, texts


@dataclass
class Explorer:
    resource_id: str
    status: str
    heading: str
    realised: bool
    ruleset_name: str | None
    big_numbers: BigNumbers
    level: Level | None
    computing: bool = False
    """Processed, but its figures for this content and these rules are not stored yet:
    a job computes them (the big numbers shown are the document's own)."""
    amount_words: str = ""
    """What the figures count (« Crédits votés après la décision modificative n° 3
    (MtBudgPrec + MtPrev) »): the stage's own amount, or the one the rules chose."""
    with_errors: bool = False
    """Validation found errors: the figures are shown under a warning (``placement``)."""
    text: texts.ShownText | None = None
    """The producer's text on the category shown, for the document's year."""


def explorer(
    resource_id: str, tree_id: str | None = None, node_id: str | None = None
) -> Explorer | None:
    """Everything the view shows, or None when the resource is not a budget document."""
    document = db.get_document(resource_id)
    if document is None:
        return None
    lang = settings.current_language()
    realised = document.stage in REALISED_STAGES
    heading = stage_words(document.stage, document.num_dec, document.exercice, lang)
    status = shown_status(document)[0]  # an interrupted job shows as failed, as elsewhere
    if status == db.STATUS_DONE and not placement.placed(document):
        status = placement.UNPLACED  # explored nowhere, as on the budget page
    if status != db.STATUS_DONE:
        return Explorer(resource_id, status, heading, realised, None, BigNumbers(), None)
    with_errors = placement.has_errors(document)
    own_words = document_amount_words(document.stage, document.num_dec, lang)
    aggregation = jobs.current_or_queue(document)
    if aggregation is None:
        numbers = BigNumbers.stored(document.big_numbers) or BigNumbers()
        return Explorer(
            resource_id,
            status,
            heading,
            realised,
            None,
            numbers,
            None,
            True,
            own_words,
            with_errors,
        )
    result = service.result(aggregation)
    stage = Stage.__members__.get(document.stage or "")
    counted = result.document.amount_field if result.document is not None else None
    found = level(result, tree_id, node_id, aggregation.ruleset_id is not None, lang)
    if found is not None and found.node_id and found.is_leaf:
        found.lines = service.leaf_lines(aggregation, found.tree_id, found.node_id)
    return Explorer(
        resource_id,
        status,
        heading,
        realised,
        aggregation.ruleset_name,
        result.big_numbers,
        found,
        amount_words=amount_words(stage, counted, document.num_dec).text(lang),
        with_errors=with_errors,
        text=_text(aggregation, document.exercice, found, lang),
    )


def _text(aggregation, year: int | None, found: Level | None, lang: str):
    """The text on the category shown, from the rule-set version the figures come from."""
    if found is None:
        return None
    applied = texts.of_version(aggregation.ruleset_id, aggregation.ruleset_version)
    return texts.shown(applied.of_category(found.tree_id, found.node_id, year), lang)


def export_rows(shown: Level) -> list[dict[str, str]]:
    """The data behind a chart and its table, amounts as exact strings."""
    if shown.is_leaf and shown.node_id:
        return [
            {
                "nature": share.line.nature or "",
                "nature_libelle": share.line.nature_label or "",
                "fonction": share.line.function or "",
                "fonction_libelle": share.line.function_label or "",
                "montant": f"{share.amount:.2f}",
            }
            for share in shown.lines
        ]
    return [
        {"id": row.id, "libelle": row.label, "montant": f"{row.amount:.2f}"} for row in shown.rows
    ]
