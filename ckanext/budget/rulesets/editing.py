"""Edits of the editor pages, applied to a copy of a rule set's native dict (the saved
version is never touched): add, rename, move and delete categories, set a formula.

Each function returns the new dict or raises :class:`EditError` with a translated message;
the caller validates the whole rule set (``ruleset_from_dict``) and saves it as a version.
"""

from __future__ import annotations

import copy
from typing import Any

from ckan.plugins import toolkit as tk

Node = dict[str, Any]


class EditError(ValueError):
    pass


def _tree(content: dict[str, Any], tree_id: str) -> Node:
    for tree in content.get("trees") or []:
        if tree["id"] == tree_id:
            return tree
    raise EditError(tk._("Unknown tree {tree}.").format(tree=tree_id))


def _siblings_of(tree: Node, node_id: str) -> tuple[list[Node], Node | None]:
    """The list holding ``node_id`` and its parent (``None`` at the top)."""
    stack: list[tuple[list[Node], Node | None]] = [(tree.setdefault("categories", []), None)]
    while stack:
        siblings, parent = stack.pop()
        for node in siblings:
            if node["id"] == node_id:
                return siblings, parent
            if node.get("children"):
                stack.append((node["children"], node))
    raise EditError(tk._("Unknown category {id}.").format(id=node_id))


def find(content: dict[str, Any], tree_id: str, node_id: str) -> tuple[Node, Node | None]:
    siblings, parent = _siblings_of(_tree(content, tree_id), node_id)
    return next(n for n in siblings if n["id"] == node_id), parent


def ids(tree: Node) -> set[str]:
    out: set[str] = set()
    stack = list(tree.get("categories") or [])
    while stack:
        node = stack.pop()
        out.add(node["id"])
        stack.extend(node.get("children") or [])
    return out


def walk(tree: Node) -> list[tuple[Node, int]]:
    """Categories in display order with their depth."""
    out: list[tuple[Node, int]] = []
    stack = [(n, 0) for n in reversed(tree.get("categories") or [])]
    while stack:
        node, depth = stack.pop()
        out.append((node, depth))
        stack.extend((c, depth + 1) for c in reversed(node.get("children") or []))
    return out


def add_tree(content: dict[str, Any], tree_id: str, label: str) -> dict[str, Any]:
    tree_id, label = tree_id.strip(), label.strip()
    if not tree_id or not label:
        raise EditError(tk._("A tree needs an identifier and a name."))
    new = copy.deepcopy(content)
    if any(t["id"] == tree_id for t in new.get("trees") or []):
        raise EditError(tk._("A tree {tree} already exists.").format(tree=tree_id))
    new.setdefault("trees", []).append({"id": tree_id, "label": label, "categories": []})
    return new


def add_node(
    content: dict[str, Any],
    tree_id: str,
    parent_id: str | None,
    node_id: str,
    label: str,
    formula: str = "",
) -> tuple[dict[str, Any], str]:
    """Add a category (at the top, or under ``parent_id``); returns the new dict and the id.

    Without an id, the next free ``<parent>.<n>`` is used. A leaf that receives its first
    sub-category hands its formula to it when the new one has none, so no rule is lost.
    """
    new = copy.deepcopy(content)
    tree = _tree(new, tree_id)
    label, node_id = label.strip(), node_id.strip()
    if not label:
        raise EditError(tk._("A category needs a name."))
    existing = ids(tree)
    parent = find(new, tree_id, parent_id)[0] if parent_id else None
    siblings = parent.setdefault("children", []) if parent else tree.setdefault("categories", [])
    if not node_id:
        prefix = f"{parent['id']}." if parent else ""
        number = len(siblings) + 1
        while f"{prefix}{number}" in existing:
            number += 1
        node_id = f"{prefix}{number}"
    if node_id in existing:
        raise EditError(tk._("A category {id} already exists.").format(id=node_id))
    node: Node = {"id": node_id, "label": label, "formula": formula.strip()}
    if parent is not None and not siblings:
        inherited = parent.pop("formula", "") or ""
        if not node["formula"]:
            node["formula"] = inherited
    siblings.append(node)
    return new, node_id


def rename_node(
    content: dict[str, Any], tree_id: str, node_id: str, label: str, label_en: str = ""
) -> dict[str, Any]:
    if not label.strip():
        raise EditError(tk._("A category needs a name."))
    new = copy.deepcopy(content)
    node = find(new, tree_id, node_id)[0]
    node["label"] = label.strip()
    if label_en.strip():
        node["label_en"] = label_en.strip()
    else:
        node.pop("label_en", None)
    return new


def set_formula(content: dict[str, Any], tree_id: str, node_id: str, formula: str) -> dict:
    new = copy.deepcopy(content)
    node = find(new, tree_id, node_id)[0]
    if node.get("children"):
        raise EditError(
            tk._("{id} has sub-categories: only the last level holds formulas.").format(id=node_id)
        )
    node["formula"] = formula.strip()
    return new


def move_node(
    content: dict[str, Any],
    tree_id: str,
    node_id: str,
    *,
    direction: str | None = None,
    parent_id: str | None = None,
) -> dict[str, Any]:
    """Move up/down among its siblings (``direction``), or under another parent
    (``parent_id``; empty: to the top level), as its last child."""
    new = copy.deepcopy(content)
    tree = _tree(new, tree_id)
    siblings, _ = _siblings_of(tree, node_id)
    index = next(i for i, n in enumerate(siblings) if n["id"] == node_id)
    if direction in ("up", "down"):
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
        return new
    node = siblings[index]
    if parent_id:
        if parent_id == node_id or parent_id in ids({"categories": [node]}):
            raise EditError(tk._("A category cannot be moved under itself."))
        target = find(new, tree_id, parent_id)[0]
        if not target.get("children") and (target.get("formula") or "").strip():
            raise EditError(
                tk._("{id} has a formula: a category with a formula cannot hold others.").format(
                    id=parent_id
                )
            )
        target.pop("formula", None)
        destination = target.setdefault("children", [])
    else:
        destination = tree["categories"]
    siblings.pop(index)
    destination.append(node)
    return new


def delete_node(content: dict[str, Any], tree_id: str, node_id: str) -> dict[str, Any]:
    """Remove a category and its sub-categories; a parent left empty becomes a leaf
    without formula (reported by the checks)."""
    new = copy.deepcopy(content)
    siblings, parent = _siblings_of(_tree(new, tree_id), node_id)
    siblings[:] = [n for n in siblings if n["id"] != node_id]
    if parent is not None and not siblings:
        parent.pop("children", None)
        parent["formula"] = ""
    return new
