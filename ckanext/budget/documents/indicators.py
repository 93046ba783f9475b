"""What the explorer shows of a document's key indicators and annex tables, read from the
stored results (``budget_document.indicators``, the ``annexe-*.csv`` derived files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ckan.plugins import toolkit as tk

from .. import settings
from ..docbudg import annex_tables
from ..docbudg.figures import analysis as indicators
from . import model as db
from . import presenters


@dataclass
class Indicator:
    key: str
    label: str
    definition: str
    value: Decimal | None
    per_inhabitant: Decimal | None = None
    reason: str | None = None
    """Why the value is missing, when the core said."""


@dataclass
class IndicatorsView:
    """``computed`` is false for a document processed before the indicators existed."""

    computed: bool
    population: int | None = None
    amounts: list[Indicator] = field(default_factory=list)
    years: Indicator | None = None
    population_definition: str = ""
    per_inhabitant_definition: str = ""
    forecast: str | None = None
    """For a BP/BS/DM: what « prévisionnel » means (computed on voted credits)."""


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def indicators_view(resource_id: str) -> IndicatorsView | None:
    """The indicators of a processed document; None for other resources or while the
    document waits to be processed."""
    record = db.get_document(resource_id)
    if record is None or record.status != db.STATUS_DONE:
        return None
    stored = record.indicators
    if not stored or stored.get("version") != indicators.VERSION:
        return IndicatorsView(computed=False)
    lang = settings.current_language()
    labels = indicators.labels(lang)
    definitions = indicators.definitions(lang)
    reasons = indicators.reasons(stored, lang)
    per_inhabitant = stored.get("par_habitant") or {}
    return IndicatorsView(
        computed=True,
        population=stored.get("population"),
        amounts=[
            Indicator(
                key,
                labels[key],
                definitions[key],
                _decimal(stored.get(key)),
                _decimal(per_inhabitant.get(key)),
                reasons.get(key),
            )
            for key in indicators.AMOUNTS
        ],
        years=Indicator(
            "capacite_desendettement",
            labels["capacite_desendettement"],
            definitions["capacite_desendettement"],
            _decimal(stored.get("capacite_desendettement")),
            reason=reasons.get("capacite_desendettement"),
        ),
        population_definition=definitions["population"],
        per_inhabitant_definition=definitions["par_habitant"],
        forecast=definitions["previsionnel"] if stored.get("nature") == "previsionnel" else None,
    )


def annex_label(name: str) -> str:
    labels = {
        "concours": tk._("Subsidies"),
        "emprunt": tk._("Debt"),
        "personnel": tk._("Staff"),
    }
    return labels.get(name, name)


def annexes_of(resource_id: str) -> list[tuple[str, str]]:
    """``(name, label)`` of the annex tables stored for a document, in a fixed order."""
    stored = set(presenters.export_names(resource_id))
    return [
        (name, annex_label(name))
        for name in annex_tables.SPECS
        if annex_tables.export_name(name) in stored
    ]
