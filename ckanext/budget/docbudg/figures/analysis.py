"""The financial analysis of a budget document: the cascade of savings, investment, debt.

The cascade every French finance department and regional audit chamber uses (DGCL,
« Les finances des collectivités locales »; OFGL), computed from the document alone,
with the lines and amounts of the portal's big numbers (:mod:`.conventions`: real
operations, carried-over results 001/002 left out, asset disposals 775 with investment
receipts, neutral debt operations 166/16449/1645 apart; the stage's amounts, so a
BP/BS/DM gives the *prévisionnel* cascade on voted credits, a CA/CFU the realised one):

- ``rrf`` real operating receipts (class 7 and 013, without 775); ``drf`` real operating
  spending; ``interets_dette`` (6611); ``epargne_gestion`` = ``epargne_brute`` +
  ``interets_dette``; ``epargne_brute`` = ``rrf`` − ``drf``.
- ``remboursement_capital``: real investment spending on 16 **without** 165 (deposits
  returned), 166 (refinancing), 16449 and 1645 (revolving credit), 1688 (accrued
  interest) and 169 (redemption premiums) — to the cent the capital the ``EMPRUNT``
  annex reports as repaid in the samples (Montreuil 2018: 22,859,525.86 €);
  ``epargne_nette`` = ``epargne_brute`` − ``remboursement_capital``.
- ``depenses_equipement`` (20 without 204, 21, 23); ``subventions_equipement_versees``
  (204); ``emprunts_nouveaux`` (receipts 16 without the same exclusions); ``cessions``
  (775, or 024 where a budget votes them); ``refinancements`` (166) and ``tresorerie``
  (16449, 1645), expenditure side.
- ``encours_dette`` at 31 December: ``MtCapitalRestDu_31_12`` of the authority's own
  loans in the ``EMPRUNT`` annex (``CodTypEmpr`` 01, 02; not 05/06, renegotiated loans
  listed again, nor 09, guaranteed loans, nor the ratio record 10 or total rows),
  without revolving credit (16449, 1645); else the ``DETTE`` annex.
- ``capacite_desendettement`` = encours ÷ épargne brute, in years.
- ``population``: ``PopTot`` of ``InformationsGenerales``; per-inhabitant amounts need it.
- ``grands_chiffres``: the four big numbers exactly as pages show them, and the neutral
  operations left out of them (``operations_neutres``).
- ``groupes``: receipts and spending in the groups of :mod:`.groups` (where the money
  comes from and goes), every counted line in one group.
- ``subventions_detaillees``: subsidies in cash listed in the ``CONCOURS`` annex against
  the subsidies accounted in the lines (6574 and its M57 subdivisions): how complete the
  published detail is.

A figure that cannot be computed is ``None`` with a reason code in ``raisons`` (see
:data:`REASONS`). Plain JSON, amounts as strings to the cent, stored with the document:
its shape is a contract with the pages (``version`` says which).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import conventions
from ..aggregation.index import Entry, line_index
from ..aggregation.ruleset import Selection
from ..annex_tables import in_kind_help
from ..messages import Message
from ..model import BudgetDocument, to_decimal
from ..nomenclature import Plan, find_plan
from . import groups
from .big_numbers import BigNumbers, big_numbers

VERSION = 3 + 100 * conventions.VERSION
"""The stored shape's version; it follows the conventions' version too."""
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal(0)

DEBT_NATURES = "16"
NOT_CAPITAL = ("165", "166", "16449", "1645", "1688", "169")
INTEREST = ("6611",)
EQUIPMENT = ("20", "21", "23")
EQUIPMENT_SUBSIDIES = ("204",)
SUBSIDIES_PAID = ("6574",)
OWN_LOANS = ("01", "02")
NOT_OUTSTANDING = ("16449", "1645")
YEAR_END_CAPITAL = "MtCapitalRestDu_31_12"

CASCADE = (
    "rrf",
    "drf",
    "epargne_gestion",
    "interets_dette",
    "epargne_brute",
    "remboursement_capital",
    "epargne_nette",
)
"""The savings cascade, in the order the analysis reads it."""
INVESTMENT = (
    "depenses_equipement",
    "subventions_equipement_versees",
    "emprunts_nouveaux",
    "cessions",
    "refinancements",
    "tresorerie",
)
AMOUNTS = (*CASCADE, *INVESTMENT, "encours_dette")
PER_INHABITANT = AMOUNTS
KEYS = ("population", *AMOUNTS, "capacite_desendettement")
BIG_NUMBERS = {
    "recettes_fonctionnement": "RF",
    "depenses_fonctionnement": "DF",
    "recettes_investissement": "RI",
    "depenses_investissement": "DI",
}
REALISED, FORECAST = "realise", "previsionnel"

LABELS: dict[str, Message] = {
    "population": Message("Population", "Population"),
    "rrf": Message("Recettes réelles de fonctionnement (RRF)", "Real operating receipts (RRF)"),
    "drf": Message("Dépenses réelles de fonctionnement (DRF)", "Real operating spending (DRF)"),
    "interets_dette": Message("Intérêts de la dette", "Debt interest"),
    "epargne_gestion": Message("Épargne de gestion", "Operating surplus (épargne de gestion)"),
    "epargne_brute": Message("Épargne brute", "Gross savings (épargne brute)"),
    "remboursement_capital": Message("Remboursement du capital de la dette", "Debt capital repaid"),
    "epargne_nette": Message("Épargne nette", "Net savings (épargne nette)"),
    "depenses_equipement": Message("Dépenses d'équipement", "Capital expenditure"),
    "subventions_equipement_versees": Message(
        "Subventions d'équipement versées", "Capital grants paid"
    ),
    "emprunts_nouveaux": Message("Emprunts nouveaux", "New borrowing"),
    "cessions": Message("Produits des cessions d'immobilisations", "Asset disposals"),
    "refinancements": Message("Refinancements de dette", "Debt refinancing"),
    "tresorerie": Message("Lignes de trésorerie", "Revolving credit lines"),
    "encours_dette": Message(
        "Encours de la dette au 31 décembre", "Outstanding debt at 31 December"
    ),
    "capacite_desendettement": Message("Capacité de désendettement", "Debt repayment capacity"),
}

DEFINITIONS: dict[str, Message] = {
    "population": Message(
        "Population totale déclarée dans le document (PopTot des informations générales) ; "
        "les montants par habitant la divisent.",
        "Total population given in the document (PopTot of its general information); the "
        "per-inhabitant amounts divide by it.",
    ),
    "rrf": Message(
        "Recettes de fonctionnement des opérations réelles (classe 7 et chapitre 013), sans "
        "le résultat reporté (002) ni les produits des cessions d'immobilisations (775), "
        "ressource d'investissement.",
        "Operating receipts of real operations (class 7 and chapter 013), without the "
        "carried-over result (002) nor asset disposals (775), an investment resource.",
    ),
    "drf": Message(
        "Dépenses de fonctionnement des opérations réelles (classe 6 et chapitre 014), "
        "intérêts de la dette compris, sans le résultat reporté (002).",
        "Operating spending of real operations (class 6 and chapter 014), debt interest "
        "included, without the carried-over result (002).",
    ),
    "interets_dette": Message(
        "Intérêts des emprunts et dettes (compte 6611), compris dans les DRF.",
        "Interest on loans and debts (account 6611), included in the DRF.",
    ),
    "epargne_gestion": Message(
        "RRF − (DRF − intérêts de la dette) : ce que le fonctionnement dégage avant de "
        "payer les intérêts.",
        "RRF − (DRF − debt interest): what operations leave before paying interest.",
    ),
    "epargne_brute": Message(
        "RRF − DRF : ce que le fonctionnement dégage pour rembourser la dette et investir "
        "(aussi appelée capacité d'autofinancement brute).",
        "RRF − DRF: what operations leave to repay the debt and invest (also called gross "
        "self-financing capacity).",
    ),
    "remboursement_capital": Message(
        "Dépenses réelles d'investissement aux comptes 16 (emprunts et dettes), hors "
        "dépôts et cautionnements (165), refinancements (166), lignes de trésorerie "
        "(16449, 1645), intérêts courus (1688) et primes de remboursement (169), qui ne "
        "réduisent pas la dette.",
        "Real investment spending on accounts 16 (loans and debts), without deposits "
        "(165), refinancing (166), revolving credit lines (16449, 1645), accrued interest "
        "(1688) and redemption premiums (169), which do not reduce the debt.",
    ),
    "epargne_nette": Message(
        "Épargne brute − remboursement du capital : ce qui reste pour investir sans "
        "emprunter. Négative, les remboursements ne sont pas couverts par le "
        "fonctionnement.",
        "Gross savings − capital repaid: what is left to invest without borrowing. When "
        "negative, operations do not cover the repayments.",
    ),
    "depenses_equipement": Message(
        "Dépenses réelles d'investissement aux comptes 20 (sans 204), 21 et 23 : "
        "immobilisations incorporelles, corporelles et en cours.",
        "Real investment spending on accounts 20 (without 204), 21 and 23: intangible, "
        "tangible and in-progress assets.",
    ),
    "subventions_equipement_versees": Message(
        "Subventions d'équipement versées à d'autres (compte 204).",
        "Capital grants paid to others (account 204).",
    ),
    "emprunts_nouveaux": Message(
        "Recettes réelles d'investissement aux comptes 16, hors 165, 166, 16449, 1645, "
        "1688 et 169 : l'argent emprunté dans l'année.",
        "Real investment receipts on accounts 16, without 165, 166, 16449, 1645, 1688 and "
        "169: the money borrowed in the year.",
    ),
    "cessions": Message(
        "Produits des cessions d'immobilisations (compte 775 ; au budget, chapitre 024 où "
        "elles sont votées), comptés avec les recettes d'investissement.",
        "Asset disposals (account 775; in a budget, chapter 024 where they are voted), "
        "counted with investment receipts.",
    ),
    "refinancements": Message(
        "Refinancements de dette (compte 166, côté dépenses) : opération neutre, laissée "
        "hors des dépenses et des recettes.",
        "Debt refinancing (account 166, spending side): a neutral operation, left out of "
        "spending and receipts.",
    ),
    "tresorerie": Message(
        "Remboursements de lignes de trésorerie (comptes 16449 et 1645, côté dépenses) : "
        "opérations neutres, laissées hors des dépenses et des recettes.",
        "Revolving credit repayments (accounts 16449 and 1645, spending side): neutral "
        "operations, left out of spending and receipts.",
    ),
    "encours_dette": Message(
        "Capital restant dû au 31 décembre des emprunts de la collectivité, d'après "
        "l'annexe des emprunts (hors emprunts seulement garantis, lignes de trésorerie et "
        "doublons des emprunts renégociés), à défaut l'annexe des autres dettes.",
        "Capital still owed at 31 December on the authority's own loans, from the loans "
        "annex (loans it only guarantees, credit-line drawings and repeated renegotiated "
        "loans left out), else the other-debts annex.",
    ),
    "capacite_desendettement": Message(
        "Encours de la dette ÷ épargne brute : le nombre d'années qu'il faudrait pour "
        "rembourser toute la dette en y consacrant toute l'épargne brute.",
        "Outstanding debt ÷ gross savings: the years it would take to repay the whole "
        "debt with all the gross savings.",
    ),
    "par_habitant": Message(
        "Montant divisé par la population du document, arrondi au centime.",
        "Amount divided by the document's population, rounded to the cent.",
    ),
    "subventions_detaillees": Message(
        "Subventions en numéraire détaillées dans l'annexe des concours attribués, "
        "rapportées aux subventions de fonctionnement comptabilisées au compte 6574 (et ses "
        "subdivisions M57) : la part du montant dont le détail est publié. L'annexe peut "
        "aussi lister des subventions à des organismes publics (657x), d'où un taux "
        "parfois supérieur à 100 %.",
        "Subsidies in cash detailed in the subsidies annex, against the operating "
        "subsidies accounted on 6574 (and its M57 subdivisions): the share of the amount "
        "whose detail is published. The annex may also list subsidies to public bodies "
        "(657x), so the ratio can exceed 100%.",
    ),
    "previsionnel": Message(
        "Prévisionnel : calculé sur les crédits votés (budget primitif, supplémentaire "
        "ou décision modificative), pas sur des montants réalisés.",
        "Forecast: computed on voted credits (budget, supplementary budget or amending "
        "decision), not on realised amounts.",
    ),
}

REASONS: dict[str, Message] = {
    "sans_population": Message(
        "le document ne donne pas de population (ou donne 0, comme les budgets annexes)",
        "the document gives no population (or 0, as budgets annexes do)",
    ),
    "sans_capital_31_12": Message(
        "l'annexe des emprunts ne donne pas le capital restant dû au 31 décembre (un "
        "budget ne le donne qu'au 1er janvier)",
        "the loans annex does not give the capital owed at 31 December (a budget gives it "
        "at 1 January only)",
    ),
    "sans_annexe_dette": Message(
        "le document n'a ni annexe des emprunts ni annexe des autres dettes",
        "the document has neither a loans annex nor an other-debts annex",
    ),
    "epargne_brute_negative": Message(
        "l'épargne brute est nulle ou négative : la collectivité n'épargne rien pour "
        "rembourser, le ratio n'a pas de sens",
        "gross savings are nil or negative: the authority saves nothing to repay, the "
        "ratio means nothing",
    ),
    "sans_annexe_concours": Message(
        "le document n'a pas d'annexe des concours attribués",
        "the document has no subsidies annex",
    ),
    "sans_subvention_comptee": Message(
        "aucune subvention n'est comptabilisée au compte 6574",
        "no subsidy is accounted on 6574",
    ),
}
"""Why a figure is ``None`` (``raisons`` of the stored indicators)."""


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
    return sum((to_decimal(r.get(field)) or ZERO for r in records), ZERO)


def outstanding_debt(doc: BudgetDocument) -> tuple[Decimal | None, str | None]:
    """Capital owed at 31 December (see the module's docstring), or None and the reason:
    no annex, or own loans listed without their capital at 31 December (budgets give it
    at 1 January only)."""
    loans = doc.record_rows("EMPRUNT")
    if loans:
        own = [
            loan
            for loan in loans
            if loan.get("CodTypEmpr") in OWN_LOANS
            and not (loan.get("CodArticle") or "").startswith(NOT_OUTSTANDING)
        ]
        if own and not any(to_decimal(loan.get(YEAR_END_CAPITAL)) is not None for loan in own):
            return None, "sans_capital_31_12"
        return _sum(own, YEAR_END_CAPITAL), None
    debts = doc.record_rows("DETTE")
    if debts:
        return _sum(debts, "MtRestDette"), None
    return None, "sans_annexe_dette"


def _is_debt(nature: str) -> bool:
    return nature.startswith(DEBT_NATURES) and not nature.startswith(NOT_CAPITAL)


_LINE_FIGURES: dict[str, Any] = {
    "rrf": lambda e: e.rdfi == "RF",
    "drf": lambda e: e.rdfi == "DF",
    "interets_dette": lambda e: e.rdfi == "DF" and e.nature.startswith(INTEREST),
    "remboursement_capital": lambda e: e.rdfi == "DI" and _is_debt(e.nature),
    "emprunts_nouveaux": lambda e: e.rdfi == "RI" and _is_debt(e.nature),
    "depenses_equipement": lambda e: (
        e.rdfi == "DI"
        and e.nature.startswith(EQUIPMENT)
        and not e.nature.startswith(EQUIPMENT_SUBSIDIES)
    ),
    "subventions_equipement_versees": lambda e: (
        e.rdfi == "DI" and e.nature.startswith(EQUIPMENT_SUBSIDIES)
    ),
    "cessions": lambda e: (
        e.cod_rd == "R"
        and (
            e.nature.startswith(conventions.ASSET_DISPOSALS)
            or e.nature in conventions.BUDGETED_DISPOSALS
        )
    ),
    "subventions_versees": lambda e: e.rdfi == "DF" and e.nature.startswith(SUBSIDIES_PAID),
}
"""Which counted lines make each figure taken from the lines."""


def line_totals(entries: list[Entry]) -> dict[str, Decimal]:
    """The figures taken from the lines the portal counts (:data:`_LINE_FIGURES`)."""
    totals = dict.fromkeys(_LINE_FIGURES, ZERO)
    for entry in entries:
        for key, counts in _LINE_FIGURES.items():
            if counts(entry):
                totals[key] += entry.amount
    return totals


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _neutral(numbers: BigNumbers, group: str, key: str) -> Decimal:
    return numbers.neutral.get(group, {}).get(key, ZERO)


def _big_numbers(numbers: BigNumbers) -> dict[str, Any]:
    out: dict[str, Any] = {name: _money(numbers[key]) for name, key in BIG_NUMBERS.items()}
    out["operations_neutres"] = {
        group.key: {
            "depenses": _money(_neutral(numbers, group.key, "DI")),
            "recettes": _money(_neutral(numbers, group.key, "RI")),
        }
        for group in conventions.NEUTRAL_GROUPS
    }
    return out


def _subsidies(doc: BudgetDocument, accounted: Decimal) -> tuple[dict[str, Any], str | None]:
    records = doc.record_rows("CONCOURS")
    if not records:
        return {"annexe": None, "comptes": _money(accounted), "taux": None}, "sans_annexe_concours"
    listed = _sum([r for r in records if not in_kind_help(r)], "MtSubv")
    ratio = None if not accounted else (listed / accounted).quantize(Decimal("0.0001"))
    found = {"annexe": _money(listed), "comptes": _money(accounted), "taux": _text(ratio)}
    return found, None if accounted else "sans_subvention_comptee"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def compute(
    doc: BudgetDocument, *, plan: Plan | None = None, numbers: BigNumbers | None = None
) -> dict[str, Any]:
    """The financial analysis of ``doc`` as JSON-ready data (shape: see ``VERSION``).

    The plan de comptes (for the section of each line) is looked up like the
    aggregation does, from the document's year and nomenclature, unless given; so are
    the document's big numbers (``numbers``: already computed with that plan).
    """
    header = doc.header
    if plan is None and header.exer and header.nomenclature:
        plan = find_plan(header.exer, header.nomenclature)
    if numbers is None:
        numbers = big_numbers(doc, plan)
    entries = line_index(doc, Selection(), plan).entries
    lines = line_totals(entries)
    amounts: dict[str, Decimal | None] = {key: lines[key] for key in AMOUNTS if key in lines}
    amounts["epargne_brute"] = lines["rrf"] - lines["drf"]
    amounts["epargne_gestion"] = amounts["epargne_brute"] + lines["interets_dette"]
    amounts["epargne_nette"] = amounts["epargne_brute"] - lines["remboursement_capital"]
    amounts["refinancements"] = _neutral(numbers, "refinancements", "DI")
    amounts["tresorerie"] = _neutral(numbers, "tresorerie", "DI")
    amounts["encours_dette"], no_debt = outstanding_debt(doc)
    population = parse_population(doc.general_information.get("PopTot"))
    reasons: dict[str, str] = {}
    if no_debt:
        reasons["encours_dette"] = no_debt
    years = _years(amounts["encours_dette"], amounts["epargne_brute"])
    if years is None:
        reasons["capacite_desendettement"] = reasons.get("encours_dette", "epargne_brute_negative")
    if population is None:
        reasons["population"] = reasons["par_habitant"] = "sans_population"
    subsidies, why = _subsidies(doc, lines["subventions_versees"])
    if why:
        reasons["subventions_detaillees"] = why
    return {
        "version": VERSION,
        "nature": FORECAST
        if header.stage is not None and not header.stage.is_realised
        else REALISED,
        "population": population,
        **{key: _money(amounts[key]) for key in AMOUNTS},
        "capacite_desendettement": _text(years),
        "par_habitant": {key: _per_inhabitant(amounts[key], population) for key in PER_INHABITANT},
        "grands_chiffres": _big_numbers(numbers),
        "subventions_detaillees": subsidies,
        "groupes": groups.compute(entries, plan),
        "raisons": reasons,
    }


def _years(debt: Decimal | None, savings: Decimal | None) -> Decimal | None:
    if debt is None or savings is None or savings <= 0:
        return None
    return (debt / savings).quantize(TENTH, rounding=ROUND_HALF_UP)


def _per_inhabitant(amount: Decimal | None, population: int | None) -> str | None:
    if amount is None or not population:
        return None
    return _money(amount / population)


def definitions(lang: str) -> dict[str, str]:
    """The text shown next to each indicator (``KEYS``, ``par_habitant``…)."""
    return {key: message.text(lang) for key, message in DEFINITIONS.items()}


def labels(lang: str) -> dict[str, str]:
    """The name of each indicator in ``lang``."""
    return {key: message.text(lang) for key, message in LABELS.items()}


def reasons(stored: Mapping[str, Any], lang: str) -> dict[str, str]:
    """Why each figure that is ``None`` could not be computed, in ``lang``."""
    return {
        key: REASONS[code].text(lang)
        for key, code in (stored.get("raisons") or {}).items()
        if code in REASONS
    }
