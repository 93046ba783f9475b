"""The words of a budget in plain language, defined once for every page that uses them.

Pages show each term where it appears, its definition one click away without
JavaScript (``<details>``, template ``budget/snippets/term.html``); the budget page
lists them all. French and English, like every core message.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Message


@dataclass(frozen=True)
class Term:
    key: str
    term: Message
    definition: Message


def _term(key: str, fr: str, en: str, def_fr: str, def_en: str) -> Term:
    return Term(key, Message(fr, en), Message(def_fr, def_en))


TERMS: tuple[Term, ...] = (
    _term(
        "fonctionnement",
        "Fonctionnement",
        "Operating section (fonctionnement)",
        "Les dépenses et recettes courantes, qui reviennent chaque année : salaires, "
        "énergie, entretien, subventions aux associations, impôts locaux, dotations de "
        "l'État.",
        "Day-to-day spending and receipts that come back every year: pay, energy, "
        "maintenance, subsidies to associations, local taxes, State grants.",
    ),
    _term(
        "investissement",
        "Investissement",
        "Capital section (investissement)",
        "Ce qui change durablement le patrimoine : construire ou rénover une école, une "
        "route, acheter du matériel, emprunter et rembourser le capital des emprunts.",
        "What lastingly changes the authority's assets: building or renovating a school, "
        "a road, buying equipment, borrowing and repaying loan capital.",
    ),
    _term(
        "BP",
        "Budget primitif (BP)",
        "Initial budget (BP)",
        "Le budget voté au début de l'année (ou en fin d'année précédente) : les crédits "
        "que la collectivité prévoit de dépenser et les recettes qu'elle attend.",
        "The budget voted at the start of the year (or at the end of the previous one): "
        "the credits the authority plans to spend and the receipts it expects.",
    ),
    _term(
        "DM",
        "Décision modificative (DM)",
        "Amending decision (DM)",
        "Un vote en cours d'année qui modifie les crédits du budget primitif.",
        "A vote during the year that changes the credits of the initial budget.",
    ),
    _term(
        "BS",
        "Budget supplémentaire (BS)",
        "Supplementary budget (BS)",
        "Une décision modificative particulière qui reprend les résultats et les restes à "
        "réaliser de l'année précédente.",
        "A special amending decision that carries forward the previous year's results and "
        "commitments.",
    ),
    _term(
        "CA",
        "Compte administratif (CA)",
        "Administrative account (CA)",
        "Le bilan de l'année écoulée : ce qui a réellement été dépensé et encaissé "
        "(réalisé), voté après la clôture de l'exercice.",
        "The account of the past year: what was really spent and received (realised), "
        "voted after the year is closed.",
    ),
    _term(
        "CFU",
        "Compte financier unique (CFU)",
        "Single financial account (CFU)",
        "Le document qui remplace le compte administratif et le compte de gestion du "
        "comptable public ; obligatoire pour toutes les collectivités à partir des "
        "comptes 2026.",
        "The document that replaces the administrative account and the public "
        "accountant's account; mandatory for every authority from the 2026 accounts.",
    ),
    _term(
        "epargne_brute",
        "Épargne brute",
        "Gross savings (épargne brute)",
        "Recettes réelles de fonctionnement moins dépenses réelles de fonctionnement : ce "
        "qui reste pour rembourser la dette et investir.",
        "Real operating receipts minus real operating spending: what is left to repay "
        "the debt and invest.",
    ),
    _term(
        "taux_epargne",
        "Taux d'épargne",
        "Savings rate",
        "L'épargne brute divisée par les recettes réelles de fonctionnement : la part des "
        "recettes courantes qui n'est pas dépensée en fonctionnement.",
        "Gross savings divided by real operating receipts: the share of day-to-day "
        "receipts not spent on operations.",
    ),
    _term(
        "capacite_desendettement",
        "Capacité de désendettement",
        "Debt repayment capacity",
        "L'encours de la dette divisé par l'épargne brute : le nombre d'années qu'il "
        "faudrait pour rembourser toute la dette en y consacrant toute l'épargne brute.",
        "Outstanding debt divided by gross savings: the years it would take to repay the "
        "whole debt with all the gross savings.",
    ),
    _term(
        "reel",
        "Opérations réelles",
        "Real operations",
        "Les opérations qui font entrer ou sortir de l'argent de la collectivité. Les "
        "chiffres du portail ne comptent qu'elles.",
        "Operations through which money comes in or goes out. The portal's figures count "
        "only these.",
    ),
    _term(
        "ordre",
        "Opérations d'ordre",
        "Accounting (ordre) operations",
        "Des écritures comptables sans mouvement d'argent (amortissements, transferts "
        "entre sections), inscrites en dépense et en recette : laissées hors des chiffres.",
        "Accounting entries without money moving (depreciation, transfers between "
        "sections), recorded as spending and receipts: left out of the figures.",
    ),
    _term(
        "fonction",
        "Fonction",
        "Function (public policy)",
        "La politique publique à laquelle une dépense est rattachée (enseignement, "
        "culture, sport, social…). Les communes de moins de 3 500 habitants ne votent "
        "pas par fonction : leurs dépenses sont présentées par nature.",
        "The public policy an item of spending serves (education, culture, sport, social "
        "care…). Communes under 3,500 inhabitants do not vote by function: their "
        "spending is shown by nature.",
    ),
    _term(
        "nature",
        "Nature",
        "Nature",
        "Ce qu'est une dépense ou une recette (salaires, achats, impôts, emprunts…), "
        "d'après le plan de comptes.",
        "What an item of spending or receipts is (pay, purchases, taxes, loans…), from "
        "the plan de comptes.",
    ),
)
"""Every term, in the order the full glossary lists them."""

BY_KEY = {term.key: term for term in TERMS}


def glossary(lang: str) -> dict[str, tuple[str, str]]:
    """Each term's key → (term, definition) in ``lang``."""
    return {t.key: (t.term.text(lang), t.definition.text(lang)) for t in TERMS}
