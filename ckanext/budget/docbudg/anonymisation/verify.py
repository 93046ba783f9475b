"""The check after anonymising: read the published document as its outputs read it.

Defence in depth. The anonymiser and the outputs share one record locator, so this
cannot disagree with them by construction; it is here for what construction does not
cover: a serialisation that changes a namespace or a field's shape, a rule that stops
matching after a change of code. It re-reads the bytes that will be published and
refuses the document (:class:`~..errors.PersonalDataRemains`) if:

- anonymising them again would change something;
- a row the portal publishes (subsidies, guaranteed loans) still shows a value the policy
  classifies as a person's;
- a budget document's root element stands in them as a tag that is not an element of
  the document (an escaped document inside an attribute value, which no rule reads).
"""

from __future__ import annotations

import re

from .. import annex_tables, reader, records
from ..errors import PersonalDataRemains
from ..messages import Message
from ..model import BudgetDocument
from .beneficiaries import classify_beneficiary, normalise
from .engine import anonymise
from .policy import KNOWN_REPLACEMENTS, AnonymisationPolicy

_LEGAL_NATURE = re.compile(r"^[PU][0-9]$")
_CONCOURS_PERSONAL = ("beneficiaire", "objet", "prestation")

REPEATED = Message("anonymisation répétée", "repeated anonymisation")
PUBLISHED_ROWS = Message("lignes publiées des annexes", "published annex rows")
EMBEDDED = Message("document budgétaire inclus dans une valeur", "budget document inside a value")


def _markers(policy: AnonymisationPolicy) -> set[str]:
    return {normalise(m) for m in (*KNOWN_REPLACEMENTS, policy.replacement)}


def _person_rows(doc: BudgetDocument, policy: AnonymisationPolicy) -> int:
    """Published rows that still show a value the policy occults."""
    markers = _markers(policy)

    def shown(value: str) -> bool:
        return bool(value.strip()) and normalise(value) not in markers

    found = 0
    tables = annex_tables.build(doc)
    for row in tables["concours"].rows if "concours" in tables else []:
        code = row["type_beneficiaire"].strip().upper()
        label = row["beneficiaire"]
        if code == "P3":
            found += any(shown(row[key]) for key in _CONCOURS_PERSONAL)
        elif not _LEGAL_NATURE.match(code) and shown(label):
            kind = classify_beneficiary(label)
            found += kind != "organisation" or policy.strict_beneficiaries
    for row in tables["emprunt"].rows if "emprunt" in tables else []:
        label = row["beneficiaire"]
        found += shown(label) and classify_beneficiary(label) == "person"
    return found


def verify(doc: BudgetDocument, data: bytes, policy: AnonymisationPolicy, *, again: bool) -> None:
    """Raise unless ``doc`` (read from ``data``, the bytes to publish) passes the checks
    above. ``again=False`` skips the repeated run when ``doc`` is the very tree the
    anonymiser just left unchanged."""
    budget_elements = records.find(doc.root, reader.BUDGET_ELEMENTS)
    if reader.count_start_tags(data) > sum(map(len, budget_elements.values())):
        raise PersonalDataRemains(check=EMBEDDED)
    if _person_rows(doc, policy):
        raise PersonalDataRemains(check=PUBLISHED_ROWS)
    if again and anonymise(doc, policy).changed:
        raise PersonalDataRemains(check=REPEATED)
