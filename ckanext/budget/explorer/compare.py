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
from ..docbudg import annex_tables
from ..docbudg.figures import comparison, reference
from ..docbudg.figures.big_numbers import BigNumbers
from ..docbudg.figures.big_numbers import definitions as big_number_definitions
from ..docbudg.figures.comparison import Compared, ComparedRow, per_head
from ..docbudg.figures.indicator_table import current
from ..docbudg.figures.levels import Level, level
from ..docbudg.figures.results import Result
from ..docbudg.model import Stage
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
    authority: str = ""
    """The authority as the document names itself (``LibelleColl``)."""
    short_words: str = ""
    """« CA 2018 »: the stage abbreviated, for the chart."""

    @property
    def heading(self) -> str:
        """The document in full: budget, stage and year, and the authority when the
        dataset's title does not name it (never cut: the table and the list show it)."""
        text = f"{self.package_title} — {self.words}"
        if self.authority and annex_tables.fold(self.authority) not in annex_tables.fold(text):
            text = f"{text} — {self.authority}"
        return text

    @property
    def short(self) -> str:
        """« Montreuil CA 2018 »: the chart's legend, which the list above it completes."""
        title = self.package_title.split(" — ", 1)[0].strip() or self.package_title
        return f"{title} {self.short_words}".strip()


@dataclass
class Reference:
    """The median of the portal's other authorities of the same size class and norm."""

    label: str
    short: str
    count: int
    rows: dict[str, tuple[Decimal | None, Decimal | None]]
    """Per category id: (median amount, median amount per inhabitant)."""
    total: tuple[Decimal | None, Decimal | None]
    summary: dict[str, tuple[Decimal | None, Decimal | None]]
    """Per big number (``RF``…)."""
    documents: list[int] = field(default_factory=list)
    """The numbers (from 1) of the compared documents this group is the reference of."""
    whose: str = ""
    """« document 1 », « documents 1 and 3 »: said in the headings when the documents do
    not all share this group."""

    @property
    def heading(self) -> str:
        """The group named in full, with whose reference it is when that is not every
        document's: a table's heading, a column of the exports."""
        return f"{self.label} — {self.whose}" if self.whose else self.label


@dataclass
class Comparison(Compared):
    """What the core compared, with the documents as the page names them."""

    columns: list[Column] = field(default_factory=list)
    truncated: bool = False
    unit: str = "euros"
    """``euros`` or ``inhabitant``: what the chart draws."""
    references: list[Reference] = field(default_factory=list)
    """One reference group per distinct (class, norm, year, stage) of the documents."""
    reference_notes: list[str] = field(default_factory=list)
    """Why a document has no reference group, in words (one sentence per document)."""

    @property
    def reference(self) -> Reference | None:
        """The first group (of the first document that has one): what ``median`` gives
        without a group."""
        return self.references[0] if self.references else None

    @property
    def resource_ids(self) -> list[str]:
        return [column.resource_id for column in self.columns]

    @property
    def norms(self) -> list[str]:
        """The accounting norms (M14, M57…) of the documents, each once."""
        return sorted({column.norm for column in self.columns if column.norm})

    @property
    def state(self) -> dict[str, Any]:
        return {
            "tree": self.tree_id,
            "node": self.node_id,
            "unit": self.unit if self.unit != "euros" else None,
        }

    @property
    def summary(self) -> list[ComparedRow]:
        """The totals table's rows."""
        return totals_rows(self)

    def median(
        self, table: str, row_id: str | None, group: Reference | None = None
    ) -> tuple[Decimal | None, Decimal | None]:
        """A reference group's (median, per inhabitant) of a row of ``table``."""
        return reference_of(self, table, row_id, group)


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


UNITS = ("euros", "inhabitant")


def _short_words(record: db.BudgetDocumentRecord) -> str:
    """« CA 2018 », « DM2 2021 »: the stage's French abbreviation and the year."""
    try:
        stage = Stage[record.stage].name if record.stage else ""
    except KeyError:
        stage = record.stage or ""
    if stage == Stage.DM.name and record.num_dec and record.num_dec != "0":
        stage += record.num_dec
    return f"{stage} {record.exercice or ''}".strip()


def build(
    resource_ids: list[str],
    tree: str | None = None,
    node: str | None = None,
    unit: str | None = None,
) -> Comparison:
    """The comparison of these documents at one level (``tree``, ``node``; unknown values:
    the default tree, the first level), with the median of each document's reference
    group (documents of one class, norm, year and stage share theirs)."""
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
            norm=reference.norm_family(record.nomenclature),
            population=population,
            big_numbers=result.big_numbers,
            found=shown,
            computing=record.resource_id not in stored,
            authority=(record.collectivite or record.etablissement or "").strip(),
            short_words=_short_words(record),
        )
        for (package, record), result, population, shown in zip(
            pairs, results, populations, found.found, strict=True
        )
    ]
    out = Comparison(
        **{f.name: getattr(found, f.name) for f in fields(Compared)},
        columns=columns,
        truncated=len(wanted) > MAX_DOCUMENTS,
        unit=unit if unit in UNITS else "euros",
    )
    if records:
        out.references, out.reference_notes = _references(records, populations, out, lang)
    return out


# --- the reference group: the median of the same size class and norm ----------------------

MAX_CANDIDATES = 500
"""Documents looked at for a reference group (one year, stage and norm of a portal)."""


def _may_see(package_ids: set[str]) -> set[str]:
    """The datasets the user may see (a private one of another organisation, a deleted
    one: not counted, so a median never reveals them)."""
    context = access.context()
    seen = set()
    for package_id in package_ids:
        try:
            tk.check_access("package_show", dict(context), {"id": package_id})
        except (tk.NotAuthorized, tk.ObjectNotFound):
            continue
        seen.add(package_id)
    return seen


def _candidates(first: db.BudgetDocumentRecord, norm: str) -> list[db.BudgetDocumentRecord]:
    """Processed documents of the same year, stage and norm, the latest processed first."""
    record = db.BudgetDocumentRecord
    query = (
        model.Session.query(record)
        .filter(
            record.status == db.STATUS_DONE,
            record.exercice == first.exercice,
            record.stage == first.stage,
            record.nomenclature.ilike(f"{norm}-%"),
        )
        .order_by(record.processed.desc().nullslast(), record.resource_id)
    )
    if first.is_principal is not None:
        query = query.filter(record.is_principal == first.is_principal)
    return list(query.limit(MAX_CANDIDATES))


def _authority(record: db.BudgetDocumentRecord) -> str:
    return record.siret or annex_tables.fold(record.collectivite or record.resource_id)


def _key(record: db.BudgetDocumentRecord, population: int | None) -> reference.Key | None:
    norm = reference.norm_family(record.nomenclature)
    return reference.key(population, norm, record.exercice, record.stage, record.is_principal)


def _references(
    records: list[db.BudgetDocumentRecord],
    populations: list[int | None],
    found: Comparison,
    lang: str,
) -> tuple[list[Reference], list[str]]:
    """Each document's reference group (the core says which documents share one), and
    why a document has none."""
    keys = [_key(r, p) for r, p in zip(records, populations, strict=True)]
    shared = reference.shared(keys)
    alone = len(shared) != 1 or len(shared[0]) != len(records)
    unknown = tk._("No reference group: the population of the document is not known yet.")
    groups: list[Reference] = []
    notes = [(i, _for([i + 1], unknown, alone, lang)) for i, k in enumerate(keys) if k is None]
    for indexes in shared:
        numbers = [i + 1 for i in indexes]
        first = indexes[0]
        group, note = _reference(records, records[first], populations[first], found, lang)
        if group is None:
            notes.append((first, _for(numbers, note, alone, lang)))
            continue
        group.documents = numbers
        if alone:
            group.whose = reference.of_documents(numbers).text(lang)
            group.short = f"{group.short} ({group.whose})"
        groups.append(group)
    return groups, [note for _, note in sorted(notes)]


def _for(numbers: list[int], note: str, alone: bool, lang: str) -> str:
    """« Document 2: no reference group… » when the documents do not share one group."""
    if not alone:
        return note
    whose = reference.of_documents(numbers).text(lang)
    return f"{whose[:1].upper()}{whose[1:]} — {note}"


def _reference(
    records: list[db.BudgetDocumentRecord],
    first: db.BudgetDocumentRecord,
    population: int | None,
    found: Comparison,
    lang: str,
) -> tuple[Reference | None, str]:
    """The reference group of ``first`` (and the compared documents of its class, norm,
    year and stage) as the medians of what the page shows; or None and why."""
    norm = reference.norm_family(first.nomenclature)
    if population is None or norm is None:
        return None, tk._("No reference group: the population of the document is not known yet.")
    target = reference.Member(_authority(first), population, norm)
    stratum = reference.stratum(population)
    assert stratum is not None
    candidates = [
        c
        for c in _candidates(first, norm)
        if c.resource_id not in found.resource_ids and stratum.holds(_population(c) or 0)
    ]
    visible = _may_see({c.package_id for c in candidates})  # only the class's: few checks
    candidates = [c for c in candidates if c.package_id in visible]
    described = [
        reference.Member(_authority(c), _population(c), reference.norm_family(c.nomenclature))
        for c in candidates
    ]
    excluded = [_authority(r) for r in records]
    chosen = [candidates[i] for i in reference.members(target, described, excluded)]
    stored, _ = _results(chosen) if chosen else ({}, set())
    members = [(c, stored[c.resource_id]) for c in chosen if c.resource_id in stored]
    levels: list[Level] = []
    heads: list[int] = []
    big: list[BigNumbers] = []
    for record, result in members:  # those with the level shown: one n for every figure
        if found.tree_id is None or result.tree(found.tree_id) is None:
            continue
        lvl = level(result, found.tree_id, found.node_id, False, lang)
        if lvl is not None and lvl.node_id == found.node_id:
            levels.append(lvl)
            heads.append(_population(record) or 0)
            big.append(result.big_numbers)
    if not levels:
        words = stratum.words.text(lang)
        return None, tk._(
            "No reference group: no other authority of the portal {words}, {norm}, has "
            "this breakdown for the same year and stage."
        ).format(words=words, norm=norm)
    summary = reference.summarise(levels, heads, [row.id for row in found.rows])
    group = reference.Group(stratum, norm, len(levels))
    totals = {
        key: reference.medians([b[key] for b in big], heads) for key in ("RF", "DF", "RI", "DI")
    }
    return (
        Reference(
            label=group.label.text(lang),
            short=tk._("Median, {count} authorities").format(count=len(levels)),
            count=len(levels),
            rows=summary.rows,
            total=summary.total,
            summary=totals,
        ),
        "",
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
    # the median of each reference group, named in full (with whose it is when the
    # documents do not share one)
    medians = [(g, g.heading, f"{g.heading} / {per_inhabitant}") for g in found.references]
    fields[2 + 2 * len(headings) : 2 + 2 * len(headings)] = [
        name for _, amount, head in medians for name in (amount, head)
    ]
    rows = []
    for row in totals_rows(found) if table == "totals" else found.rows:
        values: dict[str, str] = {"id": row.id, "libelle": row.label}
        for i, (heading, head) in enumerate(zip(headings, per_head, strict=True)):
            values[heading] = text(row.amounts[i])
            values[head] = text(row.per_inhabitant[i])
        for group, amount_name, head_name in medians:
            median, median_head = reference_of(found, table, row.id, group)
            values[amount_name] = text(median)
            values[head_name] = text(median_head)
        if words:
            values["definition"] = words[row.id]
        rows.append(values)
    return fields, rows


def reference_of(
    found: Comparison, table: str, row_id: str | None, group: Reference | None = None
) -> tuple[Decimal | None, Decimal | None]:
    """A reference group's (the first document's when ``group`` is None) (median, median
    per inhabitant) of a row (``None``: the level's total) of the ``categories`` or
    ``totals`` table."""
    group = group or found.reference
    if group is None:
        return None, None
    if table == "totals":
        return group.summary.get(row_id or "", (None, None))
    if row_id is None:
        return group.total
    return group.rows.get(row_id, (None, None))
