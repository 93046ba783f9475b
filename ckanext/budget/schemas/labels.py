"""The words CKAN's pages use for the ``budget`` dataset type, in French and English.

CKAN builds them from the type's name (« Create Budget », « Budgets »), in English whatever
the page's language; this chained ``humanize_entity_type`` helper gives each its own
translatable text instead, and leaves every other type to CKAN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
import flask

__all__ = ["humanize_entity_type"]

DATASET_TYPE = "budget"


def _texts() -> dict[str, str]:
    """Per purpose (see CKAN's ``humanize_entity_type``), in the request's language."""
    return {
        "add link": tk._("Add a budget"),
        "add association link": tk._("Add to a budget"),
        "breadcrumb": tk._("Budgets"),
        "content tab": tk._("Budgets"),
        "create label": tk._("Create a budget"),
        "create title": tk._("Create a budget"),
        "delete confirmation": tk._("Are you sure you want to delete this budget?"),
        "description placeholder": tk._("A few words about this budget…"),
        "edit label": tk._("Edit the budget"),
        "facet label": tk._("Budgets"),
        "form label": tk._("Budget form"),
        "main nav": tk._("Budgets"),
        "my label": tk._("My budgets"),
        "view label": tk._("View the budget"),
        "name placeholder": tk._("My budget"),
        "no any objects": tk._("There are no budgets on this portal yet"),
        "no description": tk._("There is no description for this budget"),
        "no label": tk._("No budget"),
        "page title": tk._("Budgets"),
        "save label": tk._("Save the budget"),
        "search placeholder": tk._("Search budgets…"),
        "update label": tk._("Update the budget"),
    }


def _license_titles() -> dict[str, str]:
    """The licences whose title in ``licenses.json`` is written in both languages (a
    licence file has one title), in the request's language (CKAN's own msgids)."""
    return {"notspecified": tk._("License not specified"), "other-open": tk._("Other (Open)")}


def with_license_title(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """A dataset shown (page or API) with its licence named in the reader's language:
    « Licence non spécifiée », not « Licence non précisée / License not specified »."""
    if flask.has_request_context():
        title = _license_titles().get(pkg_dict.get("license_id") or "")
        if title is not None:
            pkg_dict["license_title"] = title
    return pkg_dict


@tk.chained_helper
def humanize_entity_type(
    next_func: Callable[[str, str, str], str | None],
    entity_type: str,
    object_type: str,
    purpose: str,
) -> str | None:
    if entity_type == "package" and object_type == DATASET_TYPE:
        text = _texts().get(purpose)
        if text is not None:
            return text
    return next_func(entity_type, object_type, purpose)
