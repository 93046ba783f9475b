"""Default rule sets built from the plan de comptes, so every document has an explorer.

Two trees, both complete partitions by construction (each level ends with a catch-all
leaf for codes the plan does not list):

- ``fonction``: direction, then top-level function; lines without a function (votes by
  nature, or norms such as M4 that have none) go to a "non ventilé" leaf;
- ``chapitre``: direction × section, then nature chapter, with the plan's official labels;
  asset disposals (775) are presented with investment receipts (``conventions``).

Neutral debt operations (``conventions.NEUTRAL_NATURES``) are left out by the selection.
"""

from __future__ import annotations

from dataclasses import replace

from ..conventions import ASSET_DISPOSALS
from ..model import BudgetDocument
from ..nomenclature import Plan, find_plan
from .ruleset import Category, RuleSet, Tree

DISPOSALS = "(" + " | ".join(f"compte:{code}" for code in ASSET_DISPOSALS) + ")"
SIDES = {"D": ("Dépenses", "Expenditure"), "R": ("Recettes", "Receipts")}
SECTIONS = {
    "F": ("de fonctionnement", "operating"),
    "I": ("d'investissement", "capital"),
}


def _union(atoms: list[str]) -> str:
    return " | ".join(atoms)


def _top_functions(plan: Plan) -> list:
    tops = [f for f in plan.functions() if f.parent is None and not f.is_account]
    return tops or [f for f in plan.functions() if f.parent is None]


def function_tree(plan: Plan | None) -> Tree:
    tops = _top_functions(plan) if plan is not None else []
    categories = []
    for side, (fr, en) in SIDES.items():
        children = [
            Category(
                id=f"{side}.{f.code}",
                label=f.label,
                formula_text=f"sens:{side} & fonction:{f.code}",
            )
            for f in tops
        ]
        known = _union([f"fonction:{f.code}" for f in tops])
        children.append(
            Category(
                id=f"{side}.autres",
                label="Fonctions absentes du plan de comptes",
                label_en="Functions missing from the plan de comptes",
                formula_text=f"sens:{side} & fonction:*" + (f" - ({known})" if known else ""),
            )
        )
        children.append(
            Category(
                id=f"{side}.non-ventile",
                label="Non ventilé (sans fonction)",
                label_en="Not broken down by function",
                formula_text=f"sens:{side} & fonction:aucune",
            )
        )
        categories.append(Category(id=side, label=fr, label_en=en, children=children))
    return Tree(
        id="fonction",
        label="Par fonction",
        label_en="By function",
        categories=categories,
    )


def _chapters_by_side(plan: Plan) -> dict[tuple[str, str], list]:
    """Chapters each direction can reach, by (direction, section), in the plan's order."""
    reachable: dict[str, set[str]] = {"D": set(), "R": set()}
    for account in plan.accounts():
        for key, chapter in account.chapters.items():
            reachable[key[0]].add(chapter)
    out: dict[tuple[str, str], list] = {}
    for chapter in plan.chapters():
        if chapter.section not in SECTIONS:
            continue
        for side in SIDES:
            if chapter.code in reachable[side]:
                out.setdefault((side, chapter.section), []).append(chapter)
    return out


def chapter_tree(plan: Plan | None) -> Tree:
    by_side = _chapters_by_side(plan) if plan is not None else {}
    categories = []
    for side, (side_fr, side_en) in SIDES.items():
        sections = []
        for section, (sec_fr, sec_en) in SECTIONS.items():
            chapters = by_side.get((side, section), [])
            base = f"sens:{side} & section:{section}"
            if side == "R" and section == "F":
                base = f"({base} - {DISPOSALS})"  # presented with investment receipts
            children = [
                Category(
                    id=f"{side}{section}.{c.code}",
                    label=c.label,
                    formula_text=f"{base} & chapitre:{c.code}",
                )
                for c in chapters
            ]
            known = _union([f"chapitre:{c.code}" for c in chapters])
            if side == "R" and section == "I":
                children.append(
                    Category(
                        id="RI.cessions",
                        label="Produits des cessions d'immobilisations (775)",
                        label_en="Asset disposals (775)",
                        formula_text=f"sens:R & {DISPOSALS}",
                    )
                )
            children.append(
                Category(
                    id=f"{side}{section}.autres",
                    label="Autres chapitres",
                    label_en="Other chapters",
                    formula_text=base + (f" - ({known})" if known else ""),
                )
            )
            sections.append(
                Category(
                    id=f"{side}{section}",
                    label=f"{side_fr} {sec_fr}",
                    label_en=f"{sec_en.capitalize()} {side_en.lower()}",
                    children=children,
                )
            )
        categories.append(Category(id=side, label=side_fr, label_en=side_en, children=sections))
    return Tree(
        id="chapitre",
        label="Par chapitre (nature)",
        label_en="By chapter (nature)",
        categories=categories,
    )


def default_ruleset(source: Plan | BudgetDocument | None) -> RuleSet:
    """The "by function" and "by nature chapter" rule set for a plan (or a document's)."""
    plan = source
    if isinstance(source, BudgetDocument):
        header = source.header
        plan = (
            find_plan(header.exer, header.nomenclature)
            if header.exer and header.nomenclature
            else None
        )
    if isinstance(plan, Plan):
        name = plan.nomenclature
        label, label_en = f"Présentation par défaut ({name})", f"Default presentation ({name})"
    else:  # no plan for the document's year and nomenclature: say so in words
        name = "?"
        label = "Présentation par défaut (nomenclature non reconnue)"
        label_en = "Default presentation (accounting norm not recognised)"
    return RuleSet(
        id=f"defaut-{name}",
        label=label,
        label_en=label_en,
        trees=[function_tree(plan), chapter_tree(plan)],
    )


def with_default_trees(rules: RuleSet, defaults: RuleSet) -> RuleSet:
    """An authority's rules with the default presentations it does not replace after its
    own trees: a reader who knows « par fonction » or « par chapitre » from another
    portal still finds them (a tree of the authority's with the same id replaces one)."""
    own = {tree.id for tree in rules.trees}
    extra = [tree for tree in defaults.trees if tree.id not in own]
    return replace(rules, trees=[*rules.trees, *extra]) if extra else rules
