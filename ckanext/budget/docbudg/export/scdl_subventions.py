"""SCDL « subventions » 2.1.1 export from the ``CONCOURS`` annex (already anonymised).

The annex lists the help granted to third parties (subsidies and help in kind) as voted
(BP, BS, DM) or paid (CA, CFU); it does not hold conventions. What it provides:

- ``nomAttribuant`` / ``idAttribuant``: the authority (``LibelleColl``, ``IdEtab``).
- ``nomBeneficiaire`` ``LibOrgaBenef`` (the anonymisation replacement text for a natural
  person); ``idBeneficiaire`` ``Siret`` only when it is a 14-digit SIRET **and** the
  beneficiary is declared a legal person (``CodNatJurBenefCA`` present and not ``P3``):
  a sole trader's SIRET identifies a person.
- ``objet``: ``ObjSubv``, else ``LibPrestaNat``, else the label of the imputation account
  (``CodArticle``), else a fixed text saying the annex gives no object.
- ``montant`` ``MtSubv`` (two decimals); ``pourcentageSubvention`` 1.00 (one record per
  beneficiary).
- ``nature``: ``aide en numéraire``, plus ``aide en nature`` when ``LibPrestaNat`` names
  help in kind (i.e. differs from the object: some files copy the object there).

Required fields the annex cannot fill — filled by a documented convention rather than
left empty, which would make every row invalid; the export's notes list them:

- ``dateConvention``: the date of the budget decision (``DteDec``) for BP, BS and DM,
  whose vote attributes the subsidies listed individually (CGCT L2311-7); for a CA/CFU,
  or without ``DteDec``, the first day of the exercise. It is *not* a convention date.
- ``referenceDecision``: the document, e.g. ``budget primitif 2022``.
- ``conditionsVersement``: ``autre`` (the schema's value for "not one of unique /
  échelonné"); ``datesPeriodeVersement``: the exercise, ``AAAA-01-01/AAAA-12-31``.
- ``notificationUE``: ``non`` (the annex has no such flag; de minimis notification of
  local subsidies is exceptional).
- ``rnaBeneficiaire``, ``idRAE``, ``dispositifAide``: left empty (not in the annex). The
  Validata check "one of idBeneficiaire / rnaBeneficiaire" therefore fails for records
  without a SIRET; frictionless does not run it.
"""

from __future__ import annotations

from datetime import date

from ..messages import Message
from ..model import BudgetDocument, Stage, to_decimal
from ..nomenclature import Plan
from .scdl_budget import establishment_name, siret
from .scdl_schemas import SUBVENTIONS, load_schema
from .table import ExportError, NothingToExport, RowChecker, SkippedRow, Table, amount

NAME = "scdl-subventions"
CASH = "aide en numéraire"
CASH_AND_KIND = "aide en numéraire;aide en nature"
NO_OBJECT = "Objet non précisé dans l'annexe du document budgétaire"
NATURAL_PERSON = "P3"
VOTED_STAGES = (Stage.BP, Stage.DM, Stage.BS)
TEXT_COLUMNS = ("nomBeneficiaire", "idBeneficiaire", "objet", "montant")
"""Columns filled from the annex: checked on every row (the others on the first)."""

FILLED_BY_CONVENTION = Message(
    "L'annexe CONCOURS ne donne ni convention, ni modalités de versement : dateConvention = "
    "{date_rule}, conditionsVersement = « autre », datesPeriodeVersement = l'exercice, "
    "notificationUE = « non », pourcentageSubvention = 1. rnaBeneficiaire, idRAE et "
    "dispositifAide restent vides.",
    "The CONCOURS annex gives no convention nor payment terms: dateConvention = "
    "{date_rule}, conditionsVersement = 'autre', datesPeriodeVersement = the exercise, "
    "notificationUE = 'non', pourcentageSubvention = 1. rnaBeneficiaire, idRAE and "
    "dispositifAide stay empty.",
)
DATE_IS_DECISION = {"fr": "date de la décision budgétaire", "en": "date of the budget decision"}
DATE_IS_EXERCISE = {"fr": "1er janvier de l'exercice", "en": "1 January of the exercise"}
NO_ANNEX = Message(
    "le document n'a pas d'annexe CONCOURS (subventions).",
    "the document has no CONCOURS (subsidies) annex.",
)
SKIP_FIELDS = Message(
    "valeur non conforme au schéma pour {fields}", "value not valid under the schema for {fields}"
)


def _text(record: dict[str, str], name: str) -> str:
    return " ".join((record.get(name) or "").split())


def _object(record: dict[str, str], plan: Plan | None) -> str:
    for name in ("ObjSubv", "LibPrestaNat"):
        value = _text(record, name)
        if value:
            return value[:256]
    article = _text(record, "CodArticle")
    account = plan.account(article) if plan is not None and article else None
    return account.label[:256] if account is not None and account.label else NO_OBJECT


def _nature(record: dict[str, str]) -> str:
    in_kind = _text(record, "LibPrestaNat")
    if in_kind and in_kind not in (_text(record, "ObjSubv"), _text(record, "DenomOuNumSubv")):
        return CASH_AND_KIND
    return CASH


def _iso_date(value: str | None) -> str | None:
    try:
        return date.fromisoformat((value or "").strip()[:10]).isoformat()
    except ValueError:
        return None


def _beneficiary_siret(record: dict[str, str]) -> str:
    legal_form = _text(record, "CodNatJurBenefCA").upper()
    number = _text(record, "Siret")
    if legal_form and legal_form != NATURAL_PERSON and len(number) == 14 and number.isdigit():
        return number
    return ""


def build(doc: BudgetDocument, plan: Plan | None) -> Table:
    header = doc.header
    number = siret(doc)
    name = establishment_name(doc)
    if header.exer is None:
        raise ExportError(
            NAME, Message("l'exercice (Exer) est absent.", "the year (Exer) is missing.")
        )
    if number is None or name is None:
        raise ExportError(
            NAME,
            Message(
                "le SIRET (14 chiffres) ou le nom de la collectivité est absent.",
                "the authority's 14-digit SIRET or name is missing.",
            ),
        )
    records = doc.records("CONCOURS")
    if not records:
        raise NothingToExport(NAME, NO_ANNEX)
    schema = load_schema(SUBVENTIONS)
    checker = RowChecker(schema, only=TEXT_COLUMNS)
    stage = header.stage
    decision_date = _iso_date(header.dte_dec) if stage in VOTED_STAGES else None
    date_rule = DATE_IS_DECISION if decision_date else DATE_IS_EXERCISE
    table = Table(
        name=NAME,
        fields=tuple(f["name"] for f in schema["fields"]),
        document={"siret": number, "name": name, "exer": header.exer, "stage": header.nat_dec},
        notes=[
            Message(
                FILLED_BY_CONVENTION.fr.replace("{date_rule}", date_rule["fr"]),
                FILLED_BY_CONVENTION.en.replace("{date_rule}", date_rule["en"]),
            )
        ],
    )
    reference = f"{stage.label_fr} {header.exer}" if stage is not None else str(header.exer)
    common = {
        "nomAttribuant": name,
        "idAttribuant": number,
        "dateConvention": decision_date or f"{header.exer}-01-01",
        "referenceDecision": reference,
        "conditionsVersement": "autre",
        "datesPeriodeVersement": f"{header.exer}-01-01/{header.exer}-12-31",
        "notificationUE": "non",
        "pourcentageSubvention": "1.00",
        "rnaBeneficiaire": "",
        "idRAE": "",
        "dispositifAide": "",
    }
    for index, record in enumerate(doc.record_rows("CONCOURS")):
        row = dict(common)
        row.update(
            nomBeneficiaire=_text(record, "LibOrgaBenef"),
            idBeneficiaire=_beneficiary_siret(record),
            objet=_object(record, plan),
            montant=amount(to_decimal(record.get("MtSubv"))),
            nature=_nature(record),
        )
        problems = checker.problems(row, every_field=index == 0)
        if problems:
            reason = SKIP_FIELDS.with_params(fields=", ".join(problems))
            table.skipped.append(SkippedRow(index, records[index].sourceline, reason))
            continue
        table.rows.append(row)
    return table
