"""Layer 5: the codes of each budget line against the plan de comptes of the year.

Totals added by an enrichment step (``BudgetLine.calculated``) are not the authority's
lines and are skipped. A code missing from the year's plan but present in the previous or
next year's is common (a document keeps last year's code) and only reported as information.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from ..messages import Message
from ..model import AMOUNT_FIELDS, MAX_AMOUNT, BudgetDocument, BudgetLine, parse_amount
from ..nomenclature import Plan, find_merged_plan
from .locate import line_path
from .metadata import PlanChoice, safe_code
from .report import ERROR, INFO, LAYER_CODES, WARNING, FindingCollector

CURRENT_YEAR_AMOUNTS = tuple(name for name in AMOUNT_FIELDS if name != "MtBudgPrec")
"""Every amount but last year's budget: a line with none of them moves no money."""
THIRD_PARTY_PREFIX = "45"
"""Operations for third parties vote their credits per operation: ContNat is the account
followed by the operation number (4581001, 45411)."""

_HINT_CODE = Message(
    "Corrigez l'imputation de la ligne dans votre logiciel financier (avec le plan de "
    "comptes de l'exercice) puis exportez à nouveau le document.",
    "Fix the line's account in your finance software (using the year's plan de comptes) and "
    "export the document again.",
)
_HINT_OTHER_YEAR = Message(
    "Vérifiez que le code est toujours ouvert cette année ; sinon, utilisez le compte qui le "
    "remplace.",
    "Check that the code is still open this year; otherwise use the account that replaces it.",
)
_CODRD = Message(
    "Ligne budgétaire {index} : le sens (CodRD) est absent ou n'est ni R (recette) ni D (dépense).",
    "Budget line {index}: the direction (CodRD) is missing or neither R (revenue) nor D (expense).",
)
_OPBUDG = Message(
    "Ligne budgétaire {index} : le type d'opération (OpBudg) est absent ou n'est ni 0 (réelle) "
    "ni 1 (d'ordre).",
    "Budget line {index}: the operation type (OpBudg) is missing or neither 0 (real) nor "
    "1 (ordre).",
)
_AMOUNT_OUT_OF_RANGE = Message(
    "Ligne budgétaire {index} : le montant {field} dépasse un million de milliards d'euros ; "
    "il n'est pas pris en compte.",
    "Budget line {index}: the amount {field} exceeds a million billion euros; it is not "
    "taken into account.",
)
_HINT_AMOUNT = Message(
    "Vérifiez le montant saisi dans votre logiciel financier (séparateur décimal, zéros en "
    "trop) puis exportez à nouveau le document.",
    "Check the amount entered in your finance software (decimal separator, extra zeros) "
    "and export the document again.",
)
_NATURE_UNKNOWN = Message(
    "Ligne budgétaire {index} : le compte par nature {code} n'existe pas dans le plan de "
    "comptes {nomenclature} {year}.",
    "Budget line {index}: nature account {code} does not exist in the {nomenclature} {year} "
    "plan de comptes.",
)
_NATURE_OTHER_YEAR = Message(
    "Ligne budgétaire {index} : le compte par nature {code} n'existe pas dans le plan de "
    "comptes {year} mais dans celui de {other}.",
    "Budget line {index}: nature account {code} is not in the {year} plan de comptes but in "
    "the {other} one.",
)
_NATURE_DELETED = Message(
    "Ligne budgétaire {index} : le compte par nature {code} est supprimé dans le plan de "
    "comptes {nomenclature} {year}{empty_fr}.",
    "Budget line {index}: nature account {code} is deleted in the {nomenclature} {year} plan "
    "de comptes{empty_en}.",
)
_FONCTION_UNKNOWN = Message(
    "Ligne budgétaire {index} : la fonction {code} n'existe pas dans le plan de comptes "
    "{nomenclature} {year}.",
    "Budget line {index}: function {code} does not exist in the {nomenclature} {year} plan de "
    "comptes.",
)
_FONCTION_OTHER_YEAR = Message(
    "Ligne budgétaire {index} : la fonction {code} n'existe pas dans le plan de comptes {year} "
    "mais dans celui de {other}.",
    "Budget line {index}: function {code} is not in the {year} plan de comptes but in the "
    "{other} one.",
)
_CONTNAT_UNKNOWN = Message(
    "Ligne budgétaire {index} : le niveau de vote (ContNat) {code} n'est ni un chapitre ni un "
    "article du plan de comptes {nomenclature} {year} ; la section est déduite du compte "
    "par nature.",
    "Budget line {index}: the voting level (ContNat) {code} is neither a chapter nor an "
    "article of the {nomenclature} {year} plan de comptes; the section is derived from the "
    "nature account.",
)


class _CodeCheck:
    def __init__(
        self,
        doc: BudgetDocument,
        choice: PlanChoice,
        collector: FindingCollector,
        plans_dir: str | Path | None,
    ) -> None:
        self.doc = doc
        self.plan = choice.plan
        self.exact = choice.exact
        self.collector = collector
        self.plans_dir = plans_dir
        self.year = doc.header.exer or self.plan.exer

    @cached_property
    def neighbours(self) -> Plan | None:
        """The plan completed by N-1 and N+1 codes; built only if a code is missing."""
        return find_merged_plan(self.year, self.plan.nomenclature, plans_dir=self.plans_dir)

    def _other_year(self, code: str) -> int | None:
        merged = self.neighbours
        year = merged.year_of(code) if merged is not None else None
        return year if year is not None and year != self.plan.exer else None

    def _add(
        self,
        code: str,
        severity: str,
        message: Message,
        hint: Message,
        line: BudgetLine,
        field: str,
    ) -> None:
        self.collector.add(
            code,
            severity,
            LAYER_CODES,
            message,
            hint,
            line=line.sourceline,
            path=line_path(line.index, field),
        )

    def _params(self, line: BudgetLine, code: str | None) -> dict[str, object]:
        return {
            "index": line.index + 1,
            "code": safe_code(code),
            "nomenclature": self.plan.nomenclature,
            "year": self.plan.exer,
        }

    def run(self) -> None:
        for line in self.doc.lines:
            if line.calculated:
                continue
            self._enums(line)
            self._amounts(line)
            self._nature(line)
            self._fonction(line)
            self._cont_nat(line)

    def _enums(self, line: BudgetLine) -> None:
        params = {"index": line.index + 1}
        if (line.cod_rd or "").strip() not in ("R", "D"):
            self._add(
                "codrd_invalid", ERROR, _CODRD.with_params(**params), _HINT_CODE, line, "CodRD"
            )
        if (line.op_budg or "").strip() not in ("0", "1"):
            self._add(
                "opbudg_invalid", ERROR, _OPBUDG.with_params(**params), _HINT_CODE, line, "OpBudg"
            )

    def _amounts(self, line: BudgetLine) -> None:
        """Numbers too large to be amounts (a format error is the XSD layer's finding)."""
        for field in AMOUNT_FIELDS:
            if field in line.amounts:
                continue
            value = parse_amount(line.fields.get(field))
            if value is not None and (not value.is_finite() or abs(value) >= MAX_AMOUNT):
                message = _AMOUNT_OUT_OF_RANGE.with_params(index=line.index + 1, field=field)
                self._add("amount_out_of_range", ERROR, message, _HINT_AMOUNT, line, field)

    def _unknown_severity(self) -> str:
        """A code absent from another year's plan may be new this year: not an error."""
        return ERROR if self.exact else WARNING

    def _nature(self, line: BudgetLine) -> None:
        code = (line.nature or "").strip()
        if not code:
            return
        account = self.plan.account(code)
        if account is None:
            params = self._params(line, code)
            other = self._other_year(code)
            if other is not None:
                message = _NATURE_OTHER_YEAR.with_params(**params, other=other)
                self._add("nature_other_year", INFO, message, _HINT_OTHER_YEAR, line, "Nature")
            else:
                message = _NATURE_UNKNOWN.with_params(**params)
                self._add(
                    "nature_unknown",
                    self._unknown_severity(),
                    message,
                    _HINT_CODE,
                    line,
                    "Nature",
                )
        elif account.supprime:
            moves = any(line.amount(name) for name in CURRENT_YEAR_AMOUNTS)
            message = _NATURE_DELETED.with_params(
                **self._params(line, code),
                empty_fr="" if moves else " (la ligne ne porte aucun montant de l'exercice)",
                empty_en="" if moves else " (the line carries no amount for the year)",
            )
            code_name, severity = (
                ("nature_deleted", WARNING) if moves else ("nature_deleted_empty", INFO)
            )
            self._add(code_name, severity, message, _HINT_OTHER_YEAR, line, "Nature")

    def _fonction(self, line: BudgetLine) -> None:
        code = (line.fonction or "").strip()
        if not code or self.plan.function(code) is not None:
            return
        params = self._params(line, code)
        other = self._other_year(code)
        if other is not None:
            message = _FONCTION_OTHER_YEAR.with_params(**params, other=other)
            self._add("fonction_other_year", INFO, message, _HINT_OTHER_YEAR, line, "Fonction")
        else:
            message = _FONCTION_UNKNOWN.with_params(**params)
            self._add(
                "fonction_unknown",
                self._unknown_severity(),
                message,
                _HINT_CODE,
                line,
                "Fonction",
            )

    def _cont_nat(self, line: BudgetLine) -> None:
        code = (line.cont_nat or "").strip()
        if not code or self._known_vote_level(code) or self._other_year(code) is not None:
            return
        message = _CONTNAT_UNKNOWN.with_params(**self._params(line, code))
        self._add("contnat_unknown", WARNING, message, _HINT_CODE, line, "ContNat")

    def _known_vote_level(self, code: str) -> bool:
        plan = self.plan
        if plan.chapter(code) or plan.function_chapter(code) or plan.account(code):
            return True
        if not code.startswith(THIRD_PARTY_PREFIX):
            return False
        for cut in range(len(code) - 1, len(THIRD_PARTY_PREFIX), -1):
            prefix, rest = code[:cut], code[cut:]
            if rest.isdigit() and (plan.account(prefix) or plan.chapter(prefix)):
                return True
        return False


def check_codes(
    doc: BudgetDocument,
    choice: PlanChoice,
    collector: FindingCollector,
    *,
    plans_dir: str | Path | None = None,
) -> None:
    """Layer 5 over every line that is not a calculated total."""
    _CodeCheck(doc, choice, collector, plans_dir).run()
