"""Two or more budget documents of the portal side by side: the years of one authority,
or authorities of the same accounting norm, category by category.

Categories are matched by id in a tree every document has: the default trees ("by
function", "by nature chapter") are built from the plan de comptes, so their ids are
shared by the documents of one norm. Amounts are shown as they are and per inhabitant
(the population the document declares, from its stored indicators). Only documents the
user may see can be compared: any other is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from ckan import model
from ckan.plugins import toolkit as tk

from .. import settings
from ..docbudg.figures import comparison
from ..docbudg.figures.big_numbers import BigNumbers
from ..docbudg.figures.big_numbers import definitions as big_number_definitions
from ..docbudg.figures.comparison import Compared, ComparedRow, per_head
from ..docbudg.figures.indicator_table import current
from ..docbudg.figures.results import Result
from ..documents import access
from ..documents import index_fields as search
from ..documents import model as db
from ..documents.presenters import stage_words
from . import budget_page, cache

MAX_DOCUMENTS = budget_page.MAX_COMPARED
CHOICES = 20
"""Datasets the form lists (``q`` narrows them)."""


@dataclass
class Column:
    """A compared document."""

    resource_id: str
    package_name: str
    package_title: str
    words: str
    norm: str | None
    population: int | None
    big_numbers: BigNumbers
    found: bool
    """False when the category shown is not in this document's tree."""
    computing: bool = False
    """Its figures are being computed (a job was queued): none shown until then."""

    @property
    def heading(self) -> str:
        return f"{self.package_title} — {self.words}"


@dataclass
class Comparison(Compared):
    """What the core compared, with the documents as the page names them."""

    columns: list[Column] = field(default_factory=list)
    truncated: bool = False

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
    def summary(self) -> list[ComparedRow]:
        """The totals table's rows."""
        return totals_rows(self)


def _population(record: db.BudgetDocumentRecord) -> int | None:
    value = (current(record.indicators) or {}).get("population")
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


def _results(records: list[db.BudgetDocumentRecord]) -> tuple[dict[str, Result], set[str]]:
    """The documents' up-to-date stored results (the others are being computed), and
    those aggregated with the authority's own rules."""
    keys, _ = budget_page.aggregation_keys(records)
    cache_key = ("compare-results", tuple(sorted(keys.values())))
    return cache.pages.get_or_build(cache_key, lambda: budget_page.load_results(list(keys)))


def build(resource_ids: list[str], tree: str | None = None, node: str | None = None) -> Comparison:
    """The comparison of these documents at one level (``tree``, ``node``; unknown values:
    the default tree, the first level)."""
    lang = settings.current_language()
    wanted = _unique(resource_ids)
    pairs = _visible(wanted[:MAX_DOCUMENTS])
    records = [record for _, record in pairs]
    stored, own = _results(records) if records else ({}, set())
    results = [stored.get(r.resource_id, Result(trees=[])) for r in records]
    populations = [_population(record) for record in records]
    own_rules = bool(records) and all(r.resource_id in own for r in records)
    found = comparison.compare(results, populations, own_rules, tree, node, lang)
    columns = [
        Column(
            resource_id=record.resource_id,
            package_name=package["name"],
            package_title=package.get("title") or package["name"],
            words=stage_words(record.stage, record.num_dec, record.exercice, lang),
            norm=(record.nomenclature or "").split("-", 1)[0] or None,
            population=population,
            big_numbers=result.big_numbers,
            found=shown,
            computing=record.resource_id not in stored,
        )
        for (package, record), result, population, shown in zip(
            pairs, results, populations, found.found, strict=True
        )
    ]
    return Comparison(
        **{f.name: getattr(found, f.name) for f in fields(Compared)},
        columns=columns,
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


def totals_rows(found: Comparison) -> list[ComparedRow]:
    """The totals table: each document's big numbers (real receipts and spending per
    section)."""
    labels = {
        "RF": tk._("Operating receipts"),
        "DF": tk._("Operating spending"),
        "RI": tk._("Capital receipts"),
        "DI": tk._("Capital spending"),
    }
    populations = [column.population for column in found.columns]
    rows = []
    for key, label in labels.items():
        amounts: list[Decimal | None] = [column.big_numbers[key] for column in found.columns]
        rows.append(ComparedRow(key, label, False, amounts, per_head(amounts, populations)))
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
    per_inhabitant = tk._("per inhabitant")
    per_head = [f"{h} / {per_inhabitant}" for h in headings]
    fields = ["id", "libelle", *(x for pair in zip(headings, per_head, strict=True) for x in pair)]

    def text(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}"

    # The totals are the big numbers: each row says what it counts (the core's words).
    words = big_number_definitions(settings.current_language()) if table == "totals" else {}
    if words:
        fields.append("definition")
    rows = []
    for row in totals_rows(found) if table == "totals" else found.rows:
        values: dict[str, str] = {"id": row.id, "libelle": row.label}
        for i, (heading, head) in enumerate(zip(headings, per_head, strict=True)):
            values[heading] = text(row.amounts[i])
            values[head] = text(row.per_inhabitant[i])
        if words:
            values["definition"] = words[row.id]
        rows.append(values)
    return fields, rows
