"""Validation of budget documents in seven layers (see DOMAIN.md §5).

    doc, report = validate_source("budget.xml")
    report.status            # 'valid' | 'warnings' | 'errors'
    report.as_dict("fr")     # JSON-able, messages in French

Each :class:`Finding` has a stable ``code``, a severity, its layer, a line number and a
readable path, and bilingual ``message`` and ``hint`` (what to do).
"""

from .report import (
    ERROR,
    INFO,
    LAYERS,
    MAX_FINDINGS_PER_CODE,
    SEVERITIES,
    WARNING,
    Finding,
    ValidationReport,
)
from .validator import validate, validate_source
from .xsd import bundled_schema

__all__ = [
    "ERROR",
    "INFO",
    "LAYERS",
    "MAX_FINDINGS_PER_CODE",
    "SEVERITIES",
    "WARNING",
    "Finding",
    "ValidationReport",
    "bundled_schema",
    "validate",
    "validate_source",
]
