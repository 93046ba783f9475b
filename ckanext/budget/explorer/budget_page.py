"""What the budget page shows: every document of one budget (dataset), year by year.

The core combines the documents (``docbudg.figures``): each year's realised and voted
figures (``combination``: voted is the credits after the year's latest decision, the
decisions checked against each other on their stored lines, ``decisions``), their
evolution over the years (``evolution``), voted against realised (``execution``) and the
key indicators (``indicator_table``). This module reads what they need from the database
and what the page shows of them.

Everything is read from the stored aggregations (``rulesets.service``): a document whose
aggregation is missing or out of date is left out and listed as being computed, and its
job queued (``rulesets.jobs``); nothing is computed by a read. The bases of a dataset are
cached (``cache``) under the identity of those aggregations; the rest (one level, the
series over the years) is cheap to rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ckan import model

from .. import formatting, settings
from ..docbudg.figures import brief, combination
from ..docbudg.figures.big_numbers import BigNumbers
from ..docbudg.figures.combination import (
    KINDS,
    REALISED,
    REALISED_STAGES,
    VOTED,
    VOTED_STAGES,
    Basis,
    Source,
    indicator_document,
)
from ..docbudg.figures.decisions import DecisionLine
from ..docbudg.figures.evolution import Stack, evolution
from ..docbudg.figures.execution import Execution, execution
from ..docbudg.figures.indicator_table import (
    IndicatorColumn,
    Indicators,
    current,
    indicator_table,
)
from ..docbudg.figures.levels import Level, level
from ..docbudg.figures.results import FORMAT, Result
from ..docbudg.glossary import glossary as budget_glossary
from ..docbudg.model import Stage
from ..docbudg.stage_amounts import CREDITS_BEFORE, STAGE_AMOUNTS
from ..documents import model as db
from ..documents.presenters import badge_word, stage_words
from ..documents.results import figures_current
from ..rulesets import jobs, publishing, service
from ..rulesets.model import AggregationRecord, RuleSetRecord
from . import cache, placement, texts
from .constants import VIEW_TYPE

PREVIEW = publishing.PREVIEW_PARAMETER

MAX_COMPARED = 8
"""The comparison page shows at most this many documents side by side."""


# --- documents and their stored aggregations ----------------------------------------------


def documents_of(package: dict[str, Any]) -> list[db.BudgetDocumentRecord]:
    """The dataset's budget documents among the resources the user was shown."""
    visible = {resource["id"] for resource in package.get("resources", [])}
    return [d for d in db.documents_for_package(package["id"]) if d.resource_id in visible]


def aggregation_keys(
    documents: Iterable[db.BudgetDocumentRecord],
) -> tuple[dict[str, tuple], list[db.BudgetDocumentRecord]]:
    """The identity of each processed document's up-to-date aggregation (without loading
    its result): what the cache keys are made of; and the processed documents whose
    aggregation is missing or out of date, whose jobs are queued (a read never computes)."""
    done = [d for d in documents if d.status == db.STATUS_DONE]
    states = _states(d.resource_id for d in done)
    rules = {p: service.rules_key(p) for p in {d.package_id for d in done}}
    keys: dict[str, tuple] = {}
    computing = []
    for d in done:
        state = states.get(d.resource_id)
        if not _is_current(state, d, rules[d.package_id]):
            jobs.queue(d, rules[d.package_id])
            computing.append(d)
            continue
        keys[d.resource_id] = (
            d.resource_id,
            d.content_sha256,
            d.updated.isoformat() if d.updated else None,
            state.ruleset_id,
            state.ruleset_version,
            state.computed.isoformat(),
        )
    return keys, computing


def _is_current(state: Any, document: db.BudgetDocumentRecord, rules: tuple) -> bool:
    """``service.is_fresh`` with the dataset's rule-set version looked up once for all
    its documents (instead of three queries per document)."""
    return (
        state is not None
        and state.content_sha256 == document.content_sha256
        and (state.ruleset_id, state.ruleset_version) == rules
        and state.format == FORMAT
        and figures_current(document)
    )


def _states(resource_ids: Iterable[str]) -> dict[str, Any]:
    agg = AggregationRecord
    query = model.Session.query(
        agg.resource_id,
        agg.ruleset_id,
        agg.ruleset_version,
        agg.content_sha256,
        agg.computed,
        agg.result["format"].astext.label("format"),
    ).filter(agg.resource_id.in_(list(resource_ids)))
    return {row.resource_id: row for row in query}


def load_results(resource_ids: Iterable[str]) -> tuple[dict[str, Result], set[str]]:
    """Each document's stored result, and the documents aggregated with the authority's
    own rules."""
    agg = AggregationRecord
    query = model.Session.query(agg.resource_id, agg.result, agg.ruleset_id).filter(
        agg.resource_id.in_(list(resource_ids))
    )
    results: dict[str, Result] = {}
    own: set[str] = set()
    for row in query:
        results[row.resource_id] = Result.from_json(row.result)
        if row.ruleset_id is not None:
            own.add(row.resource_id)
    return results, own


# --- bases: one per year and kind ---------------------------------------------------------


def source(document: db.BudgetDocumentRecord) -> Source:
    """A document as the core's combination knows it."""
    return Source(
        id=document.resource_id,
        year=document.exercice,
        stage=document.stage,
        decision=document.num_dec,
        processed=document.processed or document.updated or document.created,
        decided=document.dte_dec,
    )


def bases(
    package_id: str, keys: dict[str, tuple], documents: list[db.BudgetDocumentRecord]
) -> dict[int, dict[str, Basis]]:
    """The dataset's bases by year then kind, from the cache when its aggregations have
    not changed."""
    cache_key = ("budget-page-bases", package_id, tuple(sorted(keys.values())))
    counted = [d for d in documents if d.resource_id in keys]
    return cache.pages.get_or_build(cache_key, lambda: _build_bases(counted))


def draft_bases(
    package_id: str, documents: list[db.BudgetDocumentRecord], record: RuleSetRecord
) -> dict[int, dict[str, Basis]]:
    """The bases as the draft of ``record`` would make them (« Voir comme le public »):
    its documents aggregated in memory with the draft, nothing stored."""
    done = [d for d in documents if d.status == db.STATUS_DONE]
    cache_key = (
        "budget-page-draft-bases",
        package_id,
        record.id,
        record.version,
        tuple(sorted((d.resource_id, d.content_sha256) for d in done)),
    )
    by_id = {d.resource_id: d for d in done}

    def draft(ids: list[str]) -> tuple[dict[str, Result], set[str]]:
        results = publishing.draft_results(record, (by_id[rid] for rid in ids))
        return results, set(results)

    return cache.pages.get_or_build(cache_key, lambda: _build_bases(done, draft))


def _build_bases(
    documents: list[db.BudgetDocumentRecord],
    load: Callable[[list[str]], tuple[dict[str, Result], set[str]]] = load_results,
) -> dict[int, dict[str, Basis]]:
    chosen = combination.choose(source(d) for d in documents)
    ids = [rid for kinds in chosen.values() for c in kinds.values() for rid in c.document_ids]
    results, own = load(ids)
    checked = [
        rid
        for kinds in chosen.values()
        if VOTED in kinds and len(kinds[VOTED].sources) > 1
        for rid in kinds[VOTED].document_ids
    ]
    return combination.bases(chosen, results, own, decision_lines(checked))


CHECKED_FIELDS = sorted(
    {
        name
        for amount in (*(STAGE_AMOUNTS[Stage[s]] for s in VOTED_STAGES), *CREDITS_BEFORE.values())
        for name in amount.fields
    }
)
"""The amount fields the check of a year's decisions reads."""


def decision_lines(resource_ids: Collection[str]) -> dict[str, list[DecisionLine]]:
    """The stored lines of these documents (``budget_line``), as the check of a year's
    decisions against each other reads them; a document without stored lines is left out."""
    if not resource_ids:
        return {}
    line = db.BudgetLineRecord
    columns = [getattr(line, db.AMOUNT_COLUMNS[name]) for name in CHECKED_FIELDS]
    query = model.Session.query(
        line.resource_id,
        line.cod_rd,
        line.nature,
        line.fonction,
        line.op_budg,
        line.section,
        *columns,
    ).filter(line.resource_id.in_(list(resource_ids)))
    found: dict[str, list[DecisionLine]] = {}
    for resource_id, cod_rd, nature, fonction, op_budg, section, *amounts in query:
        values = {
            name: value
            for name, value in zip(CHECKED_FIELDS, amounts, strict=True)
            if value is not None
        }
        found.setdefault(resource_id, []).append(
            DecisionLine(cod_rd, nature, fonction, op_budg, section, values)
        )
    return found


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


@dataclass(frozen=True)
class VotedFigures:
    """What the page says of a year's voted figures: which credits they are, whether the
    budget primitif is on the portal, the year's other decisions they were checked against
    and where consecutive decisions disagree."""

    words: str
    without_primitive: str | None
    checked: list[DocumentRef]
    warnings: list[str]


@dataclass(frozen=True)
class PageBrief:
    """« Le budget en bref » of the year shown: the core's :class:`brief.Brief` of the
    document the figures come from, against the previous year's of the same kind."""

    year: int
    kind: str
    """``realised`` or ``voted``: compared with the same kind only."""
    words: str
    """The document the figures come from (« Compte administratif 2021 »)."""
    stage: str | None
    """Its stage (``CA``, ``BP``…): a term of the glossary."""
    previous_year: int | None
    previous_words: str | None
    found: brief.Brief


def _brief(
    by_year: dict[int, dict[str, Basis]],
    year: int | None,
    kind: str | None,
    records: dict[str, db.BudgetDocumentRecord],
    refs: dict[str, DocumentRef],
    lang: str,
) -> PageBrief | None:
    """The year's brief, None when its analysis is not stored (being computed)."""
    basis = by_year.get(year, {}).get(kind) if year is not None and kind else None
    record = records.get(basis.document_id) if basis else None
    if basis is None or record is None or year is None or kind is None:
        return None
    earlier = [y for y in by_year if y < year and kind in by_year[y]]
    previous = by_year[max(earlier)][kind] if earlier else None
    before = records.get(previous.document_id) if previous else None
    found = brief.brief(
        record.indicators,
        before.indicators if before is not None else None,
        lang,
        money=lambda value: formatting.money(value, lang),
        percent=lambda value: formatting.share(value, Decimal(1), lang),
        number=lambda value: formatting.number(value, lang),
    )
    if found is None:
        return None
    ref = refs.get(basis.document_id)
    previous_ref = refs.get(previous.document_id) if previous else None
    return PageBrief(
        year=year,
        kind=kind,
        words=ref.words if ref else str(year),
        stage=record.stage,
        previous_year=previous.year if previous and before is not None else None,
        previous_words=previous_ref.words if previous_ref and before is not None else None,
        found=found,
    )


@dataclass
class BudgetPage:
    years: list[int]
    year: int | None
    stage: str | None
    year_stages: dict[int, list[str]]
    level: Level | None
    big_numbers: BigNumbers
    basis_documents: list[DocumentRef]
    evolution: list[Stack]
    execution: Execution | None
    indicators: Indicators
    documents: list[DocumentRef]
    accounts: list[str]
    """The account (CA, CFU) of each year, latest years last: what to compare."""
    computing: list[DocumentRef] = field(default_factory=list)
    """Processed documents whose figures are being computed (left out until then)."""
    amount_words: str = ""
    """What the figures shown count (« Crédits votés après la décision modificative
    n° 3 (MtBudgPrec + MtPrev) »)."""
    voted: VotedFigures | None = None
    """The year's voted figures, when it has some (shown, or compared in the execution)."""
    unplaced: list[DocumentRef] = field(default_factory=list)
    """Processed documents whose year or stage is unknown: explored nowhere (``placement``)."""
    with_errors: list[DocumentRef] = field(default_factory=list)
    """The documents behind the figures shown that have validation errors."""
    rules_checked: bool = True
    """Whether the rules behind the breakdowns shown count every line exactly once (the
    public is told when they do not)."""
    draft: RuleSetRecord | None = None
    """The rule set whose draft the page shows, for its editors (« Voir comme le
    public »); ``None``: the published rules, as everyone sees them."""
    brief: PageBrief | None = None
    """« Le budget en bref » of the year shown (None while its figures are computed)."""
    brief_groups: list[tuple[str, brief.GroupLine]] = field(default_factory=list)
    """The brief's groups of every year and kind, with the words of the document they
    come from: the data behind the donuts."""
    text: texts.ShownText | None = None
    """The producer's text on the category shown, for the year shown."""
    year_text: texts.ShownText | None = None
    """The producer's text on the whole budget for the year shown (« Ce qui s'est passé
    cette année »)."""

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
            publishing.PREVIEW_PARAMETER[0]: publishing.PREVIEW_PARAMETER[1]
            if self.draft
            else None,
        }


def _indicator_columns(
    by_year: dict[int, dict[str, Basis]],
    records: dict[str, db.BudgetDocumentRecord],
    lang: str,
) -> list[IndicatorColumn]:
    """Per year, the indicators of the document that stands for it (the account, else
    the budget primitif)."""
    columns = []
    for year, kinds in sorted(by_year.items()):
        resource_id = indicator_document(kinds)
        if resource_id is None:
            continue
        record = records[resource_id]
        columns.append(
            IndicatorColumn(
                year,
                stage_words(record.stage, record.num_dec, record.exercice, lang),
                current(record.indicators),
            )
        )
    return columns


def _view_ids(resource_ids: list[str]) -> dict[str, str]:
    """Each document's explorer view (the first, when there are several)."""

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


def _voted(basis: Basis | None, refs: dict[str, DocumentRef], lang: str) -> VotedFigures | None:
    if basis is None:
        return None
    without = basis.without_primitive
    return VotedFigures(
        words=basis.amount_words.text(lang),
        without_primitive=without.text(lang) if without is not None else None,
        checked=[
            refs[rid]
            for rid in basis.choice.document_ids
            if rid != basis.document_id and rid in refs
        ],
        warnings=[found.message.text(lang) for found in basis.disagreements],
    )


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
    *,
    draft: RuleSetRecord | None = None,
) -> BudgetPage:
    """The page in one state: year (default: the latest), stage (default: realised when
    the year has an account), tree and node (default: the first level of the default
    tree); unknown values fall back to the defaults. With ``draft``, as that rule set's
    latest version would make it once published."""
    lang = settings.current_language()
    documents = documents_of(package)
    if draft is None:
        keys, computing = aggregation_keys(documents)
        by_year = bases(package["id"], keys, documents)
    else:
        computing = []
        by_year = draft_bases(package["id"], documents, draft)
    years = sorted(by_year)
    chosen_year = _year(year, years)
    kinds = by_year.get(chosen_year, {}) if chosen_year is not None else {}
    available = [kind for kind in KINDS if kind in kinds]
    chosen_stage = stage if stage in available else (available[0] if available else None)
    basis = kinds.get(chosen_stage) if chosen_stage else None
    shown = level(basis.result, tree, node, basis.own_rules, lang) if basis else None

    stacks: list[Stack] = []
    found_execution = None
    if basis is not None and shown is not None:
        same_kind = {y: k[chosen_stage].result for y, k in by_year.items() if chosen_stage in k}
        shown_tree = basis.result.tree(shown.tree_id)
        assert shown_tree is not None  # the level was found in it
        parents = [shown.node_id] if shown.node_id else [c.id for c in shown_tree.categories]
        stacks = evolution(same_kind, shown.tree_id, parents, lang)
        if len(available) == len(KINDS):
            found_execution = execution(kinds[VOTED], kinds[REALISED], shown, lang)

    if basis is None:
        applied = None
    elif draft is not None:  # the draft's texts with the draft's figures
        applied = texts.of_version(draft.id, draft.version)
    else:
        applied = texts.of_version(*keys[basis.document_id][3:5])
    records = {d.resource_id: d for d in documents}
    refs = document_refs(package, documents, lang)
    by_id = {ref.resource_id: ref for ref in refs}
    return BudgetPage(
        years=years,
        year=chosen_year,
        stage=chosen_stage,
        year_stages={y: [k for k in KINDS if k in by_year[y]] for y in years},
        level=shown,
        big_numbers=basis.result.big_numbers if basis else BigNumbers(),
        basis_documents=[by_id[basis.document_id]] if basis else [],
        evolution=stacks,
        execution=found_execution,
        indicators=indicator_table(_indicator_columns(by_year, records, lang), lang),
        documents=refs,
        accounts=[
            kinds[REALISED].document_id for _, kinds in sorted(by_year.items()) if REALISED in kinds
        ][-MAX_COMPARED:],
        computing=[by_id[d.resource_id] for d in computing],
        amount_words=basis.amount_words.text(lang) if basis else "",
        voted=_voted(kinds.get(VOTED), by_id, lang),
        unplaced=[
            by_id[d.resource_id]
            for d in documents
            if d.status == db.STATUS_DONE and not placement.placed(d)
        ],
        draft=draft,
        rules_checked=basis.result.ok if basis else True,
        with_errors=[
            by_id[rid]
            for rid in (basis.choice.document_ids if basis else ())
            if rid in records and placement.has_errors(records[rid])
        ],
        text=texts.shown(
            applied.of_category(shown.tree_id, shown.node_id, chosen_year)
            if applied is not None and shown is not None
            else None,
            lang,
        ),
        year_text=texts.shown(
            applied.of_budget(chosen_year) if applied is not None else None, lang
        ),
        brief=_brief(by_year, chosen_year, chosen_stage, records, by_id, lang),
        brief_groups=_brief_groups(by_year, records, by_id, lang),
    )


def _brief_groups(
    by_year: dict[int, dict[str, Basis]],
    records: dict[str, db.BudgetDocumentRecord],
    refs: dict[str, DocumentRef],
    lang: str,
) -> list[tuple[str, brief.GroupLine]]:
    """The brief's groups of every year and kind (oldest first), read from the stored
    analysis of the document each brief shows (no figure computed here)."""
    out = []
    for year, kinds in sorted(by_year.items()):
        for kind in KINDS:
            basis = kinds.get(kind)
            record = records.get(basis.document_id) if basis else None
            if basis is None or record is None:
                continue
            ref = refs.get(basis.document_id)
            words = ref.words if ref else str(year)
            out += [
                (words, line) for line in brief.group_lines(year, kind, record.indicators, lang)
            ]
    return out


def dataset_brief(package: dict[str, Any]) -> PageBrief | None:
    """The latest year's brief (its account, else its voted budget), for the short
    version on the dataset's own page; None without figures stored yet."""
    if not package.get("id") or not has_documents(package["id"]):
        return None
    lang = settings.current_language()
    documents = documents_of(package)
    keys, _ = aggregation_keys(documents)
    by_year = bases(package["id"], keys, documents)
    if not by_year:
        return None
    year = max(by_year)
    kind = next(k for k in KINDS if k in by_year[year])
    records = {d.resource_id: d for d in documents}
    refs = {ref.resource_id: ref for ref in document_refs(package, documents, lang)}
    return _brief(by_year, year, kind, records, refs, lang)


def glossary() -> dict[str, tuple[str, str]]:
    """The budget's words and their definitions in the reader's language (the core's)."""
    return budget_glossary(settings.current_language())


# --- the data behind each table, for CSV and JSON -----------------------------------------

TABLES = ("level", "evolution", "execution", "indicators", "brief")
BRIEF_KINDS = {REALISED: "realise", VOTED: "vote"}


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
    if table == "brief":  # every year's groups, not only the year shown
        fields = ["annee", "donnees", "document", "sens", "classement", "id", "libelle"]
        rows = [
            {
                "annee": str(line.year),
                "donnees": BRIEF_KINDS.get(line.kind, line.kind),
                "document": words,
                "sens": line.side,
                "classement": line.basis,
                "id": line.key,
                "libelle": line.label,
                "montant": _amount(line.amount),
                "part": "" if line.share is None else f"{line.share:.4f}",
            }
            for words, line in page.brief_groups
        ]
        return [*fields, "montant", "part"], rows
    if table == "indicators":
        columns = page.indicators.columns
        fields = ["indicateur", "libelle", *(str(c.year) for c in columns), "definition"]
        rows = [
            {
                "indicateur": row.key,
                "libelle": row.label,
                **{
                    str(c.year): "" if v is None else str(v)
                    for c, v in zip(columns, row.values, strict=True)
                },
                "definition": row.definition,
            }
            for row in page.indicators.rows
        ]
        return fields, rows
    parts = page.level.parts() if page.level else []
    return ["id", "libelle", "montant"], [
        {"id": part.id, "libelle": part.label, "montant": _amount(part.amount)} for part in parts
    ]


def has_documents(package_id: str) -> bool:
    """Whether a dataset has a budget document, so its page links to the budget page."""
    record = db.BudgetDocumentRecord
    query = model.Session.query(record.resource_id).filter(record.package_id == package_id)
    return model.Session.query(query.exists()).scalar()
