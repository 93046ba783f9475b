"""Which documents the explorers show: one rule for a document's own explorer and the
dataset's budget page, so that a document is never explored in one and missing from the other.

A processed document is explored when the portal could read its year and its stage (the
budget page places it by both): with validation errors, it is explored in both places under
a warning that points to its report; without a readable year or stage, it is explored in
neither, and both say why.
"""

from __future__ import annotations

from ..docbudg.figures.combination import REALISED_STAGES, VOTED_STAGES
from ..documents import model as db

UNPLACED = "unplaced"
"""The explorer's state for a processed document whose year or stage is unknown."""


def placed(document: db.BudgetDocumentRecord) -> bool:
    """Whether the explorers can place the document: a year and a known stage."""
    return document.exercice is not None and (document.stage or "") in (
        *REALISED_STAGES,
        *VOTED_STAGES,
    )


def has_errors(document: db.BudgetDocumentRecord) -> bool:
    """Whether validation found errors: its figures are shown under a warning."""
    return document.validation_status == "errors"
