"""Edits of the editor pages, applied to a copy of a rule set (``RuleSet``; the saved
version is never touched): add, rename, move and delete categories, set a formula.

Each function returns the new rule set or raises :class:`EditError` with a translated
message; the caller saves the whole rule set as a version (``budget_ruleset_update``).
"""

from __future__ import annotations

import copy

from ckan.plugins import toolkit as tk

from .. import settings
from ..docbudg.aggregation.ruleset import (
    Category,
    RuleSet,
    Text,
    Texts,
    Tree,
    clean_text,
    text_problem,
)


class EditError(ValueError):
    pass


def _tree(rules: RuleSet, tree_id: str) -> Tree:
    for tree in rules.trees:
        if tree.id == tree_id:
            return tree
    raise EditError(tk._("Unknown tree {tree}.").format(tree=tree_id))


def _siblings_of(tree: Tree, node_id: str) -> tuple[list[Category], Category | None]:
    """The list holding ``node_id`` and its parent (``None`` at the top)."""
    stack: list[tuple[list[Category], Category | None]] = [(tree.categories, None)]
    while stack:
        siblings, parent = stack.pop()
        for node in siblings:
            if node.id == node_id:
                return siblings, parent
            if node.children:
                stack.append((node.children, node))
    raise EditError(tk._("Unknown category {id}.").format(id=node_id))


def find(rules: RuleSet, tree_id: str, node_id: str) -> tuple[Category, Category | None]:
    """A category and its parent (``None`` at the top)."""
    siblings, parent = _siblings_of(_tree(rules, tree_id), node_id)
    return next(n for n in siblings if n.id == node_id), parent


def ids(categories: list[Category]) -> set[str]:
    """The ids of these categories and of everything under them."""
    return {c.id for category in categories for c, _ in category.walk()}


def add_tree(rules: RuleSet, tree_id: str, label: str) -> RuleSet:
    tree_id, label = tree_id.strip(), label.strip()
    if not tree_id or not label:
        raise EditError(tk._("A tree needs an identifier and a name."))
    new = copy.deepcopy(rules)
    if any(t.id == tree_id for t in new.trees):
        raise EditError(tk._("A tree {tree} already exists.").format(tree=tree_id))
    new.trees.append(Tree(id=tree_id, label=label))
    return new


def add_node(
    rules: RuleSet,
    tree_id: str,
    parent_id: str | None,
    node_id: str,
    label: str,
    formula: str = "",
) -> tuple[RuleSet, str]:
    """Add a category (at the top, or under ``parent_id``); returns the new rules and
    the id.

    Without an id, the next free ``<parent>.<n>`` is used. A leaf that receives its first
    sub-category hands its formula to it when the new one has none, so no rule is lost.
    """
    new = copy.deepcopy(rules)
    tree = _tree(new, tree_id)
    label, node_id = label.strip(), node_id.strip()
    if not label:
        raise EditError(tk._("A category needs a name."))
    existing = ids(tree.categories)
    parent = find(new, tree_id, parent_id)[0] if parent_id else None
    siblings = parent.children if parent else tree.categories
    if not node_id:
        prefix = f"{parent.id}." if parent else ""
        number = len(siblings) + 1
        while f"{prefix}{number}" in existing:
            number += 1
        node_id = f"{prefix}{number}"
    if node_id in existing:
        raise EditError(tk._("A category {id} already exists.").format(id=node_id))
    node = Category(id=node_id, label=label, formula_text=formula.strip())
    if parent is not None and not siblings:
        inherited = parent.formula_text or ""
        parent.set_formula(None)
        if not node.formula_text:
            node.set_formula(inherited)
    siblings.append(node)
    return new, node_id


def rename_node(
    rules: RuleSet, tree_id: str, node_id: str, label: str, label_en: str = ""
) -> RuleSet:
    if not label.strip():
        raise EditError(tk._("A category needs a name."))
    new = copy.deepcopy(rules)
    node = find(new, tree_id, node_id)[0]
    node.label = label.strip()
    node.label_en = label_en.strip() or None
    return new


def set_formula(rules: RuleSet, tree_id: str, node_id: str, formula: str) -> RuleSet:
    new = copy.deepcopy(rules)
    node = find(new, tree_id, node_id)[0]
    if node.children:
        raise EditError(
            tk._("{id} has sub-categories: only the last level holds formulas.").format(id=node_id)
        )
    node.set_formula(formula.strip())
    return new


def move_node(
    rules: RuleSet,
    tree_id: str,
    node_id: str,
    *,
    direction: str | None = None,
    parent_id: str | None = None,
) -> RuleSet:
    """Move up/down among its siblings (``direction``), or under another parent
    (``parent_id``; empty: to the top level), as its last child."""
    new = copy.deepcopy(rules)
    tree = _tree(new, tree_id)
    siblings, _ = _siblings_of(tree, node_id)
    index = next(i for i, n in enumerate(siblings) if n.id == node_id)
    if direction in ("up", "down"):
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
        return new
    node = siblings[index]
    if parent_id:
        if parent_id in ids([node]):
            raise EditError(tk._("A category cannot be moved under itself."))
        target = find(new, tree_id, parent_id)[0]
        if not target.children and (target.formula_text or "").strip():
            raise EditError(
                tk._("{id} has a formula: a category with a formula cannot hold others.").format(
                    id=parent_id
                )
            )
        target.set_formula(None)
        destination = target.children
    else:
        destination = tree.categories
    siblings.pop(index)
    destination.append(node)
    return new


def delete_node(rules: RuleSet, tree_id: str, node_id: str) -> RuleSet:
    """Remove a category and its sub-categories; a parent left empty becomes a leaf
    without formula (reported by the checks)."""
    new = copy.deepcopy(rules)
    siblings, parent = _siblings_of(_tree(new, tree_id), node_id)
    siblings[:] = [n for n in siblings if n.id != node_id]
    if parent is not None and not siblings:
        parent.set_formula("")
    return new


def texts_from(given: dict[int, tuple[str, str]]) -> Texts:
    """Editorial texts from a form, ``{year: (french, english)}``: a year left empty has
    no text; a text too long, or in English only, is refused (nothing is cut)."""
    out: Texts = {}
    for year, (fr, en) in sorted(given.items()):
        fr, en = clean_text(fr), clean_text(en)
        problem = text_problem(year, fr, en)
        if problem is not None:
            raise EditError(problem.text(settings.current_language()))
        if fr:
            out[year] = Text(fr, en or None)
    return out


def set_texts(
    rules: RuleSet, tree_id: str | None, node_id: str | None, given: dict[int, tuple[str, str]]
) -> RuleSet:
    """Set the editorial texts of these years: a category's (``tree_id``, ``node_id``), or
    the whole budget's (both ``None``). Years not given keep their texts."""
    texts = texts_from(given)
    new = copy.deepcopy(rules)
    owner: Category | RuleSet = new if node_id is None else find(new, tree_id or "", node_id)[0]
    kept = {year: text for year, text in owner.texts.items() if year not in given}
    owner.texts = dict(sorted({**kept, **texts}.items()))
    return new
