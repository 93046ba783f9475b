"""Layer 6: balances of the budget lines, calculated totals excluded.

The rules were observed on real documents, not taken from an official list, so severities
follow how sure they are:

- CA/CFU, ordre operations: total expenses = total revenues. Every ordre operation is a
  double entry (an expense in one account, the same revenue in another), so a gap means
  lines are missing or miscoded: an **error**.
- BP, each section balanced on ``MtPrev`` + ``MtRARPrec`` (carry-overs 001/002 included):
  the CGCT (L1612-4) requires it but allows a surplus in some cases (L1612-7): a **warning**.
- BP, ``CredOuv`` = ``MtPrev`` + ``MtRARPrec`` on every line carrying it: a **warning**.
- DM, net change per section zero: a DM may be voted in surplus too: a **warning**.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ..messages import Message
from ..model import BudgetDocument, BudgetLine, Stage
from ..nomenclature import Plan
from .locate import line_path
from .money import amount_params
from .report import ERROR, INFO, LAYER_BALANCES, WARNING, FindingCollector

SECTIONS = {"F": ("fonctionnement", "operating"), "I": ("investissement", "investment")}

_HINT_BALANCE = Message(
    "Vérifiez dans votre logiciel financier que toutes les lignes du document ont été "
    "exportées et que le sens (CodRD) et la section des lignes concernées sont justes.",
    "Check in your finance software that every line of the document was exported and that "
    "the direction (CodRD) and section of the lines involved are right.",
)
_HINT_ORDRE = Message(
    "Chaque opération d'ordre a une dépense et une recette de même montant : cherchez la "
    "ligne manquante ou dont le type d'opération (OpBudg) ou le sens (CodRD) est faux, puis "
    "exportez à nouveau le document.",
    "Every ordre operation has an expense and a revenue of the same amount: look for the "
    "missing line, or the one whose operation type (OpBudg) or direction (CodRD) is wrong, "
    "then export the document again.",
)
_SECTION_UNKNOWN = Message(
    "{count} ligne(s) budgétaire(s) sans section (fonctionnement ou investissement) "
    "déterminable : les équilibres par section ne sont pas vérifiés.",
    "{count} budget line(s) without a determinable section (operating or investment): "
    "section balances are not checked.",
)
_BP_SECTION = Message(
    "Budget primitif : la section de {section_fr} n'est pas équilibrée (prévisions et restes "
    "à réaliser, reports 001/002 compris) : recettes {revenue_fr}, dépenses {expense_fr}, "
    "écart {gap_fr}.",
    "Initial budget: the {section_en} section is not balanced (forecasts and carried-over "
    "credits, 001/002 carry-overs included): revenue {revenue_en}, expenses {expense_en}, "
    "gap {gap_en}.",
)
_CREDOUV = Message(
    "Ligne budgétaire {index} : les crédits ouverts (CredOuv, {opened_fr}) ne sont pas la "
    "somme des prévisions et des restes à réaliser (MtPrev + MtRARPrec = {expected_fr}).",
    "Budget line {index}: opened credits (CredOuv, {opened_en}) are not the sum of forecasts "
    "and carried-over credits (MtPrev + MtRARPrec = {expected_en}).",
)
_CA_ORDRE = Message(
    "Les opérations d'ordre réalisées ne s'équilibrent pas : dépenses {expense_fr}, recettes "
    "{revenue_fr}, écart {gap_fr}.",
    "Realised ordre operations do not balance: expenses {expense_en}, revenue {revenue_en}, "
    "gap {gap_en}.",
)
_DM_SECTION = Message(
    "Décision modificative : les mouvements de la section de {section_fr} ne s'équilibrent "
    "pas : recettes {revenue_fr}, dépenses {expense_fr}, écart {gap_fr}.",
    "Amending budget: the changes in the {section_en} section do not balance: revenue "
    "{revenue_en}, expenses {expense_en}, gap {gap_en}.",
)

Totals = dict[tuple[str, str], Decimal]


class _BalanceCheck:
    def __init__(self, doc: BudgetDocument, plan: Plan, collector: FindingCollector) -> None:
        self.doc = doc
        self.plan = plan
        self.collector = collector
        self.lines = doc.detail_lines
        budget = doc.budget
        self.budget_line = budget.sourceline if budget is not None else None

    def _add(self, code: str, severity: str, message: Message, hint: Message) -> None:
        self.collector.add(
            code, severity, LAYER_BALANCES, message, hint, line=self.budget_line, path="Budget"
        )

    def run(self) -> None:
        stage = self.doc.header.stage
        if stage is Stage.BP:
            self._sections(("MtPrev", "MtRARPrec"), "balance_bp_section", _BP_SECTION)
            self._opened_credits()
        elif stage is Stage.DM:
            self._sections(("MtPrev",), "balance_dm_section", _DM_SECTION)
        elif stage is not None and stage.is_realised:
            self._ordre()

    def _section_totals(self, fields: tuple[str, ...]) -> Totals | None:
        totals: Totals = defaultdict(Decimal)
        unknown = 0
        for line in self.lines:
            section = self.plan.section_of(line)
            side = (line.cod_rd or "").strip()
            if section not in SECTIONS or side not in ("R", "D"):
                unknown += 1
                continue
            totals[(section, side)] += sum((line.amount(f) for f in fields), Decimal(0))
        if unknown:
            message = _SECTION_UNKNOWN.with_params(count=unknown)
            self._add("balance_section_unknown", INFO, message, _HINT_BALANCE)
            return None
        return totals

    def _sections(self, fields: tuple[str, ...], code: str, template: Message) -> None:
        totals = self._section_totals(fields)
        if totals is None:
            return
        for section, (name_fr, name_en) in SECTIONS.items():
            revenue, expense = totals[(section, "R")], totals[(section, "D")]
            if revenue != expense:
                message = template.with_params(
                    section_fr=name_fr,
                    section_en=name_en,
                    **amount_params(revenue=revenue, expense=expense, gap=revenue - expense),
                )
                self._add(code, WARNING, message, _HINT_BALANCE)

    def _opened_credits(self) -> None:
        for line in self.lines:
            opened = line.amounts.get("CredOuv")
            if opened is None:
                continue
            expected = line.amount("MtPrev") + line.amount("MtRARPrec")
            if opened != expected:
                self._line_finding(line, opened, expected)

    def _line_finding(self, line: BudgetLine, opened: Decimal, expected: Decimal) -> None:
        message = _CREDOUV.with_params(
            index=line.index + 1, **amount_params(opened=opened, expected=expected)
        )
        self.collector.add(
            "credouv_bp_line",
            WARNING,
            LAYER_BALANCES,
            message,
            _HINT_BALANCE,
            line=line.sourceline,
            path=line_path(line.index, "CredOuv"),
        )

    def _ordre(self) -> None:
        expense = revenue = Decimal(0)
        for line in self.lines:
            if (line.op_budg or "").strip() != "1":
                continue
            side = (line.cod_rd or "").strip()
            if side == "D":
                expense += line.amount("MtReal")
            elif side == "R":
                revenue += line.amount("MtReal")
        if expense != revenue:
            message = _CA_ORDRE.with_params(
                **amount_params(expense=expense, revenue=revenue, gap=revenue - expense)
            )
            self._add("balance_ca_ordre", ERROR, message, _HINT_ORDRE)


def check_balances(doc: BudgetDocument, plan: Plan, collector: FindingCollector) -> None:
    """Layer 6; ``plan`` classifies lines into sections (a merged plan resolves more)."""
    _BalanceCheck(doc, plan, collector).run()
