"""Key financial indicators of a budget document: savings, debt, years to repay it.

The usual definitions of the French local-finance analysis (DGCL, « Les finances des
collectivités locales »; OFGL), computed from the document alone, with the same lines and
amount as the explorer's big numbers (``aggregation.Selection``: real operations,
carried-over results 001/002 left out, ``MtReal`` for a CA/CFU, ``MtPrev`` for a BP/BS and
the voted change for a DM):

- RRF: real operating receipts **without asset disposals** (nature 775, « produits des
  cessions d'immobilisations »: a one-off, not a recurring receipt). The ratios documents
  print themselves (``InformationsGenerales``, the loans annex's ratio record) sometimes
  count them (Mohon 2023, Montreuil 2017), sometimes not (Montreuil 2018–2021).
- DRF: real operating spending, interest included.
- Épargne brute (gross savings) = RRF − DRF.
- Remboursement du capital: real investment spending on natures 16 (loans and debts),
  **without** 165 (deposits received, returned to their owners), 166 (refinancing: the
  same amount is borrowed and repaid), 16449 and 1645 (drawings on revolving credit
  lines, repaid within the year: cash management, not debt), 1688 (accrued interest)
  and 169 (bond redemption premiums). This is, to the cent, the capital the
  ``EMPRUNT`` annex reports as repaid in the samples (Montreuil 2018: 22,859,525.86 €).
- Épargne nette (net savings) = épargne brute − remboursement du capital.
- Encours de la dette at 31 December: ``MtCapitalRestDu_31_12`` of the authority's own
  loans in the ``EMPRUNT`` annex (``CodTypEmpr`` 01 "normal" and 02 "for other bodies";
  not 05/06, which repeat renegotiated loans already listed, nor 09, loans the authority
  only guarantees, nor the ratio record 10 or the annex's total rows, which have no
  type), without drawings on revolving credit lines (articles 16449, 1645); else the
  remaining amount of the ``DETTE`` annex (other long-term debts); ``None`` without
  either annex.
- Capacité de désendettement = encours / épargne brute, in years; ``None`` when the
  épargne brute is nil or negative (the authority then saves nothing to repay its debt:
  the ratio means nothing), or for a DM or BS (their amounts change the year's budget,
  they are not a year's savings).
- Population: ``PopTot`` of ``InformationsGenerales`` (written "109 834" or "105608");
  ``None`` when absent or 0 (budgets annexes write 0). Per-inhabitant amounts need it.

The result is plain JSON (amounts as strings with two decimals), stored with the
document: its shape is a contract with the pages (``version`` says which).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from .aggregation.index import line_index
from .aggregation.ruleset import Selection
from .messages import Message
from .model import BudgetDocument, Stage, to_decimal
from .nomenclature import Plan, find_plan

VERSION = 1
CENT = Decimal("0.01")
TENTH = Decimal("0.1")

ASSET_DISPOSALS = ("775",)
DEBT_NATURES = "16"
NOT_CAPITAL_REPAID = ("165", "166", "16449", "1645", "1688", "169")
OWN_LOANS = ("01", "02")
NOT_OUTSTANDING = ("16449", "1645")
CHANGE_STAGES = (Stage.DM, Stage.BS)
AMOUNTS = (
    "rrf",
    "drf",
    "epargne_brute",
    "remboursement_capital",
    "epargne_nette",
    "encours_dette",
)
PER_INHABITANT = ("rrf", "drf", "epargne_brute", "epargne_nette", "encours_dette")
KEYS = ("population", *AMOUNTS, "capacite_desendettement")

LABELS: dict[str, Message] = {
    "population": Message("Population", "Population"),
    "rrf": Message("Recettes réelles de fonctionnement (RRF)", "Real operating receipts (RRF)"),
    "drf": Message("Dépenses réelles de fonctionnement (DRF)", "Real operating spending (DRF)"),
    "epargne_brute": Message("Épargne brute", "Gross savings (épargne brute)"),
    "remboursement_capital": Message("Remboursement du capital de la dette", "Debt capital repaid"),
    "epargne_nette": Message("Épargne nette", "Net savings (épargne nette)"),
    "encours_dette": Message(
        "Encours de la dette au 31 décembre", "Outstanding debt at 31 December"
    ),
    "capacite_desendettement": Message("Capacité de désendettement", "Debt repayment capacity"),
}

DEFINITIONS: dict[str, Message] = {
    "population": Message(
        "Population totale déclarée dans le document (PopTot des informations générales) ; "
        "les montants par habitant la divisent. Non indiquée quand le document n'en donne "
        "pas (ou donne 0, comme les budgets annexes).",
        "Total population given in the document (PopTot of its general information); the "
        "per-inhabitant amounts divide by it. Not shown when the document gives none (or "
        "gives 0, as budgets annexes do).",
    ),
    "rrf": Message(
        "Recettes de fonctionnement des opérations réelles (hors opérations d'ordre), sans "
        "le résultat reporté (002) ni les produits des cessions d'immobilisations (775), "
        "recette exceptionnelle. Montants réalisés pour un compte administratif ou "
        "financier unique, crédits nouveaux pour un budget, variation votée pour une "
        "décision modificative.",
        "Operating receipts of real operations (accounting ordre operations left out), "
        "without the carried-over result (002) nor asset disposals (775), a one-off "
        "receipt. Realised amounts for an account (CA, CFU), new credits for a budget, "
        "the voted change for an amending budget.",
    ),
    "drf": Message(
        "Dépenses de fonctionnement des opérations réelles, intérêts de la dette compris, "
        "sans le résultat reporté (002).",
        "Operating spending of real operations, debt interest included, without the "
        "carried-over result (002).",
    ),
    "epargne_brute": Message(
        "RRF − DRF : ce que le fonctionnement dégage pour rembourser la dette et investir "
        "(aussi appelée capacité d'autofinancement brute).",
        "RRF − DRF: what operations leave to repay the debt and invest (also called gross "
        "self-financing capacity).",
    ),
    "remboursement_capital": Message(
        "Dépenses réelles d'investissement aux comptes 16 (emprunts et dettes), hors "
        "dépôts et cautionnements (165), refinancements (166), tirages sur lignes de "
        "trésorerie et remboursements temporaires (16449, 1645), intérêts courus (1688) "
        "et primes de remboursement (169), qui ne réduisent pas la dette.",
        "Real investment spending on accounts 16 (loans and debts), without deposits "
        "(165), refinancing (166), drawings on revolving credit lines and temporary "
        "repayments (16449, 1645), accrued interest (1688) and redemption premiums (169), "
        "which do not reduce the debt.",
    ),
    "epargne_nette": Message(
        "Épargne brute − remboursement du capital : ce qui reste pour investir sans "
        "emprunter. Négative, les remboursements ne sont pas couverts par le "
        "fonctionnement.",
        "Gross savings − capital repaid: what is left to invest without borrowing. When "
        "negative, operations do not cover the repayments.",
    ),
    "encours_dette": Message(
        "Capital restant dû au 31 décembre des emprunts de la collectivité, d'après "
        "l'annexe des emprunts (hors emprunts seulement garantis, lignes de trésorerie et "
        "doublons des emprunts renégociés), à défaut l'annexe des autres dettes. Non "
        "indiqué quand le document n'a aucune de ces annexes.",
        "Capital still owed at 31 December on the authority's own loans, from the loans "
        "annex (loans it only guarantees, credit-line drawings and repeated renegotiated "
        "loans left out), else the other-debts annex. Not shown when the document has "
        "neither annex.",
    ),
    "capacite_desendettement": Message(
        "Encours de la dette ÷ épargne brute : le nombre d'années qu'il faudrait pour "
        "rembourser toute la dette en y consacrant toute l'épargne brute. Non calculée "
        "quand l'épargne brute est nulle ou négative (la collectivité n'épargne alors rien "
        "pour rembourser : le ratio n'a pas de sens), ni pour une décision modificative "
        "ou un budget supplémentaire, dont les montants modifient le budget de l'année.",
        "Outstanding debt ÷ gross savings: the years it would take to repay the whole "
        "debt with all the gross savings. Not computed when gross savings are nil or "
        "negative (the authority then saves nothing to repay: the ratio means nothing), "
        "nor for an amending or supplementary budget, whose amounts change the year's "
        "budget.",
    ),
    "par_habitant": Message(
        "Montant divisé par la population du document, arrondi au centime.",
        "Amount divided by the document's population, rounded to the cent.",
    ),
}


def parse_population(value: str | None) -> int | None:
    """``PopTot`` as written ("109 834", "105608"); None when absent, unreadable or 0."""
    if not value:
        return None
    digits = "".join(value.split())  # also drops non-breaking and narrow spaces
    if not digits.isdigit():
        return None
    population = int(digits)
    return population or None


def _sum(records: list[dict[str, str]], field: str) -> Decimal:
    return sum((to_decimal(r.get(field)) or Decimal(0) for r in records), Decimal(0))


def outstanding_debt(doc: BudgetDocument) -> Decimal | None:
    """Capital owed at 31 December (see the module's docstring), None without an annex."""
    loans = doc.record_rows("EMPRUNT")
    if loans:
        own = [
            loan
            for loan in loans
            if loan.get("CodTypEmpr") in OWN_LOANS
            and not (loan.get("CodArticle") or "").startswith(NOT_OUTSTANDING)
        ]
        return _sum(own, "MtCapitalRestDu_31_12")
    debts = doc.record_rows("DETTE")
    if debts:
        return _sum(debts, "MtRestDette")
    return None


def line_totals(doc: BudgetDocument, plan: Plan | None) -> dict[str, Decimal]:
    """RRF, DRF and capital repaid from the lines the explorer counts."""
    totals = dict.fromkeys(("rrf", "drf", "remboursement_capital"), Decimal(0))
    for entry in line_index(doc, Selection(), plan).entries:
        rdfi, nature = entry.rdfi, entry.nature
        if rdfi == "RF" and not nature.startswith(ASSET_DISPOSALS):
            totals["rrf"] += entry.amount
        elif rdfi == "DF":
            totals["drf"] += entry.amount
        elif (
            rdfi == "DI"
            and nature.startswith(DEBT_NATURES)
            and not nature.startswith(NOT_CAPITAL_REPAID)
        ):
            totals["remboursement_capital"] += entry.amount
    return totals


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def compute(
    doc: BudgetDocument, *, plan: Plan | None = None, plans_dir: str | Path | None = None
) -> dict[str, Any]:
    """The indicators of ``doc`` as JSON-ready data (shape: see ``VERSION`` and KEYS).

    The plan de comptes (for the section of each line) is looked up like the
    aggregation does, from the document's year and nomenclature, unless given.
    """
    header = doc.header
    if plan is None and header.exer and header.nomenclature:
        plan = find_plan(header.exer, header.nomenclature, plans_dir=plans_dir)
    amounts: dict[str, Decimal | None] = dict(line_totals(doc, plan))
    amounts["epargne_brute"] = amounts["rrf"] - amounts["drf"]
    amounts["epargne_nette"] = amounts["epargne_brute"] - amounts["remboursement_capital"]
    amounts["encours_dette"] = outstanding_debt(doc)
    population = parse_population(doc.general_information.get("PopTot"))
    return {
        "version": VERSION,
        "population": population,
        **{key: _money(amounts[key]) for key in AMOUNTS},
        "capacite_desendettement": _years(
            amounts["encours_dette"], amounts["epargne_brute"], header.stage
        ),
        "par_habitant": {key: _per_inhabitant(amounts[key], population) for key in PER_INHABITANT},
    }


def _years(debt: Decimal | None, savings: Decimal | None, stage: Stage | None) -> str | None:
    if debt is None or savings is None or savings <= 0 or stage in CHANGE_STAGES:
        return None
    return str((debt / savings).quantize(TENTH, rounding=ROUND_HALF_UP))


def _per_inhabitant(amount: Decimal | None, population: int | None) -> str | None:
    if amount is None or not population:
        return None
    return _money(amount / population)


def definitions(lang: str) -> dict[str, str]:
    """The text shown next to each indicator (``KEYS`` and ``par_habitant``)."""
    return {key: message.text(lang) for key, message in DEFINITIONS.items()}


def labels(lang: str) -> dict[str, str]:
    """The name of each indicator in ``lang``."""
    return {key: message.text(lang) for key, message in LABELS.items()}
