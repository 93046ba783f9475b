"""API actions, collected for CKAN's ``blanket.actions`` (one module per subject)."""

from .documents import (
    budget_document_show,
    budget_lines,
    budget_reprocess,
    budget_validate,
    budget_validation_show,
)

__all__ = [
    "budget_document_show",
    "budget_lines",
    "budget_reprocess",
    "budget_validate",
    "budget_validation_show",
]
