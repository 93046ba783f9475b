"""What publishing new rules changes on a document's public pages: each presentation's
totals before and after, category by category, and the lines the new rules count in no
category or twice. The editor shows it before asking « Publier » and asks for a
confirmation when the new rules fail their checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .results import Result, ResultTree

ZERO = Decimal(0)


@dataclass(frozen=True)
class CategoryChange:
    """A top category of a presentation; ``None`` where it does not exist on that side."""

    id: str
    label: str
    label_en: str | None
    before: Decimal | None
    after: Decimal | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def label_in(self, lang: str) -> str:
        return (self.label_en or self.label) if lang == "en" else self.label


@dataclass(frozen=True)
class TreeImpact:
    """One presentation of the new rules, against the one of the same id shown today."""

    id: str
    label: str
    label_en: str | None
    before: Decimal | None
    """Its total today (``None``: the public does not see this presentation yet)."""
    after: Decimal
    unmatched: int
    """Lines of the document the new rules count in no category of this presentation."""
    unmatched_amount: Decimal
    counted_twice: int
    """Lines counted in more than one category of this presentation."""
    categories: list[CategoryChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.unmatched == 0 and self.counted_twice == 0

    def label_in(self, lang: str) -> str:
        return (self.label_en or self.label) if lang == "en" else self.label


@dataclass(frozen=True)
class Impact:
    """The new rules' presentations on one document (the default ones left out: the
    authority's rules do not change them)."""

    trees: list[TreeImpact]
    removed: list[str] = field(default_factory=list)
    """Labels of presentations the public sees today that the new rules no longer have."""

    @property
    def ok(self) -> bool:
        return all(tree.ok for tree in self.trees)


def _tree_impact(before: ResultTree | None, after: ResultTree) -> TreeImpact:
    shown = {c.id: c for c in before.categories} if before is not None else {}
    categories = [
        CategoryChange(
            c.id,
            c.label,
            c.label_en,
            shown[c.id].amount if c.id in shown else None,
            c.amount,
        )
        for c in after.categories
    ]
    new_ids = {c.id for c in after.categories}
    categories += [
        CategoryChange(c.id, c.label, c.label_en, c.amount, None)
        for c in shown.values()
        if c.id not in new_ids
    ]
    checks = after.checks
    unmatched = checks.unmatched if checks else []
    return TreeImpact(
        id=after.id,
        label=after.label,
        label_en=after.label_en,
        before=before.total if before is not None else None,
        after=after.total,
        unmatched=len(unmatched),
        unmatched_amount=sum((line.amount for line in unmatched), ZERO),
        counted_twice=len(checks.counted_twice) if checks else 0,
        categories=categories,
    )


def impact(before: Result | None, after: Result, own_trees: list[str]) -> Impact:
    """``after`` (the document aggregated with the new rules) against ``before`` (what
    the public sees today; ``None`` when not computed yet), on the trees ``own_trees``
    (the authority's own presentations in the new rules)."""
    trees = [
        _tree_impact(before.tree(tree.id) if before else None, tree)
        for tree in after.trees
        if tree.id in own_trees
    ]
    after_ids = {tree.id for tree in after.trees}
    removed = [t.label for t in (before.trees if before else []) if t.id not in after_ids]
    return Impact(trees=trees, removed=removed)
