"""Two or more budget documents of the portal side by side: the years of one authority,
or authorities of the same accounting norm, category by category.

Categories are matched by id in a tree every document has: the default trees ("by
function", "by nature chapter") are built from the plan de comptes, so their ids are
shared by the documents of one norm. Amounts are shown as they are and per inhabitant
(the population the document declares, from its stored indicators). Only documents the
user may see can be compared: any other is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk

from .. import db, search, settings
from ..views import access
from ..views.presenters import stage_words
from . import budget_page, cache, data

MAX_DOCUMENTS = budget_page.MAX_COMPARED
CHOICES = 20
"""Datasets the form lists (``q`` narrows them)."""
CENT = Decimal("0.01")


@dataclass
class Column:
    """A compared document."""

    resource_id: str
    package_name: str
    package_title: str
    words: str
    norm: str | None
    population: int | None
    rdfi: dict[str, Decimal]
    found: bool
    """False when the category shown is not in this document's tree."""

    @property
    def heading(self) -> str:
        return f"{self.package_title} — {self.words}"


@dataclass
class CompareRow:
    id: str
    label: str
    has_children: bool
    amounts: list[Decimal | None]
    per_inhabitant: list[Decimal | None]


@dataclass
class Comparison:
    columns: list[Column]
    trees: list[tuple[str, str]]
    """The trees every compared document has, as (id, label)."""
    tree_id: str | None
    tree_label: str
    node_id: str | None
    label: str
    path: list[tuple[str, str]]
    rows: list[CompareRow]
    """The categories of the level shown (those nil in every document left out)."""
    totals: list[Decimal | None]
    totals_per_inhabitant: list[Decimal | None]
    truncated: bool

    @property
    def resource_ids(self) -> list[str]:
        return [column.resource_id for column in self.columns]

    @property
    def norms(self) -> list[str]:
        """The accounting norms (M14, M57…) of the documents, each once."""
        return sorted({column.norm for column in self.columns if column.norm})

    @property
    def state(self) -> dict[str, Any]:
        return {"tree": self.tree_id, "node": self.node_id}

    @property
    def summary(self) -> list[CompareRow]:
        """The totals table's rows."""
        return totals_rows(self)


def per_inhabitant(amount: Decimal | None, population: int | None) -> Decimal | None:
    """Rounded to the cent, like the stored per-inhabitant indicators."""
    if amount is None or not population:
        return None
    return (amount / population).quantize(CENT, rounding=ROUND_HALF_UP)


def _population(record: db.BudgetDocumentRecord) -> int | None:
    value = (budget_page.stored_indicators(record) or {}).get("population")
    return value if isinstance(value, int) and value > 0 else None


def _unique(resource_ids: list[str]) -> list[str]:
    return [rid for i, rid in enumerate(resource_ids) if rid and rid not in resource_ids[:i]]


def _visible(resource_ids: list[str]) -> list[tuple[dict[str, Any], db.BudgetDocumentRecord]]:
    """Each document with its dataset; a document the user may not see aborts with 404
    (403 for a refused action), like its own page would."""
    found = []
    for resource_id in resource_ids:
        record = db.get_document(resource_id)
        if record is None:
            tk.abort(404, tk._("Budget document not found"))
        target = access.load(record.package_id, resource_id, "budget_document_show")
        if record.status != db.STATUS_DONE:
            tk.abort(404, tk._("This resource is not a processed budget document."))
        found.append((target.package, record))
    return found


def _results(records: list[db.BudgetDocumentRecord]) -> dict[str, tuple[dict, bool]]:
    keys = budget_page.aggregation_keys(records)
    cache_key = ("compare-results", tuple(sorted(keys.values())))
    return cache.pages.get_or_build(cache_key, lambda: budget_page.load_results(list(keys)))


def _common_trees(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shared = list(results[0].get("arbres") or []) if results else []
    for result in results[1:]:
        ids = {t["id"] for t in result.get("arbres") or []}
        shared = [t for t in shared if t["id"] in ids]
    return shared


def build(resource_ids: list[str], tree: str | None = None, node: str | None = None) -> Comparison:
    """The comparison of these documents at one level (``tree``, ``node``; unknown values:
    the default tree, the first level)."""
    lang = settings.current_language()
    wanted = _unique(resource_ids)
    pairs = _visible(wanted[:MAX_DOCUMENTS])
    records = [record for _, record in pairs]
    stored = _results(records) if records else {}
    results = [stored.get(r.resource_id, ({}, False)) for r in records]
    trees = _common_trees([result for result, _ in results])
    own = bool(results) and all(own for _, own in results)
    tree_id = tree if tree in {t["id"] for t in trees} else data.default_tree(trees, own)

    def levels(node_id: str | None) -> list[data.Level | None]:
        if tree_id is None:
            return [None] * len(results)
        return [data.level(result, tree_id, node_id, own, lang) for result, _ in results]

    found = levels(node)
    if node and not any(lvl and lvl.node_id == node for lvl in found):
        node, found = None, levels(None)
    shown = [lvl if lvl and lvl.node_id == node else None for lvl in found]
    reference = next((lvl for lvl in shown if lvl), None)

    columns = [
        Column(
            resource_id=record.resource_id,
            package_name=package["name"],
            package_title=package.get("title") or package["name"],
            words=stage_words(record.stage, record.num_dec, record.exercice, lang),
            norm=(record.nomenclature or "").split("-", 1)[0] or None,
            population=_population(record),
            rdfi={k: Decimal((result.get("rdfi") or {}).get(k, "0")) for k in data.RDFI_ORDER},
            found=lvl is not None,
        )
        for (package, record), (result, _), lvl in zip(pairs, results, shown, strict=True)
    ]
    rows: dict[str, CompareRow] = {}
    for i, lvl in enumerate(shown):
        for part in budget_page.parts(lvl) if lvl else []:
            row = rows.setdefault(
                part.id, CompareRow(part.id, part.label, False, [None] * len(shown), [])
            )
            row.has_children = row.has_children or part.has_children
            row.amounts[i] = part.amount
    shown_rows = [row for row in rows.values() if any(row.amounts)]
    for row in shown_rows:
        row.per_inhabitant = [
            per_inhabitant(amount, column.population)
            for amount, column in zip(row.amounts, columns, strict=True)
        ]
    totals = [lvl.total if lvl else None for lvl in shown]
    return Comparison(
        columns=columns,
        trees=[(t["id"], data._label(t, lang)) for t in trees],
        tree_id=tree_id,
        tree_label=reference.tree_label if reference else "",
        node_id=node,
        label=reference.label if reference else "",
        path=reference.path if reference else [],
        rows=shown_rows,
        totals=totals,
        totals_per_inhabitant=[
            per_inhabitant(total, column.population)
            for total, column in zip(totals, columns, strict=True)
        ],
        truncated=len(wanted) > MAX_DOCUMENTS,
    )


# --- the form: documents the user may pick -------------------------------------------------


@dataclass
class Choice:
    resource_id: str
    words: str
    checked: bool


@dataclass
class DatasetChoices:
    name: str
    title: str
    documents: list[Choice]


def choices(q: str, selected: list[str]) -> list[DatasetChoices]:
    """Datasets with processed documents the user may see (the ones matching ``q``, and
    those of the selected documents), with their documents to tick."""
    lang = settings.current_language()
    context = access.context()
    found = tk.get_action("package_search")(
        dict(context),
        {
            "q": q,
            "fq": f"{search.STAGE}:*",
            "rows": CHOICES,
            "include_private": True,
            "sort": "title_string asc",
        },
    )["results"]
    names = {package["id"] for package in found}
    for resource_id in selected:
        record = db.get_document(resource_id)
        if record is None or record.package_id in names:
            continue
        try:
            package = tk.get_action("package_show")(dict(context), {"id": record.package_id})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            continue
        found.insert(0, package)
        names.add(record.package_id)
    documents = _documents_by_package(list(names))
    out = []
    for package in found:
        visible = {r["id"] for r in package.get("resources", [])}
        docs = [d for d in documents.get(package["id"], []) if d.resource_id in visible]
        if docs:
            out.append(
                DatasetChoices(
                    package["name"],
                    package.get("title") or package["name"],
                    [
                        Choice(
                            d.resource_id,
                            stage_words(d.stage, d.num_dec, d.exercice, lang),
                            d.resource_id in selected,
                        )
                        for d in docs
                    ],
                )
            )
    return out


def _documents_by_package(package_ids: list[str]) -> dict[str, list[db.BudgetDocumentRecord]]:
    record = db.BudgetDocumentRecord
    query = (
        model.Session.query(record)
        .filter(record.package_id.in_(package_ids), record.status == db.STATUS_DONE)
        .order_by(record.exercice.desc(), record.stage, record.num_dec)
    )
    out: dict[str, list[db.BudgetDocumentRecord]] = {}
    for document in query:
        out.setdefault(document.package_id, []).append(document)
    return out


# --- the data behind the tables -------------------------------------------------------------

TABLES = ("categories", "totals")


def totals_rows(found: Comparison) -> list[CompareRow]:
    """The totals table: real receipts and spending per section, for each document."""
    labels = {
        "RF": tk._("Operating receipts"),
        "DF": tk._("Operating spending"),
        "RI": tk._("Capital receipts"),
        "DI": tk._("Capital spending"),
    }
    rows = []
    for key, label in labels.items():
        amounts: list[Decimal | None] = [column.rdfi[key] for column in found.columns]
        rows.append(
            CompareRow(
                key,
                label,
                False,
                amounts,
                [
                    per_inhabitant(amount, column.population)
                    for amount, column in zip(amounts, found.columns, strict=True)
                ],
            )
        )
    return rows


def export_table(found: Comparison, table: str) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows) of one table (``categories`` or ``totals``): each document's amount
    and amount per inhabitant, as exact strings, under the document's heading."""
    headings: list[str] = []
    for column in found.columns:
        heading, n = column.heading, 2
        while heading in headings:
            heading, n = f"{column.heading} ({n})", n + 1
        headings.append(heading)
    per_head = [f"{h} / {tk._('per inhabitant')}" for h in headings]
    fields = ["id", "libelle", *(x for pair in zip(headings, per_head, strict=True) for x in pair)]

    def text(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}"

    rows = []
    for row in totals_rows(found) if table == "totals" else found.rows:
        values: dict[str, str] = {"id": row.id, "libelle": row.label}
        for i, (heading, head) in enumerate(zip(headings, per_head, strict=True)):
            values[heading] = text(row.amounts[i])
            values[head] = text(row.per_inhabitant[i])
        rows.append(values)
    return fields, rows
