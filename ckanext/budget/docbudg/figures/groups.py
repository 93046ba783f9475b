"""Where the money comes from and where it goes: a document's counted lines in a few
groups a citizen recognises, defined once here.

The lines are those of the big numbers (:mod:`..conventions`, OFGL: real operations,
carried-over results 001/002 left out, asset disposals 775 with investment receipts,
neutral debt operations 166/16449/1645 left out and shown apart), each counted in exactly
one group: a line goes to the first group of its side that takes it, and every side ends
with « autres », so receipts' groups add up to ``RF`` + ``RI`` and spending's groups to
``DF`` + ``DI`` to the cent.

- **Receipts** by nature: taxes (73), grants and shares from the State and others (74),
  sales of services (70), capital subsidies received (13), investment funds (10: FCTVA,
  taxe d'aménagement, capitalised surplus), new borrowing (16 without 165, 166, 16449,
  1645, 1688, 169 — the analysis's ``emprunts_nouveaux``), disposals (775, 024), other.
- **Spending** by nature: staff (chapter 012, accounts 64), general costs (011, accounts
  60–63), subsidies paid (657 operating, 204 capital), interest and financial costs (66),
  equipment (20 without 204, 21, 23), debt repaid (the analysis's
  ``remboursement_capital``), other.
- **Spending by public policy**: by top-level function of the plan de comptes, for the
  documents that vote by function (communes under 3,500 inhabitants do not:
  :func:`votes_by_function`).

Computed at processing time with the financial analysis (stored under ``groupes``), read
back typed by :func:`stored_groups`; labels and definitions in both languages from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..aggregation.index import Entry
from ..messages import Message
from ..nomenclature import Plan

ZERO = Decimal(0)
RECEIPTS, SPENDING = "recettes", "depenses"
KEYS = ("RF", "RI", "DF", "DI")
NO_FUNCTION, OTHER_FUNCTION = "sans-fonction", "autres"
NOT_CAPITAL = ("165", "166", "16449", "1645", "1688", "169")
"""Accounts 16 that neither bring new money nor repay capital (see ``analysis``)."""


def _debt(nature: str) -> bool:
    return nature.startswith("16") and not nature.startswith(NOT_CAPITAL)


@dataclass(frozen=True)
class GroupRule:
    """One group: its key, name, the accounts it takes (in words) and the test."""

    key: str
    label: Message
    accounts: Message
    takes: Callable[[Entry], bool]


def _rule(key: str, fr: str, en: str, acc_fr: str, acc_en: str, takes: Callable) -> GroupRule:
    return GroupRule(key, Message(fr, en), Message(acc_fr, acc_en), takes)


RECEIPT_GROUPS: tuple[GroupRule, ...] = (
    _rule(
        "impots_taxes",
        "Impôts et taxes",
        "Taxes",
        "Recettes de fonctionnement aux comptes 73 (taxes foncières, fiscalité "
        "reversée, taxes sur l'électricité, droits de mutation…).",
        "Operating receipts on accounts 73 (property taxes, taxes shared by the "
        "intercommunality, electricity taxes, transfer duties…).",
        lambda e: e.rdfi == "RF" and e.nature.startswith("73"),
    ),
    _rule(
        "dotations_participations",
        "Dotations et participations",
        "State grants and contributions",
        "Recettes de fonctionnement aux comptes 74 : dotations de l'État (DGF…), "
        "participations d'autres collectivités et organismes.",
        "Operating receipts on accounts 74: State grants (DGF…), contributions of other "
        "authorities and bodies.",
        lambda e: e.rdfi == "RF" and e.nature.startswith("74"),
    ),
    _rule(
        "produits_services",
        "Produits des services",
        "Sales of services",
        "Recettes de fonctionnement aux comptes 70 : cantines, crèches, locations, "
        "redevances payées par les usagers.",
        "Operating receipts on accounts 70: canteens, nurseries, rents, fees paid by users.",
        lambda e: e.rdfi == "RF" and e.nature.startswith("70"),
    ),
    _rule(
        "subventions_recues",
        "Subventions d'investissement reçues",
        "Capital subsidies received",
        "Recettes d'investissement aux comptes 13 : subventions de l'État, de la région, "
        "du département… pour des équipements.",
        "Investment receipts on accounts 13: subsidies of the State, the region, the "
        "département… for equipment.",
        lambda e: e.rdfi == "RI" and e.nature.startswith("13"),
    ),
    _rule(
        "fonds_investissement",
        "Dotations et fonds d'investissement",
        "Investment funds",
        "Recettes d'investissement aux comptes 10 : remboursement de TVA (FCTVA, 10222), "
        "taxe d'aménagement, excédents de fonctionnement capitalisés (1068).",
        "Investment receipts on accounts 10: VAT refunds (FCTVA, 10222), development tax, "
        "capitalised operating surplus (1068).",
        lambda e: e.rdfi == "RI" and e.nature.startswith("10"),
    ),
    _rule(
        "emprunts",
        "Emprunts nouveaux",
        "New borrowing",
        "Recettes d'investissement aux comptes 16, hors dépôts (165), refinancements "
        "(166), lignes de trésorerie (16449, 1645), intérêts courus (1688) et primes "
        "(169).",
        "Investment receipts on accounts 16, without deposits (165), refinancing (166), "
        "revolving credit (16449, 1645), accrued interest (1688) and premiums (169).",
        lambda e: e.rdfi == "RI" and _debt(e.nature),
    ),
    _rule(
        "cessions",
        "Ventes de biens (cessions)",
        "Asset disposals",
        "Produits des cessions d'immobilisations (775 ; au budget, chapitre 024), "
        "présentés avec les recettes d'investissement.",
        "Asset disposals (775; in a budget, chapter 024), shown with investment receipts.",
        lambda e: e.cod_rd == "R" and (e.nature.startswith("775") or e.nature == "024"),
    ),
    _rule(
        "autres",
        "Autres recettes",
        "Other receipts",
        "Toutes les autres recettes réelles : atténuations de charges (013), revenus des "
        "immeubles et autres produits de gestion (75), produits financiers (76) et "
        "exceptionnels (77), dépôts reçus (165)…",
        "Every other real receipt: cost reductions (013), rents and other management "
        "income (75), financial (76) and exceptional income (77), deposits received "
        "(165)…",
        lambda e: e.cod_rd == "R",
    ),
)

SPENDING_GROUPS: tuple[GroupRule, ...] = (
    _rule(
        "personnel",
        "Personnel",
        "Staff",
        "Charges de personnel : chapitre 012 (salaires et cotisations, comptes 64, "
        "personnel extérieur 621, impôts sur les salaires 631, 633).",
        "Staff costs: chapter 012 (pay and contributions, accounts 64, outside staff 621, "
        "payroll taxes 631, 633).",
        lambda e: e.rdfi == "DF" and (e.chapter == "012" or e.nature.startswith("64")),
    ),
    _rule(
        "charges_generales",
        "Charges à caractère général",
        "General running costs",
        "Chapitre 011 : achats, énergie, entretien, assurances, prestations de services "
        "(comptes 60, 61, 62 et 63 hors personnel).",
        "Chapter 011: purchases, energy, maintenance, insurance, services (accounts 60, "
        "61, 62 and 63 except staff).",
        lambda e: (
            e.rdfi == "DF" and (e.chapter == "011" or e.nature.startswith(("60", "61", "62", "63")))
        ),
    ),
    _rule(
        "subventions_versees",
        "Subventions versées",
        "Subsidies paid",
        "Subventions de fonctionnement aux associations et organismes (657) et "
        "subventions d'équipement versées (204).",
        "Operating subsidies to associations and bodies (657) and capital grants paid (204).",
        lambda e: (
            (e.rdfi == "DF" and e.nature.startswith("657"))
            or (e.rdfi == "DI" and e.nature.startswith("204"))
        ),
    ),
    _rule(
        "interets",
        "Intérêts et frais financiers",
        "Interest and financial costs",
        "Charges financières (comptes 66), dont les intérêts des emprunts (6611).",
        "Financial costs (accounts 66), loan interest (6611) included.",
        lambda e: e.rdfi == "DF" and e.nature.startswith("66"),
    ),
    _rule(
        "equipement",
        "Équipement",
        "Equipment",
        "Dépenses d'équipement : comptes 20 (sans 204), 21 et 23 — bâtiments, voirie, "
        "matériel, études, travaux en cours.",
        "Capital expenditure: accounts 20 (without 204), 21 and 23 — buildings, roads, "
        "equipment, studies, works in progress.",
        lambda e: e.rdfi == "DI" and e.nature.startswith(("20", "21", "23")),
    ),
    _rule(
        "remboursement_dette",
        "Remboursement de la dette",
        "Debt repayment",
        "Capital des emprunts remboursé : dépenses aux comptes 16, hors dépôts (165), "
        "refinancements (166), lignes de trésorerie (16449, 1645), intérêts courus "
        "(1688) et primes (169).",
        "Loan capital repaid: spending on accounts 16, without deposits (165), "
        "refinancing (166), revolving credit (16449, 1645), accrued interest (1688) and "
        "premiums (169).",
        lambda e: e.rdfi == "DI" and _debt(e.nature),
    ),
    _rule(
        "autres",
        "Autres dépenses",
        "Other spending",
        "Toutes les autres dépenses réelles : atténuations de produits (014), "
        "indemnités des élus et contingents obligatoires (65 hors 657), charges "
        "exceptionnelles (67), dépenses imprévues, autres immobilisations (26, 27)…",
        "Every other real spending: reductions of income (014), elected officials' "
        "allowances and mandatory contributions (65 except 657), exceptional costs (67), "
        "contingencies, other assets (26, 27)…",
        lambda e: e.cod_rd == "D",
    ),
)

FUNCTION_WORDS = {
    NO_FUNCTION: Message("Non ventilé (sans fonction)", "Not broken down by function"),
    OTHER_FUNCTION: Message(
        "Fonctions absentes du plan de comptes", "Functions missing from the plan de comptes"
    ),
}
FUNCTIONS_DEFINITION = Message(
    "Dépenses réelles (fonctionnement et investissement) par grande politique publique : "
    "la fonction de premier niveau du plan de comptes à laquelle le document rattache "
    "chaque ligne.",
    "Real spending (operating and investment) by main public policy: the top-level "
    "function of the plan de comptes the document assigns each line to.",
)
BY_FUNCTION_SHARE = Decimal("0.5")
"""A document votes by function when at least this share of its spending has one."""


@dataclass(frozen=True)
class GroupShare:
    """One group as pages show it: name, what it counts, amount, share of the side."""

    key: str
    label: str
    definition: str
    amount: Decimal
    share: Decimal | None
    """Of the side's total (0–1); None when the total is not positive."""


@dataclass(frozen=True)
class Groups:
    """Receipts and spending of a document in groups (see the module's docstring)."""

    receipts: list[GroupShare]
    spending: list[GroupShare]
    """By function when :attr:`by_function`, else by nature."""
    spending_by_nature: list[GroupShare]
    by_function: bool
    receipts_total: Decimal
    spending_total: Decimal


def _top_function(plan: Plan | None, code: str) -> tuple[str, str] | None:
    """(code, label) of the top-level function above ``code``; None when unknown."""
    if plan is None:
        return None
    found = plan.function(code)
    seen = 0
    while found is not None and found.parent and seen < 20:
        parent = plan.function(found.parent)
        if parent is None:
            break
        found, seen = parent, seen + 1
    return None if found is None else (found.code, found.label)


def _add(into: dict[str, Decimal], key: str, amount: Decimal) -> None:
    into[key] = into.get(key, ZERO) + amount


def _first(rules: tuple[GroupRule, ...], entry: Entry) -> str:
    return next(rule.key for rule in rules if rule.takes(entry))


def compute(entries: Iterable[Entry], plan: Plan | None) -> dict[str, Any]:
    """The groups of a document's counted lines (``analysis``' entries), as stored JSON:
    amounts as strings, groups in their display order, functions with the plan's label."""
    receipts: dict[str, Decimal] = {}
    spending: dict[str, Decimal] = {}
    functions: dict[str, Decimal] = {}
    labels: dict[str, str] = {}
    for entry in entries:
        if entry.rdfi not in KEYS:
            continue  # no section: not in the big numbers either
        if entry.cod_rd == "R":
            _add(receipts, _first(RECEIPT_GROUPS, entry), entry.amount)
            continue
        _add(spending, _first(SPENDING_GROUPS, entry), entry.amount)
        if not entry.fonction:
            key = NO_FUNCTION
        else:
            top = _top_function(plan, entry.fonction)
            key, label = top if top is not None else (OTHER_FUNCTION, "")
            if label:
                labels[key] = label
        _add(functions, key, entry.amount)
    by_function = votes_by_function(sum(spending.values(), ZERO), functions.get(NO_FUNCTION, ZERO))
    order = sorted(
        functions, key=lambda k: (k in (NO_FUNCTION, OTHER_FUNCTION), k == NO_FUNCTION, k)
    )
    return {
        RECEIPTS: [
            {"cle": r.key, "montant": str(receipts[r.key])}
            for r in RECEIPT_GROUPS
            if r.key in receipts
        ],
        SPENDING: [
            {"cle": r.key, "montant": str(spending[r.key])}
            for r in SPENDING_GROUPS
            if r.key in spending
        ],
        "fonctions": [
            {"cle": k, "libelle": labels.get(k, ""), "montant": str(functions[k])} for k in order
        ],
        "par_fonction": by_function,
    }


def votes_by_function(spending_total: Decimal, without_function: Decimal) -> bool:
    """Whether figures are shown by function first: at least half of the spending has a
    function (communes under 3,500 inhabitants vote by nature, without functions)."""
    if spending_total <= 0:
        return False
    return spending_total - without_function >= spending_total * BY_FUNCTION_SHARE


def _shares(rows: list[tuple[str, str, str, Decimal]]) -> tuple[list[GroupShare], Decimal]:
    total = sum((amount for *_, amount in rows), ZERO)
    return [
        GroupShare(key, label, definition, amount, amount / total if total > 0 else None)
        for key, label, definition, amount in rows
    ], total


def stored_groups(stored: Mapping[str, Any] | None, lang: str) -> Groups | None:
    """The stored groups of a document's analysis, in ``lang``; None when not computed."""
    found = (stored or {}).get("groupes")
    if not isinstance(found, Mapping):
        return None
    rules = {
        RECEIPTS: {r.key: r for r in RECEIPT_GROUPS},
        SPENDING: {r.key: r for r in SPENDING_GROUPS},
    }

    def by_nature(side: str) -> list[tuple[str, str, str, Decimal]]:
        return [
            (row["cle"], rule.label.text(lang), rule.accounts.text(lang), Decimal(row["montant"]))
            for row in found.get(side) or []
            if (rule := rules[side].get(row["cle"])) is not None
        ]

    receipts, receipts_total = _shares(by_nature(RECEIPTS))
    spending, spending_total = _shares(by_nature(SPENDING))
    functions, _ = _shares(
        [
            (
                row["cle"],
                FUNCTION_WORDS[row["cle"]].text(lang)
                if row["cle"] in FUNCTION_WORDS
                else row.get("libelle") or row["cle"],
                FUNCTIONS_DEFINITION.text(lang),
                Decimal(row["montant"]),
            )
            for row in found.get("fonctions") or []
        ]
    )
    by_function = bool(found.get("par_fonction"))
    return Groups(
        receipts=receipts,
        spending=functions if by_function else spending,
        spending_by_nature=spending,
        by_function=by_function,
        receipts_total=receipts_total,
        spending_total=spending_total,
    )
