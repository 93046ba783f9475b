"""Every stored rule-set version loads under today's checks.

Its categories get an id of their own, and its amounts per stage are made readable.

Earlier versions accepted rule sets in which two categories (or two trees) shared an id —
the spreadsheet importer made some by folding labels — and the aggregation then merged
their lines and totals. Rule sets are now refused with such ids, so each stored version
is made valid once, here: the first category keeps its id, each later one gets the next
free ``<id>-2``, ``<id>-3``…, in the order the version lists them (split lines naming the
id stay with the first). A version without duplicates is left byte for byte as it was.
The downgrade keeps the new ids: they are valid for earlier versions too.

``selection.amounts`` was never checked before, and every version was saved with an
entry per stage whether its author chose it or not (``MtPrev`` for BP/BS/DM, ``MtReal``
for CA/CFU): such entries are dropped, so that each stage counts its own amount (a DM the
credits voted after it, not its change alone), as are entries naming no stage (``ca``) or
no TotEM amount field, which had no effect or counted zero. A choice that differs from
those (``CFU: CredOuv``) is kept.

Revision ID: 0008_budget_unique_category_ids
Revises: 0007_budget_aggregation_lines
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008_budget_unique_category_ids"
down_revision = "0007_budget_aggregation_lines"
branch_labels = None
depends_on = None


def _walk(categories: list[Any]) -> Iterator[dict[str, Any]]:
    for category in categories:
        if isinstance(category, dict):
            yield category
            yield from _walk(category.get("children") or [])


def _unique(items: list[dict[str, Any]]) -> bool:
    """Give each item whose id an earlier one holds the next id no item holds; True
    when any changed."""
    taken = {str(item.get("id") or "") for item in items}
    seen: set[str] = set()
    changed = False
    for item in items:
        base = str(item.get("id") or "")
        if base in seen:
            n = 2
            while f"{base}-{n}" in taken:
                n += 1
            item["id"] = base = f"{base}-{n}"
            taken.add(base)
            changed = True
        seen.add(base)
    return changed


STAGES = ("BP", "BS", "DM", "CA", "CFU")
WRITTEN_FOR_EVERY_RULE_SET = {
    "BP": "MtPrev",
    "BS": "MtPrev",
    "DM": "MtPrev",
    "CA": "MtReal",
    "CFU": "MtReal",
}
AMOUNT_FIELDS = (
    "MtBudgPrec",
    "MtRARPrec",
    "MtPropNouv",
    "MtPrev",
    "CredOuv",
    "MtReal",
    "MtRAR3112",
)


def _readable(text: Any) -> bool:
    fields = [part.strip() for part in str(text).split("+")]
    return len(set(fields)) == len(fields) and all(f in AMOUNT_FIELDS for f in fields)


def readable_amounts(content: dict[str, Any]) -> bool:
    """Drop the amounts per stage today's checks refuse, in place; True when any was."""
    selection = content.get("selection")
    amounts = selection.get("amounts") if isinstance(selection, dict) else None
    if not isinstance(amounts, dict):
        return False
    kept = {
        stage: amount
        for stage, amount in amounts.items()
        if stage in STAGES and _readable(amount) and WRITTEN_FOR_EVERY_RULE_SET[stage] != amount
    }
    if kept == amounts:
        return False
    selection["amounts"] = kept
    return True


def unique_ids(content: dict[str, Any]) -> bool:
    """Rename duplicate tree ids and, in each tree, duplicate category ids, in place;
    True when anything changed."""
    trees = [tree for tree in content.get("trees") or [] if isinstance(tree, dict)]
    changed = _unique(trees)
    for tree in trees:
        changed |= _unique(list(_walk(tree.get("categories") or [])))
    return changed


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT ruleset_id, version, content FROM budget_ruleset_version")
    ).fetchall()
    for ruleset_id, version, content in rows:
        if isinstance(content, dict) and (unique_ids(content) | readable_amounts(content)):
            bind.execute(
                sa.text(
                    "UPDATE budget_ruleset_version SET content = CAST(:content AS jsonb) "
                    "WHERE ruleset_id = :id AND version = :version"
                ),
                {"content": json.dumps(content), "id": ruleset_id, "version": version},
            )


def downgrade() -> None:
    """Nothing to undo: unique ids are valid for every earlier version."""
