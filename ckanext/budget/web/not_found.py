"""The 404 of a page asked for a value it does not have (a year, a stage, a breakdown…):
it says which parameter is unknown and links to every value that exists, instead of
silently showing the default page under a URL that names something else.

Also the links back (home, the dataset, the search) that CKAN's error page lacks
(``budget_error_links``, shown by ``error_document_template.html``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import flask
from ckan.plugins import toolkit as tk

__all__ = ["budget_error_links"]

MAX_SHOWN = 80
"""The longest value quoted back (a URL can carry anything)."""


@dataclass(frozen=True)
class Choice:
    label: str
    url: str


@dataclass(frozen=True)
class Unknown:
    """A query parameter whose value the page does not have, and the values it has."""

    parameter: str
    what: str
    """The parameter in words, in the reader's language (« Année »)."""
    value: str
    choices: list[Choice]


def unknown(parameter: str, what: str, value: str | None, choices: Iterable[Choice]) -> Unknown:
    return Unknown(parameter, what, (value or "")[:MAX_SHOWN], list(choices))


def abort_if_unknown(found: Iterable[Unknown], back: Iterable[Choice] = ()) -> None:
    """Stop the request with the 404 page listing the valid values, when any is unknown.

    ``flask.abort`` with a response: Flask returns it as it is (CKAN's error handler
    renders only the bare message)."""
    found = list(found)
    if not found:
        return
    links = [*back, *_common_links()]
    body = tk.render("budget/not_found.html", {"unknown": found, "back": links})
    flask.abort(flask.make_response(body, 404))


def _common_links() -> list[Choice]:
    return [
        Choice(tk._("Search the budgets"), tk.h.url_for("budget.search")),
        Choice(tk._("Home page"), tk.h.url_for("home.index")),
    ]


def _dataset_link() -> Choice | None:
    """The dataset the failed URL belongs to, when the reader may see it."""
    args = flask.request.view_args or {}
    name = args.get("id")
    if not name or not isinstance(name, str):
        return None
    try:
        package: dict[str, Any] = tk.get_action("package_show")({}, {"id": name})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return None
    url = tk.h.url_for(f"{package.get('type') or 'dataset'}.read", id=package["name"])
    return Choice(package.get("title") or package["name"], url)


def budget_error_links() -> list[Choice]:
    """Where to go from an error page: the dataset of the URL (when visible), the budget
    search, the home page. Never fails: an error page must render."""
    try:
        dataset = _dataset_link() if flask.has_request_context() else None
        return [*([dataset] if dataset else []), *_common_links()]
    except Exception:  # the error page shows without links rather than fail
        return []
