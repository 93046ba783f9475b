"""Names of the budget stages through CKAN's translations (``tk._``), for the pages,
the search facets and the resources' default names, and :func:`in_language` for words
wanted in another language than the request's.

The core library keeps its own French and English labels (``Stage.label_fr``,
``label_en``) for its command line and reports; the portal translates its words in one
place, the extension's catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import flask
from ckan.lib.helpers import _get_auto_flask_context
from ckan.plugins import toolkit as tk
from flask_babel import force_locale

from ..docbudg.model import Stage

__all__ = ["dm_number", "in_language", "stage_label"]


@contextmanager
def in_language(lang: str) -> Iterator[None]:
    """``tk._`` in ``lang`` within the block (flask-babel's ``force_locale``).

    Translating needs a Flask application context, which a background job, a command or
    a direct action call does not have: there the block runs in CKAN's own stand-in
    request context, the one its ``url_for`` uses outside a web request."""
    stand_in = None if flask.has_app_context() else _get_auto_flask_context()
    if stand_in is not None:
        stand_in.push()
    try:
        with force_locale(lang):
            yield
    finally:
        if stand_in is not None:
            stand_in.pop()


def stage_label(stage: Stage) -> str:
    """« Compte administratif », "Administrative account": a stage as a title starts."""
    labels = {
        Stage.BP: tk._("Initial budget"),
        Stage.DM: tk._("Amending budget"),
        Stage.BS: tk._("Supplementary budget"),
        Stage.CA: tk._("Administrative account"),
        Stage.CFU: tk._("Single financial account"),
    }
    return labels[stage]


def dm_number(number: str) -> str:
    """« n° 2 », "no. 2": the number of a décision modificative."""
    return tk._("no. {number}").format(number=number)
