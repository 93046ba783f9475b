"""Layer 7: annexes consistent with the budget lines (warnings only).

The list of grants (``DATA_CONCOURS``) covers cash and in-kind help, operating and
investment grants, to private and public bodies, so it never equals one group of natures.
What holds on every real account we measured: once the year is closed (CA/CFU), the list
totals at least what was paid on 6574 (operating grants to private bodies), every such
grant having to be listed. A BP may keep an unallocated envelope on 6574: not checked.
"""

from __future__ import annotations

from decimal import Decimal

from .. import records
from ..messages import Message
from ..model import BudgetDocument, to_decimal
from .money import amount_params
from .report import INFO, LAYER_ANNEXES, WARNING, FindingCollector

PRIVATE_GRANTS_NATURE = "6574"

_HINT_CONCOURS = Message(
    "Complétez l'annexe « liste des concours attribués à des tiers » dans votre logiciel "
    "(chaque subvention versée doit y figurer) puis exportez à nouveau le document.",
    "Complete the annex 'list of grants to third parties' in your software (every grant paid "
    "must be listed) and export the document again.",
)
_CONCOURS_BELOW = Message(
    "La liste des concours (annexe CONCOURS, {count} ligne(s)) totalise {listed_fr}, moins "
    "que les subventions de fonctionnement versées aux personnes de droit privé (comptes "
    "6574 : {paid_fr}).",
    "The list of grants (CONCOURS annex, {count} row(s)) totals {listed_en}, less than the "
    "operating grants paid to private bodies (accounts 6574: {paid_en}).",
)
_CONCOURS_ABSENT = Message(
    "Le document ne contient pas de liste des concours (annexe CONCOURS) alors que "
    "{paid_fr} de subventions ont été versées aux personnes de droit privé (comptes 6574).",
    "The document has no list of grants (CONCOURS annex) although {paid_en} of grants were "
    "paid to private bodies (accounts 6574).",
)


def _paid_private_grants(doc: BudgetDocument) -> Decimal:
    return sum(
        (
            line.amount("MtReal")
            for line in doc.detail_lines
            if (line.cod_rd or "").strip() == "D"
            and (line.nature or "").startswith(PRIVATE_GRANTS_NATURE)
        ),
        Decimal(0),
    )


def check_annexes(doc: BudgetDocument, collector: FindingCollector) -> None:
    stage = doc.header.stage
    if stage is None or not stage.is_realised:
        return
    paid = _paid_private_grants(doc)
    if paid <= 0:
        return
    grants = doc.records("CONCOURS")
    annexes = doc.annexes
    where = annexes if annexes is not None else doc.budget
    line = where.sourceline if where is not None else None
    if not grants:
        message = _CONCOURS_ABSENT.with_params(**amount_params(paid=paid))
        collector.add(
            "annex_concours_absent",
            INFO,
            LAYER_ANNEXES,
            message,
            _HINT_CONCOURS,
            line=line,
            path="Budget/Annexes" if annexes is not None else "Budget",
        )
        return
    listed = Decimal(0)
    for grant in grants:
        listed += to_decimal(records.first_value(grant, "MtSubv")) or Decimal(0)
    if listed < paid:
        message = _CONCOURS_BELOW.with_params(
            count=len(grants), **amount_params(listed=listed, paid=paid)
        )
        first = grants[0].getparent()
        collector.add(
            "annex_concours_below_6574",
            WARNING,
            LAYER_ANNEXES,
            message,
            _HINT_CONCOURS,
            line=first.sourceline if first is not None else line,
            path="Budget/Annexes/DATA_CONCOURS",
        )
