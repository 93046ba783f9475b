"""What a processed budget document adds to its resource as shown by the API.

The values are read from the ``budget_document`` table each time a resource is shown,
never stored in the resource itself, so they cannot go stale when a background job or a
re-processing changes them (``package_show`` may serve a cached dataset dict, but CKAN
runs ``before_resource_show`` on it every time).
"""

from __future__ import annotations

from typing import Any

from . import model as db

RESOURCE_FIELDS = (
    "budget_stage",
    "budget_exercice",
    "budget_nomenclature",
    "budget_status",
    "budget_validation_status",
)


def resource_fields(record: db.BudgetDocumentRecord) -> dict[str, Any]:
    return {
        "budget_stage": record.stage,
        "budget_exercice": record.exercice,
        "budget_nomenclature": record.nomenclature,
        "budget_status": record.status,
        "budget_validation_status": record.validation_status,
    }


def add_to_resource(resource: dict[str, Any]) -> None:
    """Set the document's fields on a resource dict; drop copies a client sent back."""
    for key in RESOURCE_FIELDS:
        resource.pop(key, None)
    record = db.get_document(resource["id"]) if resource.get("id") else None
    if record is not None:
        resource.update(resource_fields(record))
