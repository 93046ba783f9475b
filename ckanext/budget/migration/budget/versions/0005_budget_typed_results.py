"""Stored aggregations in the core's typed form (``docbudg.figures.results``, format
``budget-result/1``): English keys, the rule sets' vocabulary, and the document's big
numbers.

Each ``budget_aggregation.result`` of the French form (``arbres`` of ``categories`` and
``enfants`` with ``libelle`` and ``montant``, ``controles``, ``rdfi``) is converted in
place. The big numbers (real operations, carried-over results left out, the stage's
amount) are the French form's ``rdfi`` totals when the rules counted those lines (the
default selection, always the case for the default rules); an aggregation whose rules
select other lines (or whose rules are gone) gets none and is marked out of date (no
content hash matches it), so it is computed again when next needed. The downgrade writes
the French form back and drops the big numbers.

Self-contained on purpose: both forms are written out here as they are at this revision,
so that later changes to the application do not change what this migration does.

Revision ID: 0005_budget_typed_results
Revises: 0004_budget_indicators
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_budget_typed_results"
down_revision = "0004_budget_indicators"
branch_labels = None
depends_on = None

FORMAT = "budget-result/1"
BIG_NUMBERS = ("RF", "DF", "RI", "DI")
DEFAULT_SELECTION = {
    "amounts": {"BP": "MtPrev", "BS": "MtPrev", "DM": "MtPrev", "CA": "MtReal", "CFU": "MtReal"},
    "operations": "reel",
    "exclude_natures": ["001", "002"],
}
"""What decides which lines the big numbers count (zero lines and duplicates do not
change totals)."""

LINE = (
    ("direction", "sens"),
    ("section", "section"),
    ("chapter", "chapitre"),
    ("chapter_label", "chapitre_libelle"),
    ("nature", "nature"),
    ("nature_label", "nature_libelle"),
    ("function", "fonction"),
    ("function_label", "fonction_libelle"),
    ("amount", "montant"),
    ("sources", "lignes_source"),
)
OPERATIONS = (("real", "reel"), ("order", "ordre"))
DOCUMENT = (
    ("year", "exer"),
    ("stage", "etape"),
    ("nomenclature", "nomenclature"),
    ("siren", "siren"),
    ("label", "libelle"),
    ("budget_code", "code_budget"),
    ("plan", "plan_de_comptes"),
    ("amount_field", "montant_utilise"),
)


# --- French form → typed form --------------------------------------------------------------


def _line_up(old: dict[str, Any]) -> dict[str, Any]:
    new = {key: old.get(french) for key, french in LINE}
    new["sources"] = list(new["sources"] or [])
    new["operation"] = dict((f, e) for e, f in OPERATIONS).get(old.get("operation"), "real")
    return new


def _category_up(old: dict[str, Any]) -> dict[str, Any]:
    new: dict[str, Any] = {
        "id": old["id"],
        "label": old.get("libelle"),
        "label_en": old.get("libelle_en"),
        "amount": old["montant"],
        "rdfi": old.get("rdfi") or {},
    }
    if old.get("enfants"):
        new["children"] = [_category_up(child) for child in old["enfants"]]
    else:
        new["formula"] = old.get("formule")
    return new


def _checks_up(old: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": old["ok"],
        "unmatched": [_line_up(line) for line in old.get("non_comptees") or []],
        "counted_twice": [
            {"line": _line_up(line), "categories": line.get("categories") or []}
            for line in old.get("comptees_plusieurs_fois") or []
        ],
        "totals": {
            key: {"document": value["document"], "counted": value["arbre"]}
            for key, value in (old.get("totaux") or {}).items()
        },
        "empty": old.get("categories_vides") or [],
        "split_mismatches": [
            {"line": _line_up(line), "assigned": line["reparti"]}
            for line in old.get("partages_incomplets") or []
        ],
        "messages": old.get("messages") or [],
    }


def upgrade_result(old: dict[str, Any], default_selection: bool) -> dict[str, Any]:
    """The typed form of a French-form result; ``default_selection``: its rules counted
    the lines the big numbers count."""
    totals = old.get("rdfi") or {}
    document = old.get("document")
    return {
        "format": FORMAT,
        "document": {key: document.get(french) for key, french in DOCUMENT}
        if document is not None
        else None,
        "ruleset": old.get("regles"),
        "totals": totals,
        "big_numbers": {k: totals[k] for k in BIG_NUMBERS if k in totals}
        if default_selection
        else {},
        "trees": [
            {
                "id": tree["id"],
                "label": tree.get("libelle"),
                "label_en": tree.get("libelle_en"),
                "categories": [_category_up(c) for c in tree.get("categories") or []],
                "checks": _checks_up(tree["controles"]),
            }
            for tree in old.get("arbres") or []
        ],
    }


# --- typed form → French form --------------------------------------------------------------


def _line_down(new: dict[str, Any]) -> dict[str, Any]:
    old = {french: new.get(key) for key, french in LINE}
    old["operation"] = dict(OPERATIONS).get(new.get("operation"), "reel")
    return old


def _category_down(new: dict[str, Any]) -> dict[str, Any]:
    old: dict[str, Any] = {
        "id": new["id"],
        "libelle": new.get("label"),
        "libelle_en": new.get("label_en"),
        "montant": new["amount"],
        "rdfi": new.get("rdfi") or {},
    }
    if new.get("children"):
        old["enfants"] = [_category_down(child) for child in new["children"]]
    else:
        old["formule"] = new.get("formula")
    return old


def _checks_down(new: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": new["ok"],
        "non_comptees": [_line_down(line) for line in new.get("unmatched") or []],
        "comptees_plusieurs_fois": [
            {**_line_down(item["line"]), "categories": item["categories"]}
            for item in new.get("counted_twice") or []
        ],
        "totaux": {
            key: {"document": value["document"], "arbre": value["counted"]}
            for key, value in (new.get("totals") or {}).items()
        },
        "categories_vides": new.get("empty") or [],
        "partages_incomplets": [
            {**_line_down(item["line"]), "reparti": item["assigned"]}
            for item in new.get("split_mismatches") or []
        ],
        "messages": new.get("messages") or [],
    }


def downgrade_result(new: dict[str, Any]) -> dict[str, Any]:
    """The French form of a typed result (its big numbers are dropped)."""
    document = new.get("document")
    return {
        "document": {french: document.get(key) for key, french in DOCUMENT}
        if document is not None
        else None,
        "regles": new.get("ruleset"),
        "rdfi": new.get("totals") or {},
        "arbres": [
            {
                "id": tree["id"],
                "libelle": tree.get("label"),
                "libelle_en": tree.get("label_en"),
                "categories": [_category_down(c) for c in tree.get("categories") or []],
                "controles": _checks_down(tree["checks"]),
            }
            for tree in new.get("trees") or []
        ],
    }


# --- the rows ------------------------------------------------------------------------------


def _counts_the_big_numbers(selection: dict[str, Any]) -> bool:
    """Whether a rule set's selection counts the lines the big numbers count."""
    amounts = {**DEFAULT_SELECTION["amounts"], **(selection.get("amounts") or {})}
    return (
        amounts == DEFAULT_SELECTION["amounts"]
        and selection.get("operations", "reel") == DEFAULT_SELECTION["operations"]
        and list(selection.get("exclude_natures", DEFAULT_SELECTION["exclude_natures"]))
        == DEFAULT_SELECTION["exclude_natures"]
    )


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT a.resource_id, a.result, a.ruleset_id, a.ruleset_version, "
            "v.content -> 'selection' "
            "FROM budget_aggregation a LEFT JOIN budget_ruleset_version v "
            "ON v.ruleset_id = a.ruleset_id AND v.version = a.ruleset_version"
        )
    ).all()
    for resource_id, result, ruleset_id, version, selection in rows:
        if not isinstance(result, dict) or result.get("format") == FORMAT:
            continue
        if ruleset_id is None and version is None:
            counted = True  # the default rules
        else:  # an authority's rules, or rules deleted since (then unknown)
            counted = isinstance(selection, dict) and _counts_the_big_numbers(selection)
        connection.execute(
            sa.text(
                "UPDATE budget_aggregation SET result = CAST(:result AS jsonb)"
                + ("" if counted else ", content_sha256 = ''")
                + " WHERE resource_id = :id"
            ),
            {"result": json.dumps(upgrade_result(result, counted)), "id": resource_id},
        )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT resource_id, result FROM budget_aggregation")).all()
    for resource_id, result in rows:
        if not isinstance(result, dict) or result.get("format") != FORMAT:
            continue
        connection.execute(
            sa.text(
                "UPDATE budget_aggregation SET result = CAST(:result AS jsonb) "
                "WHERE resource_id = :id"
            ),
            {"result": json.dumps(downgrade_result(result)), "id": resource_id},
        )
