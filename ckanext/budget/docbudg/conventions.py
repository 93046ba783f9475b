"""How the portal presents a budget's lines: the OFGL conventions, written once.

Every figure the portal shows (the big numbers, the default presentations, the
authority's own presentations, the budget page, comparisons, embeds, the financial
analysis, ``budget-doc indicators``) counts lines through these rules, so that two pages
never answer « what are operating receipts? » differently. They follow the Observatoire
des finances et de la gestion publique locales (OFGL, data.ofgl.fr) and DOMAIN.md §9:

- real operations only (``OpBudg`` 0), carried-over results 001 and 002 left out (see
  ``aggregation.Selection``);
- **asset disposals** (nature 775, « produits des cessions d'immobilisations ») are an
  investment resource: accounted in the operating section, they are presented with the
  investment receipts, never as an operating receipt;
- **neutral debt operations** — refinancing (166) and drawings and repayments of
  revolving credit lines (16449, 1645) — appear on both sides for the same amount; they
  are left out of receipts and spending and shown apart with their amount.

The SCDL and lines exports keep every line as the document has it: they are data, not
presentations, and do not go through these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Message

VERSION = 2
"""Changes whenever a rule below changes what a figure counts: figures stored under
another version are computed again."""

ASSET_DISPOSALS = ("775",)
"""Receipts presented in the investment section whatever the plan says of them."""
BUDGETED_DISPOSALS = ("024",)
"""Where a budget (BP, BS, DM) votes the disposals a CA then records on 775: an
investment receipt already, counted with them by the analysis."""


@dataclass(frozen=True)
class NeutralGroup:
    """Debt operations that cancel out within the year, shown apart under one name."""

    key: str
    natures: tuple[str, ...]
    label: Message


NEUTRAL_GROUPS = (
    NeutralGroup(
        "refinancements",
        ("166",),
        Message("opérations de refinancement (166)", "refinancing operations (166)"),
    ),
    NeutralGroup(
        "tresorerie",
        ("16449", "1645"),
        Message(
            "tirages et remboursements de lignes de trésorerie (16449, 1645)",
            "revolving credit drawings and repayments (16449, 1645)",
        ),
    ),
)
NEUTRAL_NATURES = tuple(n for group in NEUTRAL_GROUPS for n in group.natures)


def presented_section(direction: str | None, nature: str, section: str) -> str:
    """The section a line is presented in: the plan's, except for asset disposals."""
    if direction == "R" and nature.startswith(ASSET_DISPOSALS):
        return "I"
    return section


def neutral_group(nature: str) -> NeutralGroup | None:
    """The group of neutral debt operations a nature belongs to, if any."""
    for group in NEUTRAL_GROUPS:
        if nature.startswith(group.natures):
            return group
    return None


DEFINITIONS: dict[str, Message] = {
    "RF": Message(
        "Recettes réelles de fonctionnement (classe 7 et chapitre 013), sans le résultat "
        "reporté (002) ni les produits des cessions d'immobilisations (775), présentés "
        "en investissement.",
        "Real operating receipts (class 7 and chapter 013), without the carried-over "
        "result (002) nor asset disposals (775), shown with investment receipts.",
    ),
    "DF": Message(
        "Dépenses réelles de fonctionnement (classe 6 et chapitre 014), intérêts de la "
        "dette compris, sans le résultat reporté (002).",
        "Real operating spending (class 6 and chapter 014), debt interest included, "
        "without the carried-over result (002).",
    ),
    "RI": Message(
        "Recettes réelles d'investissement (emprunts, subventions reçues, FCTVA…) et "
        "produits des cessions d'immobilisations (775), sans le solde reporté (001) ni "
        "les opérations neutres de dette (166, 16449, 1645).",
        "Real investment receipts (borrowing, subsidies received, VAT refunds…) and asset "
        "disposals (775), without the carried-over balance (001) nor neutral debt "
        "operations (166, 16449, 1645).",
    ),
    "DI": Message(
        "Dépenses réelles d'investissement (équipement, subventions versées, "
        "remboursement de la dette…), sans le solde reporté (001) ni les opérations "
        "neutres de dette (166, 16449, 1645).",
        "Real investment spending (equipment, subsidies paid, debt repayment…), without "
        "the carried-over balance (001) nor neutral debt operations (166, 16449, 1645).",
    ),
    "neutral": Message(
        "Refinancements (166) et tirages ou remboursements de lignes de trésorerie "
        "(16449, 1645) : inscrits en dépense et en recette pour le même montant, ils "
        "sont laissés hors des totaux et montrés à part (convention de l'OFGL).",
        "Refinancing (166) and revolving credit drawings or repayments (16449, 1645): "
        "recorded as spending and as receipts for the same amount, they are left out of "
        "the totals and shown apart (OFGL convention).",
    ),
}
"""The words shown with each big number (``RF``, ``DF``, ``RI``, ``DI``) and with the
neutral operations left out of them."""
