"""Pages of a document's annex tables (subsidies, loans, staff): search, sort, totals,
the rows shown as CSV and JSON, and an embeddable variant, at stable URLs.

Everything is read from the stored ``annexe-<name>.csv`` derived file, never from the
document. Access follows the dataset like CKAN's resource page (a private dataset is a
404 to outsiders). Sorting and searching are links and a GET form: no JavaScript.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ckan.plugins import toolkit as tk
from flask import Blueprint, Response

from .. import settings
from ..docbudg import annex_tables as tables
from ..web import not_found
from ..web.downloads import csv_download, safe_rows, wants_excel
from . import access, presenters
from . import model as db

blueprint = Blueprint("budget_annexes", __name__)
PREFIX = "/dataset/<id>/resource/<resource_id>/budget/annexes/<name>"
PAGE_SIZE = 100
MAX_QUERY = 200


@dataclass
class Cell:
    text: str
    value: str
    """The stored cell: a code, or an exact amount (``data-amount``) for money."""
    kind: str


@dataclass
class ColumnView:
    key: str
    label: str
    kind: str
    sorted: str | None
    """``ascending``/``descending`` when the rows are sorted by this column."""
    next_dir: str


@dataclass
class TotalView:
    label: str
    count: int
    sums: list[Cell]


@dataclass
class AnnexPage:
    name: str
    title: str
    query: str
    sort: str | None
    direction: str
    columns: list[ColumnView]
    rows: list[list[Cell]]
    matching: int
    total_rows: int
    page: int
    pages: int
    first: int
    sum_columns: list[ColumnView]
    count_label: str | None
    group_label: str
    totals: list[TotalView] = field(default_factory=list)
    grand_total: TotalView | None = None
    part_totals: list[TotalView] = field(default_factory=list)
    """The parts totalled apart (own debt, guaranteed loans); then no grand total."""
    computed: bool = True


@dataclass
class Selected:
    """The rows a request asks for: searched and sorted, before paging."""

    table: tables.AnnexTable
    rows: list[dict[str, str]]
    query: str
    sort: str | None
    descending: bool


def _count_label(name: str) -> str | None:
    labels = {"concours": tk._("Number of subsidies"), "emprunt": tk._("Number of loans")}
    return labels.get(name)


def _load(
    id: str, resource_id: str, name: str, *, light: bool = True
) -> tuple[access.Target, Selected | None]:
    """The dataset, resource and selected rows; None instead of rows for a document
    processed before the tables existed (no indicators either) that has this annex."""
    spec = tables.SPECS.get(name)
    if spec is None:
        _unknown_annex(id, resource_id, name)
        tk.abort(404, tk._("This annex does not exist."))
    target = access.load(id, resource_id, "budget_document_show", light=light)
    record = access.require_document(target)
    export = db.get_export(resource_id, tables.export_name(name))
    if export is None:
        annexes = (record.counts or {}).get("annexes") or {}
        processed_before = record.status == db.STATUS_DONE and record.indicators is None
        if processed_before and annexes.get(spec.record):
            return target, None
        tk.abort(404, tk._("This document has no such annex."))
    table = tables.from_csv(name, export.content)
    args = tk.request.args
    _check_order(spec, args, {"id": id, "resource_id": resource_id, "name": name})
    query = (args.get("q") or "").strip()[:MAX_QUERY]
    sort = args.get("sort") if spec.column(args.get("sort") or "") else None
    descending = args.get("dir") == "desc"
    rows = tables.search(spec, table.rows, query)
    if sort:
        rows = tables.sort(spec, rows, sort, descending, settings.current_language())
    return target, Selected(table, rows, query, sort, descending)


def _url(fixed: dict[str, str], **changes: Any) -> str:
    """The request's route and query with ``changes`` (None drops a parameter)."""
    params = {**tk.request.args.to_dict(), **changes}
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return tk.h.url_for(tk.request.endpoint, **fixed, **kept)


def _unknown_annex(id: str, resource_id: str, name: str) -> None:
    """404 listing the annexes the document has (none when the reader may not see it)."""
    target = access.load(id, resource_id, "budget_document_show", light=True)
    access.require_document(target)
    lang = settings.current_language()
    fixed = {"id": id, "resource_id": resource_id}
    choices = [
        not_found.Choice(spec.title.text(lang), _url({**fixed, "name": key}))
        for key, spec in tables.SPECS.items()
        if db.get_export(resource_id, tables.export_name(key)) is not None
    ]
    not_found.abort_if_unknown([not_found.unknown("name", tk._("Annex"), name, choices)])


def _check_order(spec: tables.Spec, args: Any, fixed: dict[str, str]) -> None:
    """An unknown ``sort`` column or ``dir``: 404 listing the columns or directions."""
    lang = settings.current_language()
    found = []
    sort = args.get("sort")
    if sort and spec.column(sort) is None:
        choices = (
            not_found.Choice(c.label.text(lang), _url(fixed, sort=c.key, page=None))
            for c in spec.columns
        )
        found.append(not_found.unknown("sort", tk._("Sort by"), sort, choices))
    direction = args.get("dir")
    if direction and direction not in ("asc", "desc"):
        words = {"asc": tk._("Ascending"), "desc": tk._("Descending")}
        choices = (not_found.Choice(w, _url(fixed, dir=d, page=None)) for d, w in words.items())
        found.append(not_found.unknown("dir", tk._("Order"), direction, choices))
    not_found.abort_if_unknown(found)


def _check_page(annex: AnnexPage, fixed: dict[str, str]) -> None:
    """A ``page`` that is not one of the table's pages: 404 listing them."""
    given = tk.request.args.get("page")
    if given and given != str(annex.page):
        choices = (
            not_found.Choice(str(n), _url(fixed, page=None if n == 1 else n))
            for n in range(1, annex.pages + 1)
        )
        not_found.abort_if_unknown([not_found.unknown("page", tk._("Page"), given, choices)])


def _cell(column: tables.Column, value: str, lang: str) -> Cell:
    if column.kind == tables.MONEY:
        text = tk.h.budget_money(value) if value else ""
    elif column.kind == tables.NUMBER:
        text = tk.h.budget_number(Decimal(value)) if value else ""
    else:
        text = column.words(value, lang)
    return Cell(text, value, column.kind)


def _rate_text(row: dict[str, str], lang: str) -> str:
    """A loan's rate as a reader needs it: a variable rate says so, with its index and
    margin, never a bare « 0 » (the index's level, often 0 these years)."""
    rate = row.get("taux", "")
    shown = tk.h.budget_number(Decimal(rate)) if rate else ""
    if not tables.is_variable(row):
        return shown
    kind = tables.EMPRUNT.column("type_taux").words(row.get("type_taux", ""), lang)
    if not row.get("type_taux"):
        kind = tk._("Variable")
    parts = [kind]
    if row.get("index_taux"):
        parts.append(tk._("index: %(index)s", index=row["index_taux"]))
    if row.get("marge_taux"):
        margin = tk.h.budget_number(Decimal(row["marge_taux"]))
        parts.append(tk._("margin: %(margin)s %%", margin=margin))
    if rate and Decimal(rate) != 0:
        parts.append(tk._("level: %(rate)s %%", rate=shown))
    return " — ".join(parts)


def _row_cells(
    spec: tables.Spec, shown: list[tables.Column], row: dict[str, str], lang: str
) -> list[Cell]:
    cells = [_cell(column, row.get(column.key, ""), lang) for column in shown]
    if spec is tables.EMPRUNT:
        for cell, column in zip(cells, shown, strict=True):
            if column.key == "taux" and tables.is_variable(row):
                cell.text, cell.kind = _rate_text(row, lang), tables.TEXT
    return cells


def _group_label(spec: tables.Spec, group: dict[str, str], lang: str) -> str:
    return " — ".join(spec.column(key).words(value, lang) for key, value in group.items())


def _total(spec: tables.Spec, total: tables.Total, label: str, lang: str) -> TotalView:
    return TotalView(
        label,
        total.count,
        [_cell(spec.column(key), total.sums[key], lang) for key in spec.sums],
    )


def _shown_columns(spec: tables.Spec, selected: Selected | None) -> list[tables.Column]:
    """The columns the document fills (a file without objects shows no empty "Purpose"
    column); the downloads keep every column."""
    if selected is None:
        return list(spec.columns)
    rows = selected.table.rows
    return [c for c in spec.columns if any(row.get(c.key) for row in rows)]


def _sorted(column: tables.Column, selected: Selected | None) -> str | None:
    if selected is None or selected.sort != column.key:
        return None
    return "descending" if selected.descending else "ascending"


def _next_direction(column: tables.Column, selected: Selected | None) -> str:
    """A click on a header sorts by it (amounts biggest first); again, the other way."""
    if selected is not None and selected.sort == column.key:
        return "asc" if selected.descending else "desc"
    return "desc" if column.numeric else "asc"


def _page(name: str, selected: Selected | None, page_number: int) -> AnnexPage:
    lang = settings.current_language()
    spec = tables.SPECS[name]
    columns = [
        ColumnView(
            column.key,
            column.label.text(lang),
            column.kind,
            _sorted(column, selected),
            _next_direction(column, selected),
        )
        for column in _shown_columns(spec, selected)
    ]
    page = AnnexPage(
        name=name,
        title=spec.title.text(lang),
        query=selected.query if selected else "",
        sort=selected.sort if selected else None,
        direction="desc" if selected and selected.descending else "asc",
        columns=columns,
        rows=[],
        matching=0,
        total_rows=0,
        page=1,
        pages=1,
        first=0,
        sum_columns=[c for c in columns if c.key in spec.sums],
        count_label=_count_label(name),
        group_label=" — ".join(spec.column(key).label.text(lang) for key in spec.group_by),
        computed=selected is not None,
    )
    if selected is None:
        return page
    rows = selected.rows
    page.matching, page.total_rows = len(rows), len(selected.table.rows)
    page.pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page.page = min(max(1, page_number), page.pages)
    page.first = (page.page - 1) * PAGE_SIZE
    shown = [spec.column(column.key) for column in columns]
    page.rows = [
        _row_cells(spec, shown, row, lang) for row in rows[page.first : page.first + PAGE_SIZE]
    ]
    page.totals = [
        _total(spec, total, _group_label(spec, total.group, lang), lang)
        for total in tables.totals(spec, rows)
    ]
    page.grand_total = _total(spec, tables.grand_total(spec, rows), tk._("Total"), lang)
    page.part_totals = [
        _total(spec, total, part.label.text(lang), lang)
        for part, total in tables.part_totals(spec, rows)
    ]
    return page


def _render(id: str, resource_id: str, name: str, template: str, *, light: bool) -> str:
    target, selected = _load(id, resource_id, name, light=light)
    try:
        page_number = int(tk.request.args.get("page", 1))
    except ValueError:
        page_number = 1
    annex = _page(name, selected, page_number)
    _check_page(annex, {"id": id, "resource_id": resource_id, "name": name})
    return tk.render(
        template,
        {
            "annex": annex,
            "pkg": target.package,
            "pkg_dict": target.package,
            "package": target.package,
            "res": target.resource,
        },
    )


def page(id: str, resource_id: str, name: str) -> str:
    """The table in the portal's page, with totals and downloads."""
    return _render(id, resource_id, name, "budget/annexes/page.html", light=False)


def embed(id: str, resource_id: str, name: str) -> str:
    """The table alone, to put in an iframe on another site."""
    return _render(id, resource_id, name, "budget/annexes/embed.html", light=True)


def _selected_or_404(id: str, resource_id: str, name: str) -> tuple[access.Target, Selected]:
    target, selected = _load(id, resource_id, name)
    if selected is None:
        tk.abort(404, tk._("This table has not been computed yet."))
    return target, selected


def _file_name(target: access.Target, name: str, suffix: str) -> str:
    return presenters.download_name(target.resource.get("name"), f"annexe-{name}.{suffix}")


def export_csv(id: str, resource_id: str, name: str) -> Response:
    """The rows the page shows (searched and sorted, every page), codes with their words."""
    target, selected = _selected_or_404(id, resource_id, name)
    lang = settings.current_language()
    body = tables.to_csv(selected.table.spec, safe_rows(selected.rows), lang)
    filename = _file_name(target, name, "csv")
    return csv_download(body, filename, wants_excel(tk.request.args))


def export_json(id: str, resource_id: str, name: str) -> Response:
    """The same rows as JSON, with the totals the page shows."""
    _, selected = _selected_or_404(id, resource_id, name)
    lang = settings.current_language()
    spec = selected.table.spec
    body: dict[str, Any] = {
        "resource_id": resource_id,
        "annexe": name,
        "titre": spec.title.text(lang),
        "recherche": selected.query,
        "tri": selected.sort,
        "ordre": "desc" if selected.descending else "asc",
        "colonnes": [
            {"cle": c.key, "libelle": c.label.text(lang), "type": c.kind} for c in spec.columns
        ],
        "lignes": [_json_row(spec, row, lang) for row in selected.rows],
        "totaux": [
            {**total.group, "nombre": total.count, **total.sums}
            for total in tables.totals(spec, selected.rows)
        ],
        "total": {
            "nombre": len(selected.rows),
            **({} if spec.parts else tables.grand_total(spec, selected.rows).sums),
        },
    }
    if spec.parts:  # summed apart, never together (own debt, guaranteed loans)
        body["totaux_parties"] = [
            {"partie": part.key, "libelle": part.label.text(lang), "nombre": total.count}
            | total.sums
            for part, total in tables.part_totals(spec, selected.rows)
        ]
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _json_row(spec: tables.Spec, row: dict[str, str], lang: str) -> dict[str, str]:
    out = {}
    for column in spec.columns:
        out[column.key] = row.get(column.key, "")
        if column.kind == tables.CODE:
            value = out[column.key]
            out[column.key + tables.LABEL_SUFFIX] = column.words(value, lang) if value else ""
    return out


blueprint.add_url_rule(PREFIX, view_func=page)
blueprint.add_url_rule(f"{PREFIX}/embed", view_func=embed)
blueprint.add_url_rule(f"{PREFIX}/data.csv", view_func=export_csv)
blueprint.add_url_rule(f"{PREFIX}/data.json", view_func=export_json)
