"""The financial analysis of a budget (dataset): the savings cascade, investment, debt,
the neutral operations left out and the published detail of subsidies, year by year, in
euros or per inhabitant, with each figure's definition, and the waterfall of one year's
cascade.

A year's figures are those of the document that stands for it on the budget page
(``combination.indicator_document``: the account, « réalisé », else the credits voted
after the latest decision, « prévisionnel »). They are read as stored with the document
(``budget_document.indicators``, computed by ``docbudg.figures.analysis`` when it was
processed); a figure the core could not compute is shown « non calculé » with its
reason. Nothing is computed by a read: the years come from the budget page's bases
(``budget_page``), cached under the identity of the stored aggregations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ckan.plugins import toolkit as tk

from .. import settings
from ..docbudg.figures import analysis, waterfall
from ..docbudg.figures.combination import REALISED_STAGES, indicator_document
from ..docbudg.figures.indicator_table import Indicators, current
from ..docbudg.figures.waterfall import Step
from ..documents import model as db
from ..documents.presenters import stage_words
from . import budget_page

EUROS, INHABITANT = "euros", "inhabitant"
UNITS = (EUROS, INHABITANT)
INVESTMENT = (
    "depenses_equipement",
    "subventions_equipement_versees",
    "emprunts_nouveaux",
    "cessions",
)
NEUTRAL = ("refinancements", "tresorerie")
SUBSIDIES = "subventions_detaillees"
CSV_UNITS = {
    "money": "EUR",
    "per_inhabitant": "EUR/habitant",
    "population": "habitants",
    "years": "annees",
    "ratio": "ratio",
}
"""The unit column of the exports, by kind of row."""


@dataclass(frozen=True)
class AnalysisYear:
    """A year and the document whose figures stand for it."""

    year: int
    resource_id: str
    words: str
    """The document in words (« Compte administratif 2018 »)."""
    nature: str
    """``realise`` (an account) or ``previsionnel`` (voted credits)."""
    values: dict[str, Any] | None
    """Its stored figures; None until computed with today's definitions."""
    reasons: dict[str, str]
    """Why a figure is missing, by key, in the reader's language."""

    @property
    def realised(self) -> bool:
        return self.nature == analysis.REALISED


@dataclass(frozen=True)
class Cell:
    value: Decimal | None
    note: int | None = None
    """The number of the note that says why there is no value."""


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    kind: str
    """``money``, ``per_inhabitant``, ``population``, ``years`` or ``ratio``."""
    definition: str
    """The key of its definition (the anchor of the definitions list)."""
    cells: list[Cell]

    @property
    def unit(self) -> str:
        return CSV_UNITS[self.kind]


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    rows: list[Row]


@dataclass(frozen=True)
class Note:
    number: int
    year: int
    text: str


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    text: str


@dataclass
class Analysis:
    years: list[AnalysisYear]
    year: int | None
    unit: str
    sections: list[Section]
    notes: list[Note]
    definitions: list[Definition]
    steps: list[Step] | None
    """The selected year's cascade as a waterfall, in the unit shown."""
    no_chart: str
    """Why there is no waterfall for the selected year (empty when there is one)."""
    computing: list[str] = field(default_factory=list)
    """Documents whose figures are being computed, in words."""

    @property
    def state(self) -> dict[str, Any]:
        return {"year": self.year, "unit": None if self.unit == EUROS else self.unit}

    @property
    def selected(self) -> AnalysisYear | None:
        return next((y for y in self.years if y.year == self.year), None)

    @property
    def forecast(self) -> bool:
        """Whether a year is « prévisionnel » (its label is then defined)."""
        return any(not y.realised for y in self.years)


# --- the years --------------------------------------------------------------------------------


def _nature(record: db.BudgetDocumentRecord, values: dict[str, Any] | None) -> str:
    if values is not None:
        return values["nature"]
    return analysis.REALISED if record.stage in REALISED_STAGES else analysis.FORECAST


def analysis_years(
    package: dict[str, Any], lang: str
) -> tuple[list[AnalysisYear], list[db.BudgetDocumentRecord]]:
    """Each year with figures on the budget page and the document that stands for it; and
    the documents whose figures are being computed."""
    documents = budget_page.documents_of(package)
    keys, computing = budget_page.aggregation_keys(documents)
    by_year = budget_page.bases(package["id"], keys, documents)
    records = {d.resource_id: d for d in documents}
    years = []
    for year, kinds in sorted(by_year.items()):
        resource_id = indicator_document(kinds)
        if resource_id is None:
            continue
        record = records[resource_id]
        values = current(record.indicators)
        years.append(
            AnalysisYear(
                year,
                resource_id,
                stage_words(record.stage, record.num_dec, record.exercice, lang),
                _nature(record, values),
                values,
                analysis.reasons(values, lang) if values is not None else {},
            )
        )
    return years, computing


# --- the table --------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


Getter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class _Spec:
    key: str
    label: str
    kind: str
    definition: str
    value: Getter
    why: tuple[str, ...]
    """Where the reason of a missing value is, by key of ``raisons``, first found."""


def _specs(unit: str, lang: str) -> list[tuple[str, str, list[_Spec]]]:
    labels = analysis.labels(lang)
    per_head = unit == INHABITANT

    def amount(key: str) -> _Spec:
        if per_head:
            return _Spec(
                key,
                labels[key],
                "per_inhabitant",
                key,
                lambda v: (v.get("par_habitant") or {}).get(key),
                ("par_habitant", key),
            )
        return _Spec(key, labels[key], "money", key, lambda v: v.get(key), (key,))

    def subsidy(part: str, label: str, kind: str) -> _Spec:
        return _Spec(
            f"{SUBSIDIES}.{part}",
            label,
            kind,
            SUBSIDIES,
            lambda v: (v.get(SUBSIDIES) or {}).get(part),
            (SUBSIDIES,),
        )

    population = _Spec(
        "population",
        labels["population"],
        "population",
        "population",
        lambda v: v.get("population"),
        ("population",),
    )
    capacity = _Spec(
        "capacite_desendettement",
        labels["capacite_desendettement"],
        "years",
        "capacite_desendettement",
        lambda v: v.get("capacite_desendettement"),
        ("capacite_desendettement",),
    )
    return [
        ("population", tk._("Population"), [population]),
        ("cascade", tk._("Savings cascade"), [amount(key) for key in analysis.CASCADE]),
        ("investment", tk._("Investment"), [amount(key) for key in INVESTMENT]),
        ("debt", tk._("Debt"), [amount("encours_dette"), capacity]),
        ("neutral", tk._("Neutral debt operations, left out"), [amount(k) for k in NEUTRAL]),
        (
            "subsidies",
            tk._("Subsidies: detail published and amounts accounted"),
            [
                subsidy("annexe", tk._("Subsidies detailed in the subsidies annex"), "money"),
                subsidy("comptes", tk._("Subsidies accounted (6574)"), "money"),
                subsidy("taux", tk._("Share of the amount detailed"), "ratio"),
            ],
        ),
    ]


class _Notes:
    """The numbered reasons of the missing figures: one per year and reason."""

    def __init__(self) -> None:
        self.found: dict[tuple[int, str], Note] = {}

    def number(self, year: int, text: str) -> int:
        key = (year, text)
        if key not in self.found:
            self.found[key] = Note(len(self.found) + 1, year, text)
        return self.found[key].number


def _cell(spec: _Spec, column: AnalysisYear, notes: _Notes) -> Cell:
    if column.values is None:
        return Cell(None)
    value = _decimal(spec.value(column.values))
    if value is not None:
        return Cell(value)
    why = next((column.reasons[k] for k in spec.why if k in column.reasons), None)
    return Cell(None, notes.number(column.year, why) if why else None)


def _definitions(sections: list[Section], lang: str) -> list[Definition]:
    texts = analysis.definitions(lang)
    seen: dict[str, Definition] = {}
    for section in sections:
        for row in section.rows:
            if row.definition not in seen:
                label = section.label if row.definition == SUBSIDIES else row.label
                seen[row.definition] = Definition(row.definition, label, texts[row.definition])
    extra = [
        Definition("par_habitant", tk._("Per inhabitant"), texts["par_habitant"]),
        Definition(analysis.FORECAST, tk._("Forecast"), texts[analysis.FORECAST]),
    ]
    return [*seen.values(), *extra]


# --- the page ---------------------------------------------------------------------------------


def _selected(value: str | None, years: list[AnalysisYear]) -> int | None:
    found = [y.year for y in years]
    if value and value.isdigit() and int(value) in found:
        return int(value)
    return found[-1] if found else None


def _chart(selected: AnalysisYear | None, unit: str) -> tuple[list[Step] | None, str]:
    if selected is None:
        return None, ""
    if selected.values is None:
        return None, tk._("The figures of this year are not computed yet.")
    figures = selected.values.get("par_habitant") if unit == INHABITANT else selected.values
    found = waterfall.steps(figures)
    if found is None:
        reason = selected.reasons.get("par_habitant") if unit == INHABITANT else None
        return None, reason or tk._("A figure of the cascade is missing.")
    return found, ""


def build(package: dict[str, Any], year: str | None = None, unit: str | None = None) -> Analysis:
    """The analysis in one state: the year of the waterfall (default: the latest) and the
    unit (``euros``, the default, or ``inhabitant``); unknown values fall back to them."""
    lang = settings.current_language()
    chosen_unit = unit if unit in UNITS else EUROS
    years, computing = analysis_years(package, lang)
    notes = _Notes()
    sections = [
        Section(
            key,
            label,
            [
                Row(s.key, s.label, s.kind, s.definition, [_cell(s, y, notes) for y in years])
                for s in specs
            ],
        )
        for key, label, specs in _specs(chosen_unit, lang)
    ]
    chosen_year = _selected(year, years)
    found = Analysis(
        years=years,
        year=chosen_year,
        unit=chosen_unit,
        sections=sections,
        notes=list(notes.found.values()),
        definitions=_definitions(sections, lang),
        steps=None,
        no_chart="",
        computing=[stage_words(d.stage, d.num_dec, d.exercice, lang) for d in computing],
    )
    found.steps, found.no_chart = _chart(found.selected, chosen_unit)
    return found


def export_table(found: Analysis) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows) of the table as shown, values as exact strings ("" when missing)."""
    years = [str(y.year) for y in found.years]
    rows = [
        {
            "section": section.key,
            "indicateur": row.key,
            "libelle": row.label,
            "unite": row.unit,
            **{
                year: "" if cell.value is None else str(cell.value)
                for year, cell in zip(years, row.cells, strict=True)
            },
        }
        for section in found.sections
        for row in section.rows
    ]
    return ["section", "indicateur", "libelle", "unite", *years], rows


# --- the budget page's section ----------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The selected year's cascade on the budget page."""

    year: int
    words: str
    realised: bool
    rows: list[tuple[str, str, Decimal | None, Decimal | None]]
    """(key, label, amount, per inhabitant)."""


def summary(indicators: Indicators, year: int | None) -> Summary | None:
    """The cascade of ``year`` from the budget page's indicators; None when that year has
    none computed."""
    column = next((c for c in indicators.columns if c.year == year), None)
    if column is None or column.values is None:
        return None
    values = column.values
    labels = analysis.labels(settings.current_language())
    per_head = values.get("par_habitant") or {}
    return Summary(
        column.year,
        column.words,
        values.get("nature") == analysis.REALISED,
        [
            (key, labels[key], _decimal(values.get(key)), _decimal(per_head.get(key)))
            for key in analysis.CASCADE
        ],
    )
