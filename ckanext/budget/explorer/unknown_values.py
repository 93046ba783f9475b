"""The query parameters of the explorer pages checked against what the page has: an unknown
year, stage, breakdown, category or unit answers 404 with the values that exist (as
links), where the page used to show its default state under a URL naming something else.

The pages still resolve a missing parameter to its default; only a value given and not
found is refused. Each link keeps the route of the request (page, embed, CSV, JSON).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ckan.plugins import toolkit as tk

from ..docbudg.figures.levels import Level
from ..web.not_found import Choice, Unknown, abort_if_unknown, unknown
from . import analysis_page, budget_page, compare, data

STAGE_NAMES = ("realised", "voted")
UNIT_NAMES = ("euros", "inhabitant")


def _given(args: Mapping[str, Any], name: str) -> str | None:
    value = args.get(name)
    return value if value else None


def _url(fixed: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """The URL of the request's route with these parameters (None ones dropped)."""
    kept = {k: v for k, v in params.items() if v not in (None, "", [])}
    return tk.h.url_for(tk.request.endpoint, **fixed, **kept)


def _stage_words() -> dict[str, str]:
    return {"realised": tk._("Realised (account)"), "voted": tk._("Voted (budget and amendments)")}


def _unit_words() -> dict[str, str]:
    return {"euros": tk._("In euros"), "inhabitant": tk._("Per inhabitant")}


def _levels(
    args: Mapping[str, Any],
    trees: list[tuple[str, str]],
    tree_id: str | None,
    node_id: str | None,
    rows: list[tuple[str, str]],
    url: Any,
) -> Iterator[Unknown]:
    """``tree`` and ``node`` given but not shown: the trees, or the first level's
    categories of the tree shown (what a link can open without knowing the tree)."""
    tree = _given(args, "tree")
    if tree is not None and tree != tree_id:
        yield unknown(
            "tree",
            tk._("Breakdown"),
            tree,
            (Choice(label, url(tree=id, node=None)) for id, label in trees),
        )
    node = _given(args, "node")
    if node is not None and node != node_id:
        yield unknown(
            "node",
            tk._("Category"),
            node,
            (Choice(label, url(tree=tree_id, node=id)) for id, label in rows),
        )


def _level_rows(level: Level | None) -> list[tuple[str, str]]:
    """The categories a wrong node falls back to: the tree's first level."""
    if level is None or level.node_id is not None:
        return []
    return [(row.id, row.label) for row in level.rows]


def check_page(package: dict[str, Any], page: budget_page.BudgetPage) -> None:
    """The budget page's ``year``, ``stage``, ``tree`` and ``node``. Not while figures are
    being computed: a year or breakdown may be missing only until then (the page says so)."""
    if page.computing:
        return
    args = tk.request.args
    fixed = {"id": package["name"]}

    def url(**changes: Any) -> str:
        return _url(fixed, {**page.state, **changes})

    found: list[Unknown] = []
    year = _given(args, "year")
    if year is not None and year != str(page.year):
        found.append(
            unknown(
                "year",
                tk._("Year"),
                year,
                (Choice(str(y), url(year=y, stage=None)) for y in reversed(page.years)),
            )
        )
    stage = _given(args, "stage")
    if stage is not None and stage != page.stage:
        words = _stage_words()
        found.append(
            unknown(
                "stage",
                tk._("Stage"),
                stage,
                (Choice(words.get(s, s), url(stage=s)) for s in page.stages),
            )
        )
    level = page.level
    if level is not None or not page.years:
        found.extend(
            _levels(
                args,
                level.trees if level else [],
                level.tree_id if level else None,
                level.node_id if level else None,
                _level_rows(level),
                url,
            )
        )
    abort_if_unknown(found, _back(package))


def check_analysis(package: dict[str, Any], analysis: analysis_page.Analysis) -> None:
    """The analysis page's ``year`` and ``unit`` (the year not while figures are being
    computed: it may be missing only until then)."""
    args = tk.request.args
    fixed = {"id": package["name"]}

    def url(**changes: Any) -> str:
        return _url(fixed, {**analysis.state, **changes})

    found: list[Unknown] = []
    year = _given(args, "year")
    if year is not None and year != str(analysis.year) and not analysis.computing:
        years = [y.year for y in analysis.years]
        found.append(
            unknown(
                "year",
                tk._("Year"),
                year,
                (Choice(str(y), url(year=y)) for y in reversed(years)),
            )
        )
    unit = _given(args, "unit")
    if unit is not None and unit != analysis.unit:
        words = _unit_words()
        found.append(
            unknown("unit", tk._("Unit"), unit, (Choice(words[u], url(unit=u)) for u in UNIT_NAMES))
        )
    abort_if_unknown(found, _back(package))


def check_comparison(found: compare.Comparison) -> None:
    """The comparison's ``tree``, ``node`` and ``unit`` (documents are chosen in its form)."""
    args = tk.request.args

    def url(**changes: Any) -> str:
        return _url({}, {"doc": found.resource_ids, **found.state, **changes})

    unknowns: list[Unknown] = []
    if found.columns and not any(column.computing for column in found.columns):
        rows = [(row.id, row.label) for row in found.rows] if found.node_id is None else []
        unknowns.extend(_levels(args, found.trees, found.tree_id, found.node_id, rows, url))
    unit = _given(args, "unit")
    if unit is not None and unit != found.unit:
        words = _unit_words()
        unknowns.append(
            unknown("unit", tk._("Unit"), unit, (Choice(words[u], url(unit=u)) for u in UNIT_NAMES))
        )
    abort_if_unknown(unknowns)


def check_document(package: dict[str, Any], resource_id: str, found: data.Explorer) -> None:
    """The document explorer's ``tree`` and ``node``, once its figures are there."""
    level = found.level
    if level is None:
        return
    fixed = {"id": package["name"], "resource_id": resource_id}

    def url(**changes: Any) -> str:
        return _url(fixed, {"tree": level.tree_id, "node": level.node_id, **changes})

    abort_if_unknown(
        _levels(
            tk.request.args, level.trees, level.tree_id, level.node_id, _level_rows(level), url
        ),
        _back(package),
    )


def _back(package: dict[str, Any]) -> list[Choice]:
    url = tk.h.url_for(f"{package.get('type') or 'dataset'}.read", id=package["name"])
    return [Choice(package.get("title") or package["name"], url)]
