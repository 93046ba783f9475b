"""Validators used by the ``budget`` dataset type's scheming schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ckan.plugins import toolkit as tk

from ..docbudg.model import DocumentHeader
from . import model as db
from .upload import SHA_FIELD, pending

__all__ = ["budget_document_upload", "budget_from_document"]

Key = tuple[Any, ...]

# Dataset field → how to read it from a document's header (parsed, or as stored).
HEADER_FIELDS: dict[str, tuple[Callable[[DocumentHeader], Any], Callable[[dict], Any]]] = {
    "collectivite": (lambda h: h.libelle_coll, lambda d: d.get("libelle_coll")),
    "siren": (lambda h: h.siren, lambda d: d.get("siren")),
    "siret": (
        lambda h: h.id_etab or h.id_coll,
        lambda d: d.get("id_etab") or d.get("id_coll"),
    ),
    "budget_name": (lambda h: h.libelle_etab, lambda d: d.get("libelle_etab")),
    "nomenclature": (lambda h: h.nomenclature, lambda d: d.get("nomenclature")),
}


def budget_document_upload(
    key: Key, data: dict[Key, Any], errors: dict[Key, list[str]], context: Any
) -> None:
    """A ``budget`` dataset holds budget documents: refuse another uploaded file.

    The upload gate marks an uploaded file that is not a budget document with an empty
    content hash; links and metadata-only edits are left alone.
    """
    if _resource_value(data, key[:-1], SHA_FIELD) == "":
        errors[key].append(
            tk._(
                "This dataset holds budget documents: upload the XML file of a "
                "DocumentBudgetaire (TotEM) or of a compte financier unique, "
                "optionally compressed as .xml.gz."
            )
        )


def _resource_value(data: dict[Key, Any], resource: Key, field: str) -> Any:
    """A resource field outside the schema: CKAN has moved it to ``__extras`` by the time
    validators run."""
    if (*resource, field) in data:
        return data[(*resource, field)]
    extras = data.get((*resource, "__extras"))
    return extras.get(field) if isinstance(extras, dict) else None


def _first_document_value(field: str, data: dict[Key, Any]) -> Any:
    """The field's value in the dataset's first budget document (by resource position):
    a document uploaded in this request, else one already processed."""
    from_header, from_stored = HEADER_FIELDS[field]
    positions = sorted({k[1] for k in data if len(k) == 3 and k[0] == "resources"})
    for position in positions:
        sha = _resource_value(data, ("resources", position), SHA_FIELD)
        prepared = pending.peek(sha) if sha else None
        if prepared is not None:
            return from_header(prepared.header)
        resource_id = data.get(("resources", position, "id"))
        record = db.get_document(resource_id) if isinstance(resource_id, str) else None
        if record is not None:
            return from_stored(record.header or {})
    return None


def budget_from_document(
    key: Key, data: dict[Key, Any], errors: dict[Key, list[str]], context: Any
) -> None:
    """Fill a dataset field left empty from the first budget document (e.g. the
    authority's name from ``LibelleColl``); a value given by the producer is kept."""
    if data.get(key) not in (None, "", tk.missing):
        return
    value = _first_document_value(key[-1], data)
    if value:
        data[key] = str(value).strip()
