"""Layers 2 and 4: what the document is (CFU or not) and who, when, which stage, which plan.

Values are never quoted back, except codes that cannot be a person's name (they must hold a
digit and only code characters, see :func:`safe_code`): a header field may have been filled
with anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from ..messages import Message
from ..model import BudgetDocument, Stage, q
from ..nomenclature import Plan, find_plan
from .locate import readable_path
from .report import ERROR, INFO, LAYER_METADATA, LAYER_STRUCTURE, WARNING, FindingCollector
from .siret import siren_valid, siret_valid

FIRST_PLAUSIBLE_YEAR = 2000
YEARS_AHEAD = 2
"""A budget is voted at most the year before; two years ahead is already generous."""
KNOWN_STAGES = tuple(stage.value for stage in Stage)

_CODE = re.compile(r"^(?=.*\d)[A-Za-z0-9_.-]{1,40}$")
_NOT_SHOWN = "(…)"


def safe_code(value: str | None) -> str:
    """The value if it is code-like (a digit, code characters only), else a placeholder."""
    if value is not None and _CODE.match(value.strip()):
        return value.strip()
    return _NOT_SHOWN


_HINT_EXPORT = Message(
    "Corrigez la saisie dans TotEM ou dans votre logiciel financier puis exportez à nouveau "
    "le document.",
    "Fix the entry in TotEM or your finance software and export the document again.",
)
_CFU = Message(
    "Compte financier unique : seule sa partie budgétaire (DocumentBudgetaire, ligne {line}) "
    "est validée et publiée ; la partie comptable ne l'est pas.",
    "Compte financier unique (single financial account): only its budget part "
    "(DocumentBudgetaire, line {line}) is validated and published; the accounting part is "
    "not.",
)
_SIRET_MISSING = Message(
    "Le document ne donne aucun SIRET (ni IdEtab, ni IdColl) : il ne pourra pas être relié "
    "à la collectivité dans les données ouvertes.",
    "The document gives no SIRET (neither IdEtab nor IdColl): it cannot be linked to the "
    "authority in open data.",
)
_SIRET_MISSING_HINT = Message(
    "Renseignez le SIRET du budget (EnTeteBudget/IdEtab) dans votre logiciel et exportez à "
    "nouveau le document.",
    "Fill in the budget's SIRET (EnTeteBudget/IdEtab) in your software and export the "
    "document again.",
)
_SIRET_FORMAT = Message(
    "{field} doit être un numéro {kind} de {digits_fr} chiffres ; la valeur saisie compte "
    "{length} caractère(s) ou contient autre chose que des chiffres.",
    "{field} must be a {kind} number of {digits_en} digits; the value entered has {length} "
    "character(s) or holds something other than digits.",
)
_SIRET_CHECKSUM = Message(
    "{field} n'est pas un numéro {kind} valide : sa clé de contrôle (algorithme de Luhn) est "
    "fausse, probablement une faute de frappe.",
    "{field} is not a valid {kind} number: its check digit (Luhn algorithm) is wrong, most "
    "likely a typo.",
)
_SIRET_HINT = Message(
    "Vérifiez le numéro sur l'annuaire des entreprises (annuaire-entreprises.data.gouv.fr), "
    "corrigez-le dans votre logiciel et exportez à nouveau le document.",
    "Check the number in the business directory (annuaire-entreprises.data.gouv.fr), fix it "
    "in your software and export the document again.",
)
_EXER_MISSING = Message(
    "L'exercice (BlocBudget/Exer) est absent.",
    "The financial year (BlocBudget/Exer) is missing.",
)
_EXER_INVALID = Message(
    "L'exercice (BlocBudget/Exer) n'est pas une année (4 chiffres attendus).",
    "The financial year (BlocBudget/Exer) is not a year (4 digits expected).",
)
_EXER_IMPLAUSIBLE = Message(
    "L'exercice {year} n'est pas plausible (attendu entre {first} et {last}).",
    "Financial year {year} is not plausible (expected between {first} and {last}).",
)
_NATDEC_MISSING = Message(
    "La nature du document (BlocBudget/NatDec : budget primitif, décision modificative…) "
    "est absente.",
    "The document's stage (BlocBudget/NatDec: initial budget, amending budget…) is missing.",
)
_NATDEC_UNKNOWN = Message(
    "La nature du document (BlocBudget/NatDec) n'est pas une étape budgétaire connue ; "
    "valeurs permises : {known}.",
    "The document's stage (BlocBudget/NatDec) is not a known budget stage; allowed values: "
    "{known}.",
)
_NATDEC_HINT = Message(
    "Choisissez l'étape dans votre logiciel : 01 budget primitif, 02 décision modificative, "
    "03 budget supplémentaire, 09 compte administratif, 10 compte financier unique.",
    "Choose the stage in your software: 01 initial budget, 02 amending budget, "
    "03 supplementary budget, 09 administrative account, 10 single financial account.",
)
_NOMENCLATURE_MISSING = Message(
    "La nomenclature comptable (EnTeteBudget/Nomenclature, par ex. M57-M57) est absente.",
    "The accounting nomenclature (EnTeteBudget/Nomenclature, e.g. M57-M57) is missing.",
)
_NOMENCLATURE_UNKNOWN = Message(
    "La nomenclature « {nomenclature} » n'existe dans aucun plan de comptes connu du portail.",
    "Nomenclature '{nomenclature}' exists in no plan de comptes the portal knows.",
)
_NOMENCLATURE_HINT = Message(
    "Vérifiez la norme et sa déclinaison (M14-M14_COM_SUP3500, M57-M57_A, M4-M43_D…) dans "
    "votre logiciel. Si la nomenclature est nouvelle, demandez à l'administrateur du portail "
    "d'importer son plan de comptes.",
    "Check the norm and its variant (M14-M14_COM_SUP3500, M57-M57_A, M4-M43_D…) in your "
    "software. If the nomenclature is new, ask the portal administrator to import its plan "
    "de comptes.",
)
_PLAN_OTHER_YEAR = Message(
    "Le portail n'a pas le plan de comptes {nomenclature} de {year} : les codes sont "
    "vérifiés avec celui de {used}.",
    "The portal has no {nomenclature} plan de comptes for {year}: codes are checked against "
    "the {used} one.",
)
_PLAN_OTHER_YEAR_HINT = Message(
    "Rien à faire pour vous ; l'administrateur du portail peut importer le plan de comptes "
    "officiel de l'année (commande d'import des plans de comptes).",
    "Nothing to do on your side; the portal administrator can import the official plan de "
    "comptes for the year (plan import command).",
)


@dataclass(frozen=True)
class PlanChoice:
    """The plan the code and balance checks use, and whether it is the document's year."""

    plan: Plan
    exact: bool


class _Metadata:
    def __init__(self, doc: BudgetDocument, collector: FindingCollector) -> None:
        self.doc = doc
        self.top = doc.budget_root
        self.collector = collector
        budget = doc.budget
        self.entete_doc = self.top.find(q("EnTeteDocBudgetaire"))
        self.entete = budget.find(q("EnTeteBudget")) if budget is not None else None
        self.bloc = budget.find(q("BlocBudget")) if budget is not None else None

    def _field(self, parent: etree._Element | None, name: str) -> etree._Element | None:
        return parent.find(q(name)) if parent is not None else None

    def _add(
        self,
        code: str,
        severity: str,
        message: Message,
        hint: Message | None,
        element: etree._Element | None,
        fallback: etree._Element | None = None,
    ) -> None:
        where = element if element is not None else fallback
        self.collector.add(
            code,
            severity,
            LAYER_METADATA,
            message,
            hint,
            line=where.sourceline if where is not None else None,
            path=readable_path(where, self.top) if where is not None else None,
        )

    def check_sirets(self) -> None:
        id_etab = self._field(self.entete, "IdEtab")
        id_coll = self._field(self.entete_doc, "IdColl")
        if id_etab is None and id_coll is None:
            self._add(
                "siret_missing", WARNING, _SIRET_MISSING, _SIRET_MISSING_HINT, None, self.entete
            )
        if id_etab is not None:
            self._check_siret(id_etab, "IdEtab", allow_siren=False)
        if id_coll is not None:
            self._check_siret(id_coll, "IdColl", allow_siren=True)

    def _check_siret(self, element: etree._Element, name: str, *, allow_siren: bool) -> None:
        value = (element.get("V") or "").strip()
        if allow_siren and len(value) == 9:
            kind, digits, valid = "SIREN", 9, siren_valid(value)
        else:
            kind, digits, valid = "SIRET", 14, siret_valid(value)
        params = {"field": name, "kind": kind, "length": len(value)}
        if not (len(value) == digits and value.isdigit() and value.isascii()):
            if allow_siren:
                params.update(kind="SIREN/SIRET", digits_fr="9 ou 14", digits_en="9 or 14")
            else:
                params.update(digits_fr=str(digits), digits_en=str(digits))
            self._add(
                "siret_format",
                ERROR,
                _SIRET_FORMAT.with_params(**params),
                _SIRET_HINT,
                element,
            )
        elif not valid:
            self._add(
                "siret_checksum",
                ERROR,
                _SIRET_CHECKSUM.with_params(**params),
                _SIRET_HINT,
                element,
            )

    def check_year(self) -> int | None:
        element = self._field(self.bloc, "Exer")
        if element is None:
            self._add("exer_missing", ERROR, _EXER_MISSING, _HINT_EXPORT, None, self.bloc)
            return None
        value = (element.get("V") or "").strip()
        if not (len(value) == 4 and value.isdigit() and value.isascii()):
            self._add("exer_invalid", ERROR, _EXER_INVALID, _HINT_EXPORT, element)
            return None
        year = int(value)
        last = date.today().year + YEARS_AHEAD
        if not FIRST_PLAUSIBLE_YEAR <= year <= last:
            message = _EXER_IMPLAUSIBLE.with_params(
                year=year, first=FIRST_PLAUSIBLE_YEAR, last=last
            )
            self._add("exer_implausible", ERROR, message, _HINT_EXPORT, element)
            return None
        return year

    def check_stage(self) -> None:
        element = self._field(self.bloc, "NatDec")
        if element is None:
            self._add("natdec_missing", ERROR, _NATDEC_MISSING, _NATDEC_HINT, None, self.bloc)
        elif (element.get("V") or "").strip() not in KNOWN_STAGES:
            message = _NATDEC_UNKNOWN.with_params(known=", ".join(KNOWN_STAGES))
            self._add("natdec_unknown", ERROR, message, _NATDEC_HINT, element)

    def check_plan(self, year: int | None, plans_dir: str | Path | None) -> PlanChoice | None:
        element = self._field(self.entete, "Nomenclature")
        nomenclature = (element.get("V") or "").strip() if element is not None else ""
        if not nomenclature:
            self._add(
                "nomenclature_missing",
                ERROR,
                _NOMENCLATURE_MISSING,
                _NOMENCLATURE_HINT,
                element,
                self.entete,
            )
            return None
        wanted = year if year is not None else date.today().year
        plan = find_plan(wanted, nomenclature, plans_dir=plans_dir)
        if plan is None:
            message = _NOMENCLATURE_UNKNOWN.with_params(nomenclature=safe_code(nomenclature))
            self._add("nomenclature_unknown", ERROR, message, _NOMENCLATURE_HINT, element)
            return None
        if year is None:
            return None  # the nomenclature exists, but without a year no plan applies
        if plan.exer != year:
            code, severity = (
                ("plan_previous_year", INFO)
                if plan.exer == year - 1
                else ("plan_other_year", WARNING)
            )
            message = _PLAN_OTHER_YEAR.with_params(
                nomenclature=plan.nomenclature, year=year, used=plan.exer
            )
            self._add(code, severity, message, _PLAN_OTHER_YEAR_HINT, element)
        return PlanChoice(plan, exact=plan.exer == year)


def report_structure(doc: BudgetDocument, collector: FindingCollector) -> None:
    """Layer 2: the reader already refused wrong roots; say when a CFU was unwrapped."""
    if doc.is_cfu:
        collector.add(
            "cfu_detected",
            INFO,
            LAYER_STRUCTURE,
            _CFU.with_params(line=doc.budget_root.sourceline),
            None,
            line=doc.budget_root.sourceline,
            path="DocumentBudgetaire",
        )


def check_metadata(
    doc: BudgetDocument, collector: FindingCollector, *, plans_dir: str | Path | None = None
) -> PlanChoice | None:
    """Layer 4; returns the plan de comptes for layers 5–7 (None when none applies)."""
    checks = _Metadata(doc, collector)
    checks.check_sirets()
    year = checks.check_year()
    checks.check_stage()
    return checks.check_plan(year, plans_dir)
