"""Plain export of the budget lines with words next to the codes (for the explorer).

One row per line that counts (calculated totals left out), every line kept even when the
plan does not know its code (labels then stay empty): unlike the SCDL export this one
must add up to the document's totals. ``amount`` is the figure that matters at this
stage (``stage_amounts``: ``MtReal`` for CA/CFU, the credits voted after the decision
otherwise, e.g. ``MtBudgPrec`` + ``MtPrev`` for a DM); every TotEM amount follows as the
document has it.
Amounts are decimal strings with two places, in JSON too (exact cents).
"""

from __future__ import annotations

from ..model import BudgetDocument
from ..nomenclature import Plan
from ..stage_amounts import stage_amount
from .line_info import (
    CODRD_LABELS,
    OPBUDG_LABELS,
    SECTION_LABELS,
    describer,
)
from .table import Table, amount

NAME = "lines"
AMOUNT_COLUMNS = {
    "mt_budg_prec": "MtBudgPrec",
    "mt_rar_prec": "MtRARPrec",
    "mt_prop_nouv": "MtPropNouv",
    "mt_prev": "MtPrev",
    "cred_ouv": "CredOuv",
    "mt_real": "MtReal",
    "mt_rar_3112": "MtRAR3112",
}
FIELDS = (
    "line",
    "cod_rd",
    "cod_rd_label",
    "section",
    "section_label",
    "op_budg",
    "op_budg_label",
    "chapter",
    "chapter_label",
    "nature",
    "nature_label",
    "fonction",
    "fonction_label",
    "operation",
    "cont_nat",
    "art_spe",
    "amount",
    *AMOUNT_COLUMNS,
)


def build(doc: BudgetDocument, plan: Plan | None) -> Table:
    header = doc.header
    stage = header.stage
    main = stage_amount(stage)
    table = Table(
        name=NAME,
        fields=FIELDS,
        document={
            "siret": header.id_etab or header.id_coll,
            "name": header.libelle_coll,
            "budget": header.libelle_etab,
            "exer": header.exer,
            "stage": header.nat_dec,
            "stage_label": stage.label_fr if stage is not None else None,
            "nomenclature": header.nomenclature,
            "plan_year": plan.exer if plan is not None else None,
            "amount_field": main.name,
        },
    )
    describe = describer(plan)
    for line in doc.detail_lines:
        info = describe(line)
        cod_rd = (line.cod_rd or "").strip()
        op_budg = (line.op_budg or "").strip()
        row = {
            "line": str(line.index),
            "cod_rd": cod_rd,
            "cod_rd_label": CODRD_LABELS.get(cod_rd, ""),
            "section": info.section or "",
            "section_label": SECTION_LABELS.get(info.section or "", ""),
            "op_budg": op_budg,
            "op_budg_label": OPBUDG_LABELS.get(op_budg, ""),
            "chapter": info.chapter or "",
            "chapter_label": info.chapter_label or "",
            "nature": (line.nature or "").strip(),
            "nature_label": (info.nature_label or "").strip(),
            "fonction": (line.fonction or "").strip(),
            "fonction_label": info.function_label or "",
            "operation": (line.operation or "").strip(),
            "cont_nat": (line.cont_nat or "").strip(),
            "art_spe": (line.art_spe or "").strip(),
            "amount": amount(main.of(line.amounts)),
        }
        amounts = line.amounts
        for column, source in AMOUNT_COLUMNS.items():
            value = amounts.get(source)
            row[column] = "" if value is None else amount(value)
        table.rows.append(row)
    return table
