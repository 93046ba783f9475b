"""SCDL « budget » 0.8.3 export: one CSV row per budget line, valid under the schema.

Mapping (the schema is the bundled ``schemas/budget-0.8.3.schema.json``):

- ``BGT_NATDEC``: the stage in the schema's lower-case words. The schema has no value for
  the compte financier unique (``NatDec`` 10): **a CFU is exported as ``compte
  administratif``**, because the CFU replaces the CA (with the compte de gestion) and
  carries the same realised amounts (``MtReal``); the export's notes say so.
- ``BGT_ANNEE`` ``Exer``; ``BGT_SIRET`` ``IdEtab`` (else ``IdColl``), 14 digits;
  ``BGT_NOM`` ``LibelleColl``, followed by `` - LibelleEtab`` for a budget annexe (its
  SIRET is the annexe's, so the name must say which budget it is).
- ``BGT_CONTNAT`` / ``_LABEL``: the chapter the line is voted in — ``ContNat`` when it is
  a chapter, otherwise derived through the account (``Plan.chapter_of``: ``DR``/``RR``
  for real operations, ``DOES``/``ROES``/``DOIS``/``ROIS`` for ordre ones). This follows
  the schema's description of ``BGT_SECTION`` and the reference converter, which writes
  the chapter there; an empty ``ContNat`` is what made its output invalid.
- ``BGT_NATURE`` / ``_LABEL``: the account (``Nature``) and its label in the plan (the
  line's ``LibCpte`` if the plan does not know it); ``BGT_FONCTION`` / ``_LABEL`` likewise.
- ``BGT_SECTION`` the chapter's section; ``BGT_OPBUDG`` ``réel``/``ordre``; ``BGT_CODRD``
  ``recette``/``dépense``; ``BGT_ARTSPE`` ``spécialisé``/``non spécialisé``.
- Amounts: two decimals, ``.`` separator, empty when the line does not carry them.

Lines added by an enrichment step (``calculated="true"``, ``OpBudg`` ``T``) are totals and
are left out. A line whose chapter or section cannot be derived (unknown code), or with
an unknown ``CodRD``/``OpBudg``, is left out and listed in ``Table.skipped`` with the
reason: a row that breaks the schema is never written.
"""

from __future__ import annotations

import re

from ..messages import Message
from ..model import BudgetDocument, Stage
from ..nomenclature import Plan
from .line_info import CODRD_LABELS, OPBUDG_LABELS, SECTION_LABELS, describer
from .scdl_schemas import BUDGET, load_schema
from .table import ExportError, RowChecker, SkippedRow, Table, amount

NAME = "scdl-budget"

SIRET = re.compile(r"\d{14}")

NATDEC_LABELS = {
    Stage.BP: "budget primitif",
    Stage.DM: "décision modificative",
    Stage.BS: "budget supplémentaire",
    Stage.CA: "compte administratif",
    Stage.CFU: "compte administratif",
}
AMOUNT_COLUMNS = {
    "BGT_MTREAL": "MtReal",
    "BGT_MTBUDGPREC": "MtBudgPrec",
    "BGT_MTRARPREC": "MtRARPrec",
    "BGT_MTPROPNOUV": "MtPropNouv",
    "BGT_MTPREV": "MtPrev",
    "BGT_CREDOUV": "CredOuv",
    "BGT_MTRAR3112": "MtRAR3112",
}
TEXT_COLUMNS = (
    "BGT_CONTNAT",
    "BGT_CONTNAT_LABEL",
    "BGT_NATURE",
    "BGT_NATURE_LABEL",
    "BGT_FONCTION",
    "BGT_FONCTION_LABEL",
    "BGT_OPERATION",
)
"""Columns copied from the document or the plan: checked on every row."""
ARTSPE_LABELS = {"true": "spécialisé", "false": "non spécialisé"}

CFU_NOTE = Message(
    "Le schéma SCDL budget n'a pas de valeur pour le compte financier unique : ce CFU est "
    "publié comme « compte administratif », qu'il remplace (mêmes montants réalisés).",
    "The SCDL budget schema has no value for the compte financier unique: this CFU is "
    "published as 'compte administratif', which it replaces (same realised amounts).",
)
SKIP_CODRD = Message(
    "CodRD absent ou inconnu (R ou D attendu)", "CodRD missing or unknown (R or D expected)"
)
SKIP_OPBUDG = Message(
    "OpBudg absent ou inconnu (0 ou 1 attendu)", "OpBudg missing or unknown (0 or 1 expected)"
)
SKIP_CHAPTER = Message(
    "chapitre et section introuvables dans le plan de comptes pour ce compte",
    "chapter and section not found in the plan de comptes for this account",
)
SKIP_FIELDS = Message(
    "valeur non conforme au schéma pour {fields}", "value not valid under the schema for {fields}"
)


def establishment_name(doc: BudgetDocument) -> str | None:
    header = doc.header
    coll = (header.libelle_coll or "").strip()
    etab = (header.libelle_etab or "").strip()
    if not coll:
        return etab or None
    if header.is_principal is False and etab and etab.upper() != coll.upper():
        return f"{coll} - {etab}"
    return coll


def siret(doc: BudgetDocument) -> str | None:
    """The budget's own SIRET (``IdEtab``; ``IdColl`` only when ``IdEtab`` is absent: a
    budget annexe has its own SIRET, which the authority's must not replace)."""
    header = doc.header
    value = (header.id_etab or header.id_coll or "").strip()
    return value if SIRET.fullmatch(value) else None


def _require(value: object, reason: Message) -> None:
    if value is None or value == "":
        raise ExportError(NAME, reason)


def build(doc: BudgetDocument, plan: Plan | None) -> Table:
    header = doc.header
    stage = header.stage
    _require(
        stage,
        Message(
            "l'étape budgétaire (NatDec) est absente ou inconnue.",
            "the budget stage (NatDec) is missing or unknown.",
        ),
    )
    _require(header.exer, Message("l'exercice (Exer) est absent.", "the year (Exer) is missing."))
    number = siret(doc)
    _require(
        number,
        Message(
            "aucun SIRET à 14 chiffres (IdEtab ou IdColl).",
            "no 14-digit SIRET (IdEtab or IdColl).",
        ),
    )
    name = establishment_name(doc)
    _require(
        name,
        Message(
            "le nom de la collectivité (LibelleColl) est absent.",
            "the authority's name (LibelleColl) is missing.",
        ),
    )
    _require(
        plan,
        Message(
            "aucun plan de comptes pour {nomenclature} {exer} : les chapitres et sections ne "
            "peuvent pas être déterminés.",
            "no plan de comptes for {nomenclature} {exer}: chapters and sections cannot be "
            "determined.",
            {"nomenclature": header.nomenclature or "?", "exer": header.exer},
        ),
    )
    schema = load_schema(BUDGET)
    checker = RowChecker(schema, only=TEXT_COLUMNS)
    first = True
    table = Table(
        name=NAME,
        fields=tuple(f["name"] for f in schema["fields"]),
        document={"siret": number, "name": name, "exer": header.exer, "stage": header.nat_dec},
    )
    if stage is Stage.CFU:
        table.notes.append(CFU_NOTE)
    common = {
        "BGT_NATDEC": NATDEC_LABELS[stage],
        "BGT_ANNEE": str(header.exer),
        "BGT_SIRET": number,
        "BGT_NOM": name,
    }
    describe = describer(plan)
    amount_columns = tuple(AMOUNT_COLUMNS.items())
    for line in doc.detail_lines:
        reason = None
        codrd = CODRD_LABELS.get((line.cod_rd or "").strip())
        opbudg = OPBUDG_LABELS.get((line.op_budg or "").strip())
        info = describe(line)
        if codrd is None:
            reason = SKIP_CODRD
        elif opbudg is None:
            reason = SKIP_OPBUDG
        elif info.section not in SECTION_LABELS or not info.chapter:
            reason = SKIP_CHAPTER
        if reason is not None:
            table.skipped.append(SkippedRow(line.index, line.sourceline, reason))
            continue
        row = {
            **common,
            "BGT_CONTNAT": info.chapter or "",
            "BGT_CONTNAT_LABEL": info.chapter_label or "",
            "BGT_NATURE": (line.nature or "").strip(),
            "BGT_NATURE_LABEL": (info.nature_label or "").strip(),
            "BGT_FONCTION": (line.fonction or "").strip(),
            "BGT_FONCTION_LABEL": (info.function_label or "").strip(),
            "BGT_OPERATION": (line.operation or "").strip(),
            "BGT_SECTION": SECTION_LABELS[info.section],
            "BGT_OPBUDG": opbudg,
            "BGT_CODRD": codrd,
            "BGT_ARTSPE": ARTSPE_LABELS.get((line.art_spe or "").strip().lower(), ""),
        }
        amounts = line.amounts
        for column, source in amount_columns:
            value = amounts.get(source)
            row[column] = "" if value is None else amount(value)
        problems = checker.problems(row, every_field=first)
        first = False
        if problems:
            table.skipped.append(
                SkippedRow(
                    line.index, line.sourceline, SKIP_FIELDS.with_params(fields=", ".join(problems))
                )
            )
            continue
        table.rows.append(row)
    return table
