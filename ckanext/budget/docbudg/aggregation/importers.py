"""Import rules authorities already keep: the Gironde JSON tree and spreadsheet mappings.

What an import notices (empty formulas, duplicate ids, corrections naming unknown
categories, spreadsheet rows with codes the plan de comptes lacks) goes to
``RuleSet.notes``; a formula that does not parse is an error naming the category.
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

import pandas as pd

from ..messages import Message
from ..nomenclature import Plan
from .formula import FormulaError, parse_formula
from .ruleset import Category, Correction, RuleSet, RuleSetError, Tree

MAPPING_ROLES = ("sens", "mouvement", "section", "chapitre", "nature", "fonction")


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


# --- spreadsheet mapping -------------------------------------------------------------

_SIDE = {"d": "D", "depense": "D", "depenses": "D", "r": "R", "recette": "R", "recettes": "R"}
_MOVE = {"reel": "reel", "r": "reel", "0": "reel", "ordre": "ordre", "o": "ordre", "1": "ordre"}
_SECTION = {"f": "F", "fonctionnement": "F", "i": "I", "investissement": "I"}


def _read_table(path: str | Path, sheet: str | int | None) -> pd.DataFrame:
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
    else:
        frame = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
    return frame.fillna("")


def _cell(row: pd.Series, column: str | None) -> str:
    if not column:
        return ""
    value = str(row.get(column, "")).strip()
    return value[:-2] if re.fullmatch(r"[0-9]+\.0", value) else value


def import_mapping(
    path: str | Path,
    *,
    columns: dict[str, str],
    hierarchies: dict[str, list[str]],
    sheet: str | int | None = None,
    plan: Plan | None = None,
    ruleset_id: str = "correspondance",
) -> RuleSet:
    """A spreadsheet with one row per (direction, movement, section, chapter, nature,
    function) combination followed by category levels.

    ``columns`` maps roles (:data:`MAPPING_ROLES`) to column names; ``hierarchies`` maps a
    tree id to its level columns, so several hierarchies in one sheet become alternative
    trees. Codes unknown to ``plan`` and unreadable cells are listed in ``notes``.
    """
    unknown_roles = set(columns) - set(MAPPING_ROLES)
    frame = _read_table(path, sheet)
    missing = [
        c
        for c in [*columns.values(), *(c for levels in hierarchies.values() for c in levels)]
        if c not in frame
    ]
    if unknown_roles or missing:
        raise RuleSetError(
            Message(
                "Colonnes introuvables ou rôles inconnus : {names} (colonnes du fichier : "
                "{available}).",
                "Columns not found or unknown roles: {names} (columns in the file: {available}).",
                {
                    "names": ", ".join(sorted(unknown_roles) + missing),
                    "available": ", ".join(map(str, frame.columns)),
                },
            )
        )
    notes: list[Message] = []
    terms: dict[str, dict[tuple[str, ...], list[str]]] = {t: {} for t in hierarchies}
    for number, (_, row) in enumerate(frame.iterrows(), start=2):
        atoms, problems = _row_atoms(row, columns, plan)
        for problem in problems:
            notes.append(problem.with_params(row=number))
        if not atoms:
            continue
        conj = " & ".join(atoms)
        for tree_id, levels in hierarchies.items():
            path_values = tuple(v for v in (_cell(row, c) for c in levels) if v)
            if path_values:
                terms[tree_id].setdefault(path_values, []).append(conj)
    trees = [_mapping_tree(tree_id, found) for tree_id, found in terms.items()]
    return RuleSet(id=ruleset_id, label=ruleset_id, trees=trees, notes=notes)


def _row_atoms(
    row: pd.Series, columns: dict[str, str], plan: Plan | None
) -> tuple[list[str], list[Message]]:
    atoms: list[str] = []
    problems: list[Message] = []

    def bad(role: str, value: str) -> None:
        problems.append(
            Message(
                "Ligne {row} : {role} « {value} » inconnu du plan de comptes.",
                "Row {row}: {role} '{value}' is unknown to the plan de comptes.",
                {"role": role, "value": value},
            )
        )

    for role, table in (("sens", _SIDE), ("mouvement", _MOVE), ("section", _SECTION)):
        value = _cell(row, columns.get(role))
        if not value:
            continue
        choice = table.get(_fold(value))
        if choice is None:
            bad(role, value)
            continue
        atoms.append(choice if role == "mouvement" else f"{role}:{choice}")
    for role in ("chapitre", "nature", "fonction"):
        value = _cell(row, columns.get(role))
        if not value:
            continue
        if not re.fullmatch(r"[0-9][0-9A-Za-z]*", value):
            bad(role, value)
            continue
        if plan is not None and _unknown(plan, role, value):
            bad(role, value)
        atoms.append(f"{role}:{value}")
    return atoms, problems


def _unknown(plan: Plan, role: str, code: str) -> bool:
    if role == "nature":
        return plan.account(code) is None
    if role == "fonction":
        return plan.function(code) is None
    return plan.chapter(code) is None and plan.function_chapter(code) is None


def _mapping_tree(tree_id: str, found: dict[tuple[str, ...], list[str]]) -> Tree:
    roots: list[Category] = []
    index: dict[tuple[str, ...], Category] = {}
    for path_values in found:
        for depth in range(1, len(path_values) + 1):
            key = path_values[:depth]
            if key in index:
                continue
            node = Category(id=".".join(slug(v) for v in key), label=key[-1])
            index[key] = node
            (roots if depth == 1 else index[key[:-1]].children).append(node)
    for path_values, conjuncts in found.items():
        node = index[path_values]
        if node.children:  # rows stop at a level that has sub-levels elsewhere
            node = Category(id=f"{node.id}.autres", label=f"{node.label} (autres)")
            index[path_values].children.append(node)
        node.formula_text = " | ".join(f"({c})" for c in conjuncts)
    return Tree(id=tree_id, label=tree_id, categories=roots)
