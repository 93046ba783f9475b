"""Aggregation results as JSON-ready dicts, CSV (one row per category) and a multi-year
table across documents. Amounts stay exact: strings in JSON/CSV, Decimal in pandas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .engine import AggregationResult, NodeResult, TreeResult

CSV_COLUMNS = (
    "arbre",
    "id",
    "parent",
    "niveau",
    "libelle",
    "libelle_en",
    "montant",
    "DF",
    "DI",
    "RF",
    "RI",
    "lignes",
)


def _node_dict(node: NodeResult, with_lines: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": node.id,
        "libelle": node.label,
        "libelle_en": node.label_en,
        "montant": str(node.total),
        "rdfi": {k: str(v) for k, v in node.rdfi.items()},
    }
    if node.children:
        out["enfants"] = [_node_dict(child, with_lines) for child in node.children]
    else:
        out["formule"] = node.formula
        if with_lines:
            out["lignes"] = [
                {
                    **share.line.as_dict(),
                    "montant_compte": str(share.amount),
                    "partage": share.split,
                }
                for share in node.shares
            ]
    return out


def _checks_dict(tree: TreeResult) -> dict[str, Any]:
    c = tree.checks
    return {
        "ok": c.ok,
        "non_comptees": [line.as_dict() for line in c.unmatched],
        "comptees_plusieurs_fois": [
            {**line.as_dict(), "categories": leaves} for line, leaves in c.multiple
        ],
        "totaux": {k: {"document": str(e), "arbre": str(a)} for k, (e, a) in c.rdfi.items()},
        "categories_vides": c.empty_leaves,
        "partages_incomplets": [
            {**line.as_dict(), "reparti": str(assigned)} for line, assigned in c.split_mismatches
        ],
        "messages": [m.as_dict() for m in c.messages()],
    }


def result_to_dict(result: AggregationResult, with_lines: bool = True) -> dict[str, Any]:
    return {
        "document": {
            "exer": result.exer,
            "etape": result.stage,
            "nomenclature": result.nomenclature,
            "siren": result.siren,
            "libelle": result.label,
            "code_budget": result.cod_bud,
            "plan_de_comptes": result.plan,
            "montant_utilise": result.amount_field,
        },
        "regles": result.ruleset_id,
        "rdfi": {k: str(v) for k, v in result.rdfi.items()},
        "arbres": [
            {
                "id": tree.tree_id,
                "libelle": tree.label,
                "libelle_en": tree.label_en,
                "categories": [_node_dict(node, with_lines) for node in tree.nodes],
                "controles": _checks_dict(tree),
            }
            for tree in result.trees.values()
        ],
    }


def _rows(result: AggregationResult) -> Iterable[dict[str, Any]]:
    for tree in result.trees.values():
        stack: list[tuple[NodeResult, str]] = [(n, "") for n in reversed(tree.nodes)]
        while stack:
            node, parent = stack.pop()
            yield {
                "arbre": tree.tree_id,
                "id": node.id,
                "parent": parent,
                "niveau": node.depth,
                "libelle": node.label,
                "libelle_en": node.label_en or "",
                "montant": str(node.total),
                **{k: str(node.rdfi.get(k, 0)) for k in ("DF", "DI", "RF", "RI")},
                "lignes": len(node.shares) if node.is_leaf else "",
            }
            stack.extend((child, node.id) for child in reversed(node.children))


def result_to_csv(result: AggregationResult) -> str:
    """One row per category (all trees), parents before children."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(result))
    return buffer.getvalue()


def multi_year_table(
    results: Iterable[AggregationResult], tree_id: str | None = None
) -> pd.DataFrame:
    """Categories as rows (tree, id, level, label), documents as columns (``2018 CA``),
    exact Decimal amounts; a category absent from a year's tree is left empty."""
    records = []
    for result in results:
        for row in _rows(result):
            if tree_id is None or row["arbre"] == tree_id:
                records.append({**row, "document": result.column, "montant": row["montant"]})
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame.from_records(records)
    from decimal import Decimal

    frame["montant"] = frame["montant"].map(Decimal)
    table = frame.pivot_table(
        index=["arbre", "id", "niveau", "libelle"],
        columns="document",
        values="montant",
        aggfunc="first",
        sort=False,
    )
    table.columns.name = None
    return table
