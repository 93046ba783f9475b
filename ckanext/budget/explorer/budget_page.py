"""What the budget page shows: every document of one budget (dataset), year by year.

Each year has up to two *bases*: **realised**, the compte administratif (or the compte
financier unique that replaces it), and **voted**, the budget primitif, the budget
supplémentaire and the décisions modificatives with their categories summed (a DM holds
the change it votes, so the sum is the year's voted budget). A document uploaded twice
(same stage and decision number in a year) counts once: the latest processed wins.

Everything is read from the stored aggregations (``rulesets.service``), recomputed first
when out of date. The bases of a dataset are cached (``cache``) under the identity of
those aggregations; the rest (one level, the series over the years) is cheap to rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ckan import model

from .. import db, settings
from ..docbudg import indicators as core_indicators
from ..rulesets import service
from ..rulesets.model import AggregationRecord
from ..views.presenters import REALISED_STAGES, badge_word, stage_words
from . import cache, data

REALISED = "realised"
VOTED = "voted"
BASES = (REALISED, VOTED)
VOTED_STAGES = ("BP", "BS", "DM")
MAX_COMPARED = 8
"""The comparison page shows at most this many documents side by side."""

Result = dict[str, Any]
"""A stored aggregation result (``arbres`` of nested ``categories``/``enfants``, ``rdfi``)."""


# --- documents and their stored aggregations ----------------------------------------------


def documents_of(package: dict[str, Any]) -> list[db.BudgetDocumentRecord]:
    """The dataset's budget documents among the resources the user was shown."""
    visible = {resource["id"] for resource in package.get("resources", [])}
    return [d for d in db.documents_for_package(package["id"]) if d.resource_id in visible]


def aggregation_keys(documents: Iterable[db.BudgetDocumentRecord]) -> dict[str, tuple]:
    """The identity of each processed document's up-to-date aggregation (without loading
    its result): what the cache keys are made of. Out-of-date ones are recomputed first;
    a document whose aggregation fails is left out (the failure is logged)."""
    done = [d for d in documents if d.status == db.STATUS_DONE]
    states = _states(d.resource_id for d in done)
    rules = {p: _rules_version(p) for p in {d.package_id for d in done}}
    stale = [d for d in done if not _is_current(states.get(d.resource_id), d, rules[d.package_id])]
    for document in stale:
        service.on_document_processed(document.resource_id)
    if stale:
        states = _states(d.resource_id for d in done)
    return {
        d.resource_id: (
            d.resource_id,
            d.content_sha256,
            d.updated.isoformat() if d.updated else None,
            states[d.resource_id].ruleset_id,
            states[d.resource_id].ruleset_version,
            states[d.resource_id].computed.isoformat(),
        )
        for d in done
        if d.resource_id in states
    }


def _rules_version(package_id: str) -> tuple[str | None, int | None]:
    record = service.applicable(package_id)
    return (record.id, record.version) if record is not None else (None, None)


def _is_current(state: Any, document: db.BudgetDocumentRecord, rules: tuple) -> bool:
    """``service.is_fresh`` with the dataset's rule-set version looked up once for all
    its documents (instead of three queries per document)."""
    return (
        state is not None
        and state.content_sha256 == document.content_sha256
        and (state.ruleset_id, state.ruleset_version) == rules
    )


def _states(resource_ids: Iterable[str]) -> dict[str, Any]:
    agg = AggregationRecord
    query = model.Session.query(
        agg.resource_id, agg.ruleset_id, agg.ruleset_version, agg.content_sha256, agg.computed
    ).filter(agg.resource_id.in_(list(resource_ids)))
    return {row.resource_id: row for row in query}


def load_results(resource_ids: Iterable[str]) -> dict[str, tuple[Result, bool]]:
    """Each document's stored result, and whether it follows the authority's own rules."""
    agg = AggregationRecord
    query = model.Session.query(agg.resource_id, agg.result, agg.ruleset_id).filter(
        agg.resource_id.in_(list(resource_ids))
    )
    return {row.resource_id: (row.result or {}, row.ruleset_id is not None) for row in query}


# --- summing documents --------------------------------------------------------------------


def merge(results: list[Result]) -> Result:
    """Several results summed category by category (matched by id, in order of first
    appearance); amounts stay exact decimal strings. Only what the pages read is kept
    (labels, amounts, children, RDFI totals): checks describe one document each."""
    if len(results) == 1:
        return results[0]
    trees: dict[str, dict[str, Any]] = {}
    for result in results:
        for tree in result.get("arbres") or []:
            labels = {k: tree[k] for k in ("id", "libelle", "libelle_en") if k in tree}
            trees.setdefault(tree["id"], {**labels, "categories": []})
    for tree_id, tree in trees.items():
        tree["categories"] = _merge_nodes(
            [t["categories"] for r in results for t in r.get("arbres") or [] if t["id"] == tree_id]
        )
    rdfi: dict[str, Decimal] = {}
    for result in results:
        for key, amount in (result.get("rdfi") or {}).items():
            rdfi[key] = rdfi.get(key, Decimal(0)) + Decimal(amount)
    return {"arbres": list(trees.values()), "rdfi": {k: str(v) for k, v in rdfi.items()}}


def _merge_nodes(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    children: dict[str, list[list[dict[str, Any]]]] = {}
    for nodes in lists:
        for node in nodes:
            into = merged.get(node["id"])
            if into is None:
                # Per-node details (RDFI split, formula) describe one document: dropped.
                into = {k: node[k] for k in ("id", "libelle", "libelle_en") if k in node}
                merged[node["id"]] = into
                into["montant"] = Decimal(0)
                children[node["id"]] = []
            into["montant"] += Decimal(node["montant"])
            if node.get("enfants"):
                children[node["id"]].append(node["enfants"])
    for node_id, node in merged.items():
        node["montant"] = str(node["montant"])
        if children[node_id]:
            node["enfants"] = _merge_nodes(children[node_id])
    return list(merged.values())


# --- bases: one per year and kind ---------------------------------------------------------


@dataclass(frozen=True)
class Basis:
    """A year's realised or voted figures, and the documents they come from."""

    year: int
    resource_ids: tuple[str, ...]
    result: Result
    own_rules: bool


def _latest(documents: list[db.BudgetDocumentRecord]) -> db.BudgetDocumentRecord:
    return max(documents, key=lambda d: (d.processed or d.updated or d.created, d.resource_id))


def _voted_order(group: tuple[str, str]) -> tuple[int, int, str]:
    stage, number = group
    return (VOTED_STAGES.index(stage), int(number) if number.isdigit() else 0, number)


def choose(documents: list[db.BudgetDocumentRecord]) -> dict[int, dict[str, list[str]]]:
    """Per year and kind, the resource ids that make the basis: the account, or the
    BP, BS and DMs in that order (a document uploaded twice counts once)."""
    groups: dict[tuple[int, str], dict[tuple[str, str], list[db.BudgetDocumentRecord]]] = {}
    for document in documents:
        stage = document.stage or ""
        if document.exercice is None or stage not in (*REALISED_STAGES, *VOTED_STAGES):
            continue
        kind = REALISED if stage in REALISED_STAGES else VOTED
        number = (document.num_dec or "") if stage == "DM" else ""
        by_group = groups.setdefault((document.exercice, kind), {})
        by_group.setdefault((stage, number), []).append(document)
    chosen: dict[int, dict[str, list[str]]] = {}
    for (year, kind), by_group in sorted(groups.items()):
        if kind == REALISED:
            # A CFU replaces the CA: when a year has both, the CFU is the account.
            account = ("CFU", "") if ("CFU", "") in by_group else ("CA", "")
            ids = [_latest(by_group[account]).resource_id]
        else:
            ids = [_latest(by_group[g]).resource_id for g in sorted(by_group, key=_voted_order)]
        chosen.setdefault(year, {})[kind] = ids
    return chosen


def bases(
    package_id: str, keys: dict[str, tuple], documents: list[db.BudgetDocumentRecord]
) -> dict[int, dict[str, Basis]]:
    """The dataset's bases by year then kind, from the cache when its aggregations have
    not changed."""
    cache_key = ("budget-page-bases", package_id, tuple(sorted(keys.values())))
    counted = [d for d in documents if d.resource_id in keys]
    return cache.pages.get_or_build(cache_key, lambda: _build_bases(counted))


def _build_bases(documents: list[db.BudgetDocumentRecord]) -> dict[int, dict[str, Basis]]:
    chosen = choose(documents)
    ids = [rid for kinds in chosen.values() for found in kinds.values() for rid in found]
    results = load_results(ids)
    out: dict[int, dict[str, Basis]] = {}
    for year, kinds in chosen.items():
        for kind, members in kinds.items():
            found = [results[rid] for rid in members if rid in results]
            if not found:
                continue
            out.setdefault(year, {})[kind] = Basis(
                year=year,
                resource_ids=tuple(members),
                result=merge([result for result, _ in found]),
                own_rules=any(own for _, own in found),
            )
    return out


# --- what one state of the page shows ------------------------------------------------------


@dataclass(frozen=True)
class DocumentRef:
    """A document of the budget as the page lists and links it."""

    resource_id: str
    name: str
    stage: str | None
    year: int | None
    words: str
    badge: str
    """Processing state, else validation status (``presenters.badge_word``)."""
    view_id: str | None
    """The document's explorer view, where its lines are shown."""


@dataclass
class Series:
    """One part of a category over the years."""

    id: str
    label: str
    values: dict[int, Decimal] = field(default_factory=dict)


@dataclass
class Stack:
    """A category's parts over the years: one stacked bar per year, one table row per
    part (a leaf is its own only part)."""

    id: str
    label: str
    years: list[int]
    series: list[Series]
    totals: dict[int, Decimal]


@dataclass
class ExecutionRow:
    id: str
    label: str
    voted: Decimal | None
    realised: Decimal | None
    rate: Decimal | None = None
    """Realised ÷ voted (the execution rate): only when the year's voted documents
    include the budget primitif (amendments alone are changes, not a budget)."""


@dataclass
class Execution:
    """Voted against realised for one year, at the level shown."""

    year: int
    rows: list[ExecutionRow]
    voted_total: Decimal
    realised_total: Decimal
    with_primitive: bool
    """False when the year's voted documents have no budget primitif (amendments only)."""


@dataclass
class IndicatorColumn:
    year: int
    words: str
    values: dict[str, Any] | None
    """The stored indicators of the year's document; None: not computed yet."""


@dataclass
class IndicatorRow:
    key: str
    label: str
    definition: str
    kind: str
    """``money``, ``population`` or ``years``."""
    per_inhabitant: bool
    values: list[Decimal | None]


@dataclass
class Indicators:
    columns: list[IndicatorColumn]
    rows: list[IndicatorRow]
    per_inhabitant_definition: str

    @property
    def computed(self) -> bool:
        return any(column.values is not None for column in self.columns)


@dataclass
class BudgetPage:
    years: list[int]
    year: int | None
    stage: str | None
    year_stages: dict[int, list[str]]
    level: data.Level | None
    rdfi: dict[str, Decimal]
    basis_documents: list[DocumentRef]
    evolution: list[Stack]
    execution: Execution | None
    indicators: Indicators
    documents: list[DocumentRef]
    accounts: list[str]
    """The account (CA, CFU) of each year, latest years last: what to compare."""

    @property
    def stages(self) -> list[str]:
        return self.year_stages.get(self.year, []) if self.year is not None else []

    @property
    def state(self) -> dict[str, Any]:
        """The URL parameters of what is shown (unknown or missing ones resolved)."""
        return {
            "tree": self.level.tree_id if self.level else None,
            "node": self.level.node_id if self.level else None,
            "year": self.year,
            "stage": self.stage,
        }


def _node(result: Result, tree_id: str, node_id: str) -> dict[str, Any] | None:
    tree = next((t for t in result.get("arbres") or [] if t["id"] == tree_id), None)
    path = data._find(tree["categories"], node_id) if tree else None
    return path[-1] if path else None


def evolution(
    by_year: dict[int, Basis], tree_id: str, parent_ids: list[str], lang: str
) -> list[Stack]:
    """For each parent category, its parts over the years (labels of the latest year;
    parts nil every year are left out)."""
    stacks = []
    for parent_id in parent_ids:
        label, years, totals = parent_id, [], {}
        series: dict[str, Series] = {}
        for year, basis in sorted(by_year.items()):
            node = _node(basis.result, tree_id, parent_id)
            if node is None:
                continue
            years.append(year)
            label = data._label(node, lang)
            totals[year] = Decimal(node["montant"])
            for part in node.get("enfants") or [node]:
                found = series.setdefault(part["id"], Series(part["id"], ""))
                found.label = data._label(part, lang)
                found.values[year] = Decimal(part["montant"])
        kept = [s for s in series.values() if any(s.values.values())]
        stacks.append(Stack(parent_id, label, years, kept, totals))
    return stacks


def parts(level: data.Level) -> list[data.Row]:
    """The rows of a level; a leaf is its own only row."""
    if level.rows:
        return level.rows
    return [data.Row(level.node_id or "", level.label, level.total, False)]


def execution(
    voted: Basis, realised: Basis, level: data.Level, with_primitive: bool, lang: str
) -> Execution:
    """The level's parts, voted and realised side by side (matched by id; parts nil on
    both sides are left out)."""
    levels = {
        kind: data.level(basis.result, level.tree_id, level.node_id, basis.own_rules, lang)
        for kind, basis in ((VOTED, voted), (REALISED, realised))
    }
    rows: dict[str, ExecutionRow] = {}
    for kind, found in levels.items():
        if found is None or found.tree_id != level.tree_id or found.node_id != level.node_id:
            continue
        for part in parts(found):
            row = rows.setdefault(part.id, ExecutionRow(part.id, part.label, None, None))
            setattr(row, kind, part.amount)

    def total(kind: str) -> Decimal:
        return sum((getattr(r, kind) or Decimal(0) for r in rows.values()), Decimal(0))

    shown = [row for row in rows.values() if row.voted or row.realised]
    for row in shown if with_primitive else []:
        if row.voted and row.realised is not None:
            row.rate = row.realised / row.voted
    return Execution(voted.year, shown, total(VOTED), total(REALISED), with_primitive)


INDICATOR_KINDS = {"population": "population", "capacite_desendettement": "years"}


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def indicators(columns: list[IndicatorColumn], lang: str) -> Indicators:
    """The key indicators of the documents, one column per year, with their definitions."""
    labels = core_indicators.labels(lang)
    definitions = core_indicators.definitions(lang)
    rows = []
    for key in core_indicators.KEYS:
        rows.append(
            IndicatorRow(
                key,
                labels[key],
                definitions[key],
                INDICATOR_KINDS.get(key, "money"),
                False,
                [_decimal((c.values or {}).get(key)) for c in columns],
            )
        )
    for key in core_indicators.PER_INHABITANT:
        rows.append(
            IndicatorRow(
                f"par_habitant.{key}",
                labels[key],
                "",
                "money",
                True,
                [_decimal(((c.values or {}).get("par_habitant") or {}).get(key)) for c in columns],
            )
        )
    return Indicators(columns, rows, definitions["par_habitant"])


def stored_indicators(record: db.BudgetDocumentRecord) -> dict[str, Any] | None:
    """A document's stored indicators; None before they are computed (a document
    processed earlier, or by another version of their definitions)."""
    stored = record.indicators
    if isinstance(stored, dict) and stored.get("version") == core_indicators.VERSION:
        return stored
    return None


def _indicator_columns(
    by_year: dict[int, dict[str, Basis]],
    records: dict[str, db.BudgetDocumentRecord],
    lang: str,
) -> list[IndicatorColumn]:
    """Per year, the account's indicators, else the budget primitif's."""
    columns = []
    for year, kinds in sorted(by_year.items()):
        candidates = [*kinds[REALISED].resource_ids] if REALISED in kinds else []
        candidates += [
            rid
            for rid in (kinds[VOTED].resource_ids if VOTED in kinds else ())
            if records[rid].stage == "BP"
        ]
        if not candidates:
            continue
        record = records[candidates[0]]
        columns.append(
            IndicatorColumn(
                year,
                stage_words(record.stage, record.num_dec, record.exercice, lang),
                stored_indicators(record),
            )
        )
    return columns


def _view_ids(resource_ids: list[str]) -> dict[str, str]:
    """Each document's explorer view (the first, when there are several)."""
    from .plugin import VIEW_TYPE  # here: the plugin module imports this one

    view = model.ResourceView
    query = (
        model.Session.query(view.resource_id, view.id)
        .filter(view.resource_id.in_(resource_ids), view.view_type == VIEW_TYPE)
        .order_by(view.order)
    )
    found: dict[str, str] = {}
    for resource_id, view_id in query:
        found.setdefault(resource_id, view_id)
    return found


def _stage_order(record: db.BudgetDocumentRecord) -> tuple[int, int, str]:
    order = (*VOTED_STAGES, *REALISED_STAGES)
    stage = record.stage or ""
    number = record.num_dec or ""
    return (
        order.index(stage) if stage in order else len(order),
        int(number) if number.isdigit() else 0,
        record.resource_id,
    )


def document_refs(
    package: dict[str, Any], documents: list[db.BudgetDocumentRecord], lang: str
) -> list[DocumentRef]:
    names = {r["id"]: r.get("name") or "" for r in package.get("resources", [])}
    views = _view_ids([d.resource_id for d in documents])
    ordered = sorted(documents, key=lambda d: (d.exercice or 0, _stage_order(d)))
    return [
        DocumentRef(
            resource_id=d.resource_id,
            name=names.get(d.resource_id, ""),
            stage=d.stage,
            year=d.exercice,
            words=stage_words(d.stage, d.num_dec, d.exercice, lang),
            badge=badge_word(d.status, d.validation_status),
            view_id=views.get(d.resource_id),
        )
        for d in ordered
    ]


def _year(value: str | None, years: list[int]) -> int | None:
    if value and value.isdigit() and int(value) in years:
        return int(value)
    return years[-1] if years else None


def build(
    package: dict[str, Any],
    tree: str | None = None,
    node: str | None = None,
    year: str | None = None,
    stage: str | None = None,
) -> BudgetPage:
    """The page in one state: year (default: the latest), stage (default: realised when
    the year has an account), tree and node (default: the first level of the default
    tree); unknown values fall back to the defaults."""
    lang = settings.current_language()
    documents = documents_of(package)
    keys = aggregation_keys(documents)
    by_year = bases(package["id"], keys, documents)
    years = sorted(by_year)
    chosen_year = _year(year, years)
    kinds = by_year.get(chosen_year, {}) if chosen_year is not None else {}
    available = [kind for kind in BASES if kind in kinds]
    chosen_stage = stage if stage in available else (available[0] if available else None)
    basis = kinds.get(chosen_stage) if chosen_stage else None
    level = data.level(basis.result, tree, node, basis.own_rules, lang) if basis else None

    records = {d.resource_id: d for d in documents}
    stacks: list[Stack] = []
    found_execution = None
    if basis is not None and level is not None:
        same_kind = {y: k[chosen_stage] for y, k in by_year.items() if chosen_stage in k}
        tree_result = next(t for t in basis.result["arbres"] if t["id"] == level.tree_id)
        parents = [level.node_id] if level.node_id else [c["id"] for c in tree_result["categories"]]
        stacks = evolution(same_kind, level.tree_id, parents, lang)
        if len(available) == len(BASES):
            primitive = any(records[r].stage == "BP" for r in kinds[VOTED].resource_ids)
            found_execution = execution(kinds[VOTED], kinds[REALISED], level, primitive, lang)

    refs = document_refs(package, documents, lang)
    by_id = {ref.resource_id: ref for ref in refs}
    return BudgetPage(
        years=years,
        year=chosen_year,
        stage=chosen_stage,
        year_stages={y: [k for k in BASES if k in by_year[y]] for y in years},
        level=level,
        rdfi={k: Decimal((basis.result.get("rdfi") or {}).get(k, "0")) for k in data.RDFI_ORDER}
        if basis
        else {},
        basis_documents=[by_id[rid] for rid in (basis.resource_ids if basis else ())],
        evolution=stacks,
        execution=found_execution,
        indicators=indicators(_indicator_columns(by_year, records, lang), lang),
        documents=refs,
        accounts=[
            kinds[REALISED].resource_ids[0]
            for _, kinds in sorted(by_year.items())
            if REALISED in kinds
        ][-MAX_COMPARED:],
    )


# --- the data behind each table, for CSV and JSON -----------------------------------------

TABLES = ("level", "evolution", "execution", "indicators")


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def export_table(page: BudgetPage, table: str) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows) of one table of the page, amounts as exact strings; the same
    rows, in the same order, as the table shown in that state."""
    if table == "evolution":
        years = sorted({year for stack in page.evolution for year in stack.years})
        fields = ["parent", "parent_libelle", "id", "libelle", *map(str, years)]
        rows = [
            {
                "parent": stack.id,
                "parent_libelle": stack.label,
                "id": series.id,
                "libelle": series.label,
                **{str(y): _amount(series.values.get(y)) for y in years},
            }
            for stack in page.evolution
            for series in stack.series
        ]
        return fields, rows
    if table == "execution":
        rows = [
            {
                "id": row.id,
                "libelle": row.label,
                "vote": _amount(row.voted),
                "realise": _amount(row.realised),
                "taux_execution": "" if row.rate is None else f"{row.rate:.4f}",
            }
            for row in (page.execution.rows if page.execution else [])
        ]
        return ["id", "libelle", "vote", "realise", "taux_execution"], rows
    if table == "indicators":
        columns = page.indicators.columns
        fields = ["indicateur", "libelle", *(str(c.year) for c in columns)]
        rows = [
            {
                "indicateur": row.key,
                "libelle": row.label,
                **{
                    str(c.year): "" if v is None else str(v)
                    for c, v in zip(columns, row.values, strict=True)
                },
            }
            for row in page.indicators.rows
        ]
        return fields, rows
    shown = parts(page.level) if page.level else []
    return ["id", "libelle", "montant"], [
        {"id": part.id, "libelle": part.label, "montant": _amount(part.amount)} for part in shown
    ]


def has_documents(package_id: str) -> bool:
    """Whether a dataset has a budget document, so its page links to the budget page."""
    record = db.BudgetDocumentRecord
    query = model.Session.query(record.resource_id).filter(record.package_id == package_id)
    return model.Session.query(query.exists()).scalar()
