"""Budget facets of the dataset search: what ``before_dataset_index`` adds to a dataset's
index entry, the facet titles, and readable names for the facet values.

The values come from the dataset's processed documents (``budget_document``), so the
index must be refreshed when a background job changes them: :func:`reindex_dataset`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ckan import model
from ckan.lib import search as ckan_search
from ckan.plugins import toolkit as tk

from ..docbudg.model import Stage
from . import model as db
from .labels import stage_label

EXERCICE = "budget_exercice"
STAGE = "budget_stage"
NOMENCLATURE = "budget_nomenclature"
COLLECTIVITE = "budget_collectivite"
KIND = "budget_kind"
VALIDATION = "budget_validation_status"
FACET_FIELDS = (EXERCICE, STAGE, NOMENCLATURE, COLLECTIVITE, KIND, VALIDATION)

KIND_PRINCIPAL = "principal"
KIND_ANNEXE = "annexe"


def index_fields(package_id: str) -> dict[str, list[str]]:
    """The facet values of a dataset: the distinct values over its documents."""
    model.Session.flush()  # documents recorded in this transaction count too
    records = db.documents_for_package(package_id)
    values: dict[str, list[str]] = {field: [] for field in FACET_FIELDS}

    def add(field: str, value: Any) -> None:
        if value not in (None, "") and str(value) not in values[field]:
            values[field].append(str(value))

    for record in records:
        add(EXERCICE, record.exercice)
        add(STAGE, record.stage)
        add(NOMENCLATURE, record.nomenclature)
        add(COLLECTIVITE, (record.collectivite or "").strip())
        if record.is_principal is not None:
            add(KIND, KIND_PRINCIPAL if record.is_principal else KIND_ANNEXE)
        add(VALIDATION, record.validation_status)
    return {field: found for field, found in values.items() if found}


def add_to_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    if pkg_dict.get("id"):
        pkg_dict.update(index_fields(pkg_dict["id"]))
    return pkg_dict


def facet_titles() -> dict[str, str]:
    """Titles of the budget facets in the request's language."""
    return {
        EXERCICE: tk._("Fiscal year"),
        STAGE: tk._("Budget stage"),
        NOMENCLATURE: tk._("Accounting norm"),
        COLLECTIVITE: tk._("Local authority"),
        KIND: tk._("Main or ancillary budget"),
        VALIDATION: tk._("Validation status"),
    }


def add_facets(facets_dict: dict[str, Any]) -> dict[str, Any]:
    facets_dict.update(facet_titles())
    return facets_dict


def _stage_name(value: str) -> str:
    stage = Stage.__members__.get(value)
    return value if stage is None else stage_label(stage)


def _value_names() -> dict[str, Callable[[str], str]]:
    kinds = {KIND_PRINCIPAL: tk._("Main budget"), KIND_ANNEXE: tk._("Ancillary budget")}
    statuses = {
        "valid": tk._("Valid"),
        "warnings": tk._("With warnings"),
        "errors": tk._("With errors"),
    }
    return {
        STAGE: _stage_name,
        KIND: lambda value: kinds.get(value, value),
        VALIDATION: lambda value: statuses.get(value, value),
    }


def _newest_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Years newest first: a reader looks for a year, not for the most common one."""
    return sorted(
        items, key=lambda item: int(item["name"]) if item["name"].isdigit() else -1, reverse=True
    )


@tk.chained_helper
def get_facet_items_dict(
    next_func: Callable[..., list[dict[str, Any]]],
    facet: str,
    search_facets: Any = None,
    limit: int | None = None,
    exclude_active: bool = False,
) -> list[dict[str, Any]]:
    """CKAN's facet items (sorted by count, cut to the facet's limit), with the year facet
    newest first: the same number of items, taken from every year sorted (``limit=0``:
    no limit, in 2.11 and 2.12)."""
    items = next_func(facet, search_facets, limit, exclude_active)
    if facet != EXERCICE:
        return items
    every = next_func(facet, search_facets, 0, exclude_active)
    return _newest_first(every)[: len(items)]


HIDDEN_RESOURCE_ITEMS = frozenset(
    ("budget_status", "has_views", "package_id", "position", "state", "url_type")
)
"""Internal fields CKAN lists on a resource page: the budget panel says what they mean."""


def _resource_labels() -> dict[str, str]:
    return {
        **facet_titles(),
        "budget_sha256": tk._("Fingerprint (sha-256)"),
        "id": tk._("Identifier"),
        "mimetype": tk._("Media type"),
        "size": tk._("Size"),
    }


@tk.chained_helper
def format_resource_items(
    next_func: Callable[[list[tuple[str, Any]]], list[tuple[str, Any]]],
    items: list[tuple[str, Any]],
) -> list[tuple[str, Any]]:
    """A budget document's "Additional information" in the reader's language: its fields
    named, its codes in words, its year as a year (CKAN shows « Budget exercice 2 021 »
    and internal fields); other resources as CKAN shows them."""
    items = list(items)
    raw = dict(items)
    if STAGE not in raw and "budget_status" not in raw:
        return next_func(items)
    labels, names = _resource_labels(), _value_names()
    shown = next_func([(k, v) for k, v in items if k not in HIDDEN_RESOURCE_ITEMS])
    out = []
    for key, value in shown:
        field = key.replace(" ", "_")
        if field in names:
            value = names[field](str(raw[field]))
        elif field == EXERCICE:
            value = str(raw[field])
        out.append((labels.get(field, key), value))
    return out


def name_facet_values(search_results: dict[str, Any]) -> dict[str, Any]:
    """Readable names for coded facet values ("CA" → "Compte administratif"); the years
    newest first (the API's order too)."""
    facets = search_results.get("search_facets") or {}
    if EXERCICE in facets and facets[EXERCICE].get("items"):
        facets[EXERCICE]["items"] = _newest_first(facets[EXERCICE]["items"])
    if not any(field in facets for field in (STAGE, KIND, VALIDATION)):
        return search_results
    for field, name in _value_names().items():
        for item in (facets.get(field) or {}).get("items", []):
            item["display_name"] = name(item["name"])
    return search_results


def reindex_dataset(package_id: str) -> None:
    """Refresh a dataset's index entry after its documents' processing changed, and
    commit it (the search backend may write it in the database transaction)."""
    ckan_search.rebuild(package_id)
    model.Session.commit()
