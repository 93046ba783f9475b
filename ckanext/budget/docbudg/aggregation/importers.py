"""Import rules authorities already keep: the Gironde JSON tree and its corrections CSV
(spreadsheet mappings: :mod:`.mapping`).

What an import notices (empty formulas, duplicate ids, corrections naming unknown
categories) goes to ``RuleSet.notes``; a formula that does not parse is an error naming
the category.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..messages import Message
from .formula import FormulaError, parse_formula
from .ruleset import Category, Correction, RuleSet, RuleSetError, Tree


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _fold(text)).strip("-") or "x"


# --- Gironde ------------------------------------------------------------------------


def _gironde_node(
    data: dict[str, Any], parent: str, seen: set[str], notes: list[Message]
) -> Category | None:
    raw_id = str(data.get("id") or "").strip()
    if data.get("useInAnalysis") is False:
        notes.append(
            Message(
                "Catégorie {id} ignorée (useInAnalysis = false).",
                "Category {id} skipped (useInAnalysis = false).",
                {"id": raw_id},
            )
        )
        return None
    node_id = raw_id
    if node_id in seen:
        node_id = f"{parent}/{raw_id}"
        notes.append(
            Message(
                "Identifiant {id} en double : renommé {new}.",
                "Duplicate id {id}: renamed {new}.",
                {"id": raw_id, "new": node_id},
            )
        )
    seen.add(node_id)
    children = [
        child
        for item in data.get("children") or []
        if (child := _gironde_node(item, node_id, seen, notes)) is not None
    ]
    formula = None if children else (data.get("formula") or "")
    if formula is not None and not formula.strip():
        notes.append(
            Message(
                "La catégorie {id} a une formule vide : elle ne compte aucune ligne.",
                "Category {id} has an empty formula: it counts no line.",
                {"id": node_id},
            )
        )
    elif formula:
        try:
            parse_formula(formula)
        except FormulaError as exc:
            raise RuleSetError(
                Message(
                    "Catégorie {id} : {fr}",
                    "Category {id}: {en}",
                    {"id": node_id, "fr": exc.text_in("fr"), "en": exc.text_in("en")},
                )
            ) from exc
    return Category(
        id=node_id,
        label=str(data.get("name") or node_id).strip(),
        formula_text=formula.strip() if formula else formula,
        children=children,
    )


_BY = re.compile(r"^(?P<subject>.*?)\s+par\s+(?P<criterion>\S.*)$")


def _words(text: str) -> str:
    """Label words without bullets, punctuation, accents, case or plural ``s``:
    "• Dépenses de Solidarités " and "Dépenses de solidarité" read the same."""
    words = re.findall(r"[a-z0-9]+", _fold(text))
    return " ".join(w[:-1] if len(w) > 3 and w.endswith(("s", "x")) else w for w in words)


def _alternative_groups(siblings: list[Category]) -> list[list[Category]]:
    """Siblings that break the same subject down by different criteria.

    The rule: two or more categories under one parent whose labels read
    "<subject> par <criterion>" with the same subject and different criteria (bullets,
    accents, case, punctuation and plural ``s`` ignored), e.g. Gironde's DF.1
    "Dépenses de Solidarité par prestations" and DF.2 "Dépenses de Solidarités par
    publics". Such siblings count the same lines twice by design: they are alternative
    presentations, not parts of one.
    """
    by_subject: dict[str, list[tuple[str, Category]]] = {}
    for category in siblings:
        match = _BY.match(_words(category.label))
        if match:
            by_subject.setdefault(match["subject"], []).append((match["criterion"], category))
    return [
        [category for _, category in found]
        for found in by_subject.values()
        if len(found) > 1 and len({criterion for criterion, _ in found}) == len(found)
    ]


def _criterion(category: Category) -> str:
    """The criterion as written: "par publics" of "• Dépenses de Solidarités par publics "."""
    match = re.search(r"\bpar\s+\S.*$", _label(category), re.IGNORECASE)
    return match[0] if match else category.id


def _without(categories: list[Category], drop: set[int]) -> list[Category]:
    """A copy of the tree's categories without the ones whose ``id()`` is in ``drop``."""
    return [
        replace(category, children=_without(category.children, drop))
        for category in categories
        if id(category) not in drop
    ]


def _split_alternatives(tree: Tree, notes: list[Message]) -> list[Tree]:
    """The tree, and one more tree per alternative breakdown found in it.

    The first category of each group of alternatives stays in ``tree``; each other one
    gets a tree of its own: a copy of ``tree`` where it stands in place of the first, so
    that every tree is a complete presentation and a partition of its own. Ids are kept,
    so split lines and links name the same categories in every tree.
    """
    groups = []
    stack = [tree.categories]
    while stack:
        siblings = stack.pop()
        groups.extend(_alternative_groups(siblings))
        stack.extend(c.children for c in siblings if c.children)
    if not groups:
        return [tree]
    others = {id(c) for group in groups for c in group[1:]}
    main = replace(
        tree,
        label=f"{tree.label} ({', '.join(_criterion(g[0]) for g in groups)})",
        categories=_without(tree.categories, others),
    )
    trees = [main]
    for group in groups:
        first = group[0]
        for alternative in group[1:]:
            swapped = _swap(tree.categories, first, alternative, others)
            tree_id = f"{tree.id}-{slug(_criterion(alternative).split(None, 1)[-1])}"
            trees.append(
                Tree(
                    id=tree_id,
                    label=f"{tree.label} ({_criterion(alternative)})",
                    categories=swapped,
                )
            )
            notes.append(
                Message(
                    "{first} « {first_label} » et {other} « {other_label} » présentent les "
                    "mêmes lignes de deux façons : {other} est importée dans un arbre à part "
                    "({tree}), pour que chaque arbre compte chaque ligne une fois.",
                    "{first} '{first_label}' and {other} '{other_label}' present the same "
                    "lines in two ways: {other} is imported as a tree of its own ({tree}), "
                    "so that each tree counts every line once.",
                    {
                        "first": first.id,
                        "first_label": _label(first),
                        "other": alternative.id,
                        "other_label": _label(alternative),
                        "tree": tree_id,
                    },
                )
            )
    return trees


def _label(category: Category) -> str:
    return category.label.strip(" •·-–—\t\u00a0")


def _swap(
    categories: list[Category], first: Category, alternative: Category, drop: set[int]
) -> list[Category]:
    """A copy of ``categories`` where ``alternative`` stands at ``first``'s place, and
    the other alternatives (``drop``) are left out."""
    out = []
    for category in categories:
        if category is first:
            out.append(replace(alternative, children=_without(alternative.children, drop)))
        elif id(category) not in drop:
            out.append(
                replace(category, children=_swap(category.children, first, alternative, drop))
            )
    return out


def _read_gironde_corrections(
    path: str | Path, trees: list[Tree], notes: list[Message]
) -> list[Correction]:
    """``Exer,CodRD,Nature,Fonction,MtReal,Identifiant agrégé``; ``DF-1-1-3`` → ``DF.1.1.3``.

    A correction applies to every tree holding its category (``tree`` left empty), or
    names the one tree that does (a category of an alternative breakdown)."""
    out = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            target = (row.get("Identifiant agrégé") or "").strip()
            holders = []
            category = None
            for tree in trees:
                found = tree.find(target) or tree.find(target.replace("-", "."))
                if found is not None and found.is_leaf:
                    holders.append(tree.id)
                    category = found
            if category is None:
                notes.append(
                    Message(
                        "Corrections, ligne {row} : catégorie « {id} » absente de l'arbre.",
                        "Corrections, row {row}: category '{id}' is not in the tree.",
                        {"row": number, "id": target},
                    )
                )
                continue
            try:
                out.append(
                    Correction(
                        exer=int(row["Exer"]),
                        cod_rd=row["CodRD"].strip(),
                        nature=row["Nature"].strip(),
                        fonction=(row.get("Fonction") or "").strip() or None,
                        amount=Decimal(row["MtReal"].strip()),
                        category=category.id,
                        tree=holders[0] if len(holders) == 1 < len(trees) else None,
                    )
                )
            except (KeyError, ValueError, InvalidOperation) as exc:
                raise RuleSetError(
                    Message(
                        "Corrections, ligne {row} illisible.",
                        "Corrections, row {row} cannot be read.",
                        {"row": number},
                    )
                ) from exc
    return out


def import_gironde(
    json_path: str | Path,
    corrections_csv: str | Path | None = None,
    *,
    tree_id: str = "gironde",
) -> RuleSet:
    """The rule tree of the "agregation-document-budgetaire" tool (and its split lines).

    The root node ("racine") is dropped; its children become the top categories.
    Alternative breakdowns of one subject (see :func:`_alternative_groups`) become
    alternative trees.
    """
    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    notes: list[Message] = []
    seen: set[str] = set()
    top = data.get("children", [data]) if data.get("id") == "racine" else [data]
    categories = [c for item in top if (c := _gironde_node(item, "", seen, notes)) is not None]
    name = str(data.get("name") or "").strip()
    label = name if name and name != "racine" else tree_id
    trees = _split_alternatives(Tree(id=tree_id, label=label, categories=categories), notes)
    corrections = (
        _read_gironde_corrections(corrections_csv, trees, notes) if corrections_csv else []
    )
    return RuleSet(
        id=tree_id,
        label=label,
        trees=trees,
        corrections=corrections,
        notes=notes,
    )


def import_corrections(corrections_csv: str | Path, ruleset: RuleSet) -> RuleSet:
    """``ruleset`` with the split lines of a corrections CSV (the Gironde format) in place
    of its own; rows naming a category none of its trees has are listed in ``notes``."""
    notes: list[Message] = []
    corrections = _read_gironde_corrections(corrections_csv, ruleset.trees, notes)
    return replace(ruleset, corrections=corrections, notes=notes)
