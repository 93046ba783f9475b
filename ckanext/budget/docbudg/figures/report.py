"""The public forms of an aggregation: JSON (French keys, the API's and the command line's
contract), CSV (one row per category) and a multi-year table across documents. Written
from the typed :class:`~..figures.results.Result`; amounts stay exact: strings in JSON and
CSV, Decimal in pandas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pandas as pd

from ..aggregation.engine import AggregationResult
from .results import (
    Result,
    ResultCategory,
    ResultChecks,
    ResultLine,
    result_of,
)

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


def _line_dict(line: ResultLine) -> dict[str, Any]:
    return {
        "sens": line.direction,
        "section": line.section,
        "chapitre": line.chapter,
        "chapitre_libelle": line.chapter_label,
        "nature": line.nature,
        "nature_libelle": line.nature_label,
        "fonction": line.function,
        "fonction_libelle": line.function_label,
        "operation": "ordre" if line.operation == "order" else "reel",
        "montant": str(line.amount),
        "lignes_source": list(line.sources),
    }


def _category_dict(category: ResultCategory) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": category.id,
        "libelle": category.label,
        "libelle_en": category.label_en,
        "montant": str(category.amount),
        "rdfi": {k: str(v) for k, v in category.rdfi.items()},
    }
    if category.children:
        out["enfants"] = [_category_dict(child) for child in category.children]
    else:
        out["formule"] = category.formula
        if category.lines is not None:
            out["lignes"] = [
                {
                    **_line_dict(share.line),
                    "montant_compte": str(share.amount),
                    "partage": share.split,
                }
                for share in category.lines
            ]
    return out


def _checks_dict(checks: ResultChecks) -> dict[str, Any]:
    return {
        "ok": checks.ok,
        "non_comptees": [_line_dict(line) for line in checks.unmatched],
        "comptees_plusieurs_fois": [
            {**_line_dict(line), "categories": leaves} for line, leaves in checks.counted_twice
        ],
        "totaux": {k: {"document": str(e), "arbre": str(a)} for k, (e, a) in checks.totals.items()},
        "categories_vides": checks.empty,
        "partages_incomplets": [
            {**_line_dict(line), "reparti": str(assigned)}
            for line, assigned in checks.split_mismatches
        ],
        "messages": [m.as_dict() for m in checks.messages],
    }


def export_dict(result: Result) -> dict[str, Any]:
    """The public JSON of a result (a leaf's lines when the result has them)."""
    document = result.document
    return {
        "document": {
            "exer": document.year,
            "etape": document.stage,
            "nomenclature": document.nomenclature,
            "siren": document.siren,
            "libelle": document.label,
            "code_budget": document.budget_code,
            "plan_de_comptes": document.plan,
            "montant_utilise": document.amount_field,
        }
        if document is not None
        else None,
        "regles": result.ruleset,
        "rdfi": {k: str(v) for k, v in result.totals.items()},
        "arbres": [
            {
                "id": tree.id,
                "libelle": tree.label,
                "libelle_en": tree.label_en,
                "categories": [_category_dict(c) for c in tree.categories],
                **({"controles": _checks_dict(tree.checks)} if tree.checks is not None else {}),
            }
            for tree in result.trees
        ],
    }


def result_to_dict(result: AggregationResult, with_lines: bool = True) -> dict[str, Any]:
    return export_dict(result_of(result, with_lines=with_lines))


def _rows(result: Result) -> Iterable[dict[str, Any]]:
    for tree in result.trees:
        stack: list[tuple[ResultCategory, str, int]] = [
            (c, "", 0) for c in reversed(tree.categories)
        ]
        while stack:
            category, parent, depth = stack.pop()
            yield {
                "arbre": tree.id,
                "id": category.id,
                "parent": parent,
                "niveau": depth,
                "libelle": category.label,
                "libelle_en": category.label_en or "",
                "montant": str(category.amount),
                **{k: str(category.rdfi.get(k, 0)) for k in ("DF", "DI", "RF", "RI")},
                "lignes": len(category.lines or ()) if category.is_leaf else "",
            }
            stack.extend((child, category.id, depth + 1) for child in reversed(category.children))


def export_csv(result: Result) -> str:
    """One row per category (all trees), parents before children; a leaf's line count
    needs the result with its lines (``result_of(…, with_lines=True)``, or a stored one
    ``with_leaf_lines``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(result))
    return buffer.getvalue()


def result_to_csv(result: AggregationResult) -> str:
    """:func:`export_csv` of an aggregation."""
    return export_csv(result_of(result, with_lines=True))


def multi_year_table(
    results: Iterable[AggregationResult], tree_id: str | None = None
) -> pd.DataFrame:
    """Categories as rows (tree, id, level, label), documents as columns (``2018 CA``),
    exact Decimal amounts; a category absent from a year's tree is left empty."""
    records = []
    for result in results:
        for row in _rows(result_of(result)):
            if tree_id is None or row["arbre"] == tree_id:
                records.append({**row, "document": result.column, "montant": row["montant"]})
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame.from_records(records)
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
