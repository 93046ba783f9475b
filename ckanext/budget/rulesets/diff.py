"""What changed between two versions of a rule set, stored as data and read as a sentence
("2 catégories ajoutées, formule de DF.1.2 modifiée") in the reader's language.

Changes are computed on the core's rule sets (``RuleSet``), category by id within each
tree, so a rename, a move and a formula edit are told apart. :func:`compare` gives the
same changes between any two versions as a before/after to read, category by category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ckan.plugins import toolkit as tk

from ..docbudg.aggregation.formula import plain_text
from ..docbudg.aggregation.ruleset import Category, Correction, RuleSet, Texts, Tree

MAX_IDS = 5
Placed = dict[str, tuple[str | None, Category]]
"""``{id: (parent id, category)}`` over a tree."""


def _categories(tree: Tree | None) -> Placed:
    out: Placed = {}
    stack: list[tuple[str | None, Category]] = [(None, c) for c in tree.categories] if tree else []
    while stack:
        parent, category = stack.pop()
        out[category.id] = (parent, category)
        stack.extend((category.id, child) for child in category.children)
    return out


def _reordered(before: Placed, after: Placed, old_tree: Tree, new_tree: Tree) -> set[str]:
    """Categories whose order changed among the siblings they kept (adding or removing a
    sibling is not a move)."""

    def orders(tree: Tree, other: Placed) -> dict[str | None, list[str]]:
        out: dict[str | None, list[str]] = {}
        stack: list[tuple[str | None, list[Category]]] = [(None, tree.categories)]
        while stack:
            parent, siblings = stack.pop()
            out[parent] = [c.id for c in siblings if c.id in other]
            stack.extend((c.id, c.children) for c in siblings)
        return out

    old_orders, new_orders = orders(old_tree, after), orders(new_tree, before)
    moved: set[str] = set()
    for parent, ids in new_orders.items():
        kept = [i for i in old_orders.get(parent, []) if i in ids]
        moved.update(a for a, b in zip(ids, kept, strict=False) if a != b)
    return moved


def _text_years(old: Texts, new: Texts) -> set[int]:
    """The years whose editorial text was added, changed or removed."""
    return {year for year in {*old, *new} if old.get(year) != new.get(year)}


def changes(old: RuleSet | None, new: RuleSet) -> list[dict[str, Any]]:
    """The changes from ``old`` to ``new`` (both as saved: formulas in the native
    notation); ``[{"kind": "created"}]`` for a first version."""
    if old is None:
        return [{"kind": "created"}]
    out: list[dict[str, Any]] = []

    def add(kind: str, ids: list[str]) -> None:
        if ids:
            out.append({"kind": kind, "ids": sorted(ids)})

    if (old.label, old.label_en) != (new.label, new.label_en):
        out.append({"kind": "label"})
    if old.selection != new.selection:
        out.append({"kind": "selection"})
    if budget_years := _text_years(old.texts, new.texts):
        out.append({"kind": "budget_texts", "years": sorted(budget_years)})
    old_trees = {t.id: t for t in old.trees}
    new_trees = {t.id: t for t in new.trees}
    add("tree_added", [t for t in new_trees if t not in old_trees])
    add("tree_removed", [t for t in old_trees if t not in new_trees])
    add(
        "tree_renamed",
        [t for t in new_trees if t in old_trees and old_trees[t].label != new_trees[t].label],
    )
    found: dict[str, list[str]] = {
        k: [] for k in ("added", "removed", "renamed", "moved", "formula", "texts")
    }
    text_years: set[int] = set()
    for tree_id, tree in new_trees.items():
        before = _categories(old_trees.get(tree_id))
        after = _categories(tree)
        if tree_id not in old_trees:
            found["added"].extend(after)
            continue
        reordered = _reordered(before, after, old_trees[tree_id], tree)
        found["removed"].extend(c for c in before if c not in after)
        for cid, (parent, category) in after.items():
            if cid not in before:
                found["added"].append(cid)
                continue
            old_parent, previous = before[cid]
            if previous.label != category.label:
                found["renamed"].append(cid)
            if old_parent != parent or cid in reordered:
                found["moved"].append(cid)
            both_leaves = previous.is_leaf and category.is_leaf
            if both_leaves and previous.formula_text != category.formula_text:
                found["formula"].append(cid)
            if years := _text_years(previous.texts, category.texts):
                found["texts"].append(cid)
                text_years.update(years)
    for tree_id, tree in old_trees.items():
        if tree_id not in new_trees:
            found["removed"].extend(_categories(tree))
    for kind, ids in found.items():
        add(kind, ids)
    if found["texts"]:
        next(i for i in out if i["kind"] == "texts")["years"] = sorted(text_years)
    old_corr = {_key(c) for c in old.corrections}
    new_corr = {_key(c) for c in new.corrections}
    if old_corr != new_corr:
        out.append(
            {
                "kind": "corrections",
                "added": len(new_corr - old_corr),
                "removed": len(old_corr - new_corr),
            }
        )
    return out


def _key(c: Correction) -> tuple[Any, ...]:
    """A correction as saved (its amount as written: 1.0 and 1.00 differ)."""
    return (c.exer, c.cod_rd, c.nature, c.fonction, str(c.amount), c.category, c.tree)


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_IDS])
    return shown + ("…" if len(ids) > MAX_IDS else "")


def _years(item: dict[str, Any]) -> str:
    return ", ".join(str(year) for year in item.get("years") or [])


def describe(items: list[dict[str, Any]], restored_from: int | None = None) -> str:
    """The changes as one sentence in the current language."""
    parts: list[str] = []
    if restored_from is not None:
        parts.append(tk._("version {version} restored").format(version=restored_from))
    for item in items:
        kind = item["kind"]
        ids = item.get("ids") or []
        count = len(ids)
        if kind == "created":
            parts.append(tk._("rule set created"))
        elif kind == "deleted":
            parts.append(tk._("rule set deleted (documents used the default rules)"))
        elif kind == "undeleted":
            parts.append(tk._("deleted rule set restored"))
        elif kind == "label":
            parts.append(tk._("rule set renamed"))
        elif kind == "selection":
            parts.append(tk._("line selection changed"))
        elif kind == "tree_added":
            parts.append(tk.ungettext("{n} tree added", "{n} trees added", count).format(n=count))
        elif kind == "tree_removed":
            parts.append(
                tk.ungettext("{n} tree removed", "{n} trees removed", count).format(n=count)
            )
        elif kind == "tree_renamed":
            parts.append(
                tk.ungettext("tree {ids} renamed", "trees {ids} renamed", count).format(
                    ids=_ids(ids)
                )
            )
        elif kind == "added":
            parts.append(
                tk.ungettext("{n} category added", "{n} categories added", count).format(n=count)
            )
        elif kind == "removed":
            parts.append(
                tk.ungettext("{n} category removed", "{n} categories removed", count).format(
                    n=count
                )
            )
        elif kind == "renamed":
            parts.append(
                tk.ungettext("{ids} renamed", "{ids} renamed", count).format(ids=_ids(ids))
            )
        elif kind == "moved":
            parts.append(tk.ungettext("{ids} moved", "{ids} moved", count).format(ids=_ids(ids)))
        elif kind == "formula":
            parts.append(
                tk.ungettext("formula of {ids} changed", "formulas of {ids} changed", count).format(
                    ids=_ids(ids)
                )
            )
        elif kind == "texts":
            parts.append(
                tk.ungettext(
                    "text of {ids} changed ({years})", "texts of {ids} changed ({years})", count
                ).format(ids=_ids(ids), years=_years(item))
            )
        elif kind == "budget_texts":
            parts.append(
                tk._("text on the whole budget changed ({years})").format(years=_years(item))
            )
        elif kind == "corrections":
            parts.append(
                tk._("split lines: {added} added, {removed} removed").format(
                    added=item["added"], removed=item["removed"]
                )
            )
    text = ", ".join(parts) or tk._("no change")
    return text[:1].upper() + text[1:]


# --- a before/after of two versions ---------------------------------------------------------


def shown_formula(category: Category | None) -> str | None:
    """A leaf's formula as the rule-set pages show it (None for a category with
    sub-categories: their formulas make its total)."""
    if category is None or not category.is_leaf:
        return None
    return plain_text(category.formula_text)  # in plain French, whatever its stored notation


@dataclass(frozen=True)
class CategoryChange:
    """One category of a tree as it was and as it is: ``before`` or ``after`` is None
    when it was added or removed."""

    id: str
    before: Category | None
    after: Category | None
    parent_before: str | None = None
    parent_after: str | None = None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"

    @property
    def renamed(self) -> bool:
        return self.kind == "changed" and self.before.label != self.after.label

    @property
    def formula_changed(self) -> bool:
        return self.kind == "changed" and shown_formula(self.before) != shown_formula(self.after)

    @property
    def moved(self) -> bool:
        return self.kind == "changed" and self.parent_before != self.parent_after

    @property
    def text_years(self) -> list[int]:
        """The years whose editorial text changed."""
        if self.kind != "changed":
            return []
        return sorted(_text_years(self.before.texts, self.after.texts))

    @property
    def formula_before(self) -> str | None:
        return shown_formula(self.before)

    @property
    def formula_after(self) -> str | None:
        return shown_formula(self.after)


@dataclass(frozen=True)
class TreeComparison:
    """A tree's categories that differ between two versions, in the newer one's order
    (removed ones after)."""

    id: str
    label_before: str | None
    label_after: str | None
    categories: list[CategoryChange] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.label_before is None:
            return "added"
        return "removed" if self.label_after is None else "changed"


def _in_order(tree: Tree | None) -> list[str]:
    return [c.id for c, _ in tree.walk()] if tree else []


def compare(old: RuleSet, new: RuleSet) -> list[TreeComparison]:
    """The trees of ``old`` and ``new`` that differ, each with its categories added,
    removed, renamed, moved or whose formula changed (unchanged ones are left out)."""
    old_trees = {t.id: t for t in old.trees}
    new_trees = {t.id: t for t in new.trees}
    out: list[TreeComparison] = []
    for tree_id in [*new_trees, *(t for t in old_trees if t not in new_trees)]:
        old_tree, new_tree = old_trees.get(tree_id), new_trees.get(tree_id)
        before, after = _categories(old_tree), _categories(new_tree)
        order = _in_order(new_tree) + [c for c in _in_order(old_tree) if c not in after]
        changes = [
            CategoryChange(
                cid,
                before.get(cid, (None, None))[1],
                after.get(cid, (None, None))[1],
                before.get(cid, (None, None))[0],
                after.get(cid, (None, None))[0],
            )
            for cid in order
        ]
        changed = [
            c
            for c in changes
            if c.kind != "changed" or c.renamed or c.moved or c.formula_changed or c.text_years
        ]
        labels = (old_tree.label if old_tree else None, new_tree.label if new_tree else None)
        if changed or labels[0] != labels[1]:
            out.append(TreeComparison(tree_id, *labels, changed))
    return out
