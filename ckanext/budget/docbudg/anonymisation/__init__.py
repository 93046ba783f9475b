"""Anonymisation of budget documents: occult the personal data of natural persons.

Usage::

    doc = read_document(path)
    report = anonymise(doc)            # changes doc.tree in place
    data = doc.to_bytes()              # publishable XML
    report.summary("fr")               # « 7 bénéficiaires personnes physiques occultés … »

The policy table is :data:`policy.RULES`; the decisions about places kept on purpose are
in :data:`policy.KEPT_ON_PURPOSE`.
"""

from .beneficiaries import classify_beneficiary
from .engine import anonymise
from .policy import (
    DEFAULT_POLICY,
    DEFAULT_REPLACEMENT,
    KEPT_ON_PURPOSE,
    RULES,
    AnonymisationPolicy,
    Rule,
)
from .report import AnonymisationReport

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_REPLACEMENT",
    "KEPT_ON_PURPOSE",
    "RULES",
    "AnonymisationPolicy",
    "AnonymisationReport",
    "Rule",
    "anonymise",
    "classify_beneficiary",
]
