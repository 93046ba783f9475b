"""Template helpers (``h.budget_*``): amounts and numbers in the reader's language,
translated labels for the codes the stored results hold, and the document views.

Money is formatted from ``Decimal`` by Babel's locale data: « 1 234,56 € » in French,
"€1,234.56" in English (non-breaking spaces keep an amount on one line).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from urllib.parse import urlsplit

from ckan.plugins import toolkit as tk
from markupsafe import escape

from .. import formatting, settings
from ..docbudg.figures.big_numbers import BigNumbers, NeutralAmount
from ..docbudg.figures.big_numbers import definitions as big_number_definitions
from . import presenters
from .index_fields import format_resource_items, get_facet_items_dict
from .indicators import annexes_of as budget_annexes
from .indicators import indicators_view as budget_indicators

__all__ = [
    "budget_annexes",
    "budget_badge_class",
    "budget_big_number_definitions",
    "budget_date",
    "budget_datetime",
    "budget_document",
    "budget_embed_code",
    "budget_export_label",
    "budget_export_names",
    "budget_indicators",
    "budget_layer_label",
    "budget_left_out",
    "budget_light_pages",
    "budget_money",
    "budget_number",
    "budget_refresh_seconds",
    "budget_resource_badge",
    "budget_section_label",
    "budget_severity_label",
    "budget_status_label",
    "format_resource_items",
    "get_facet_items_dict",
]

REFRESH_SECONDS = 5
"""Short enough to see a small document done soon, long enough not to load the portal."""

BADGE_CLASSES = {
    "valid": "bg-success",
    "warnings": "bg-warning text-dark",
    "errors": "bg-danger",
    "pending": "bg-secondary",
    "running": "bg-info text-dark",
    "failed": "bg-danger",
}


def budget_money(value: Decimal | int | str | None) -> str:
    """« 1 234,56 € » in French, "€1,234.56" in English; empty for no amount."""
    return formatting.money(value)


def budget_number(value: int | Decimal | None) -> str:
    """« 1 431 » in French, "1,431" in English."""
    return formatting.number(value)


def budget_date(value: datetime.date | datetime.datetime | None) -> str:
    """« 6 décembre 2026 » in French, "6 December 2026" in English."""
    return formatting.date(value)


def budget_datetime(value: datetime.datetime | str | None) -> str:
    """« 6 décembre 2026, 10:49 » in French, "6 December 2026, 10:49" in English."""
    return formatting.date_time(value)


def budget_refresh_seconds(resource_id: str) -> int | None:
    """How often the resource page reloads itself (``<meta http-equiv="refresh">``, no
    JavaScript) while its document waits for or undergoes processing; None otherwise."""
    return REFRESH_SECONDS if presenters.processing_underway(resource_id) else None


def budget_big_number_definitions() -> dict[str, str]:
    """The words shown with each big number (``RF``…) and with the operations they leave
    out (``neutral``), in the reader's language: the core's definitions."""
    return big_number_definitions(settings.current_language())


def budget_left_out(numbers: BigNumbers, key: str) -> list[NeutralAmount]:
    """The neutral debt operations left out of the big number ``key``, with their amount."""
    return numbers.left_out(key, settings.current_language())


def budget_status_label(status: str | None) -> str:
    """The badge's words for a processing state or a validation status."""
    labels = {
        "valid": tk._("Valid"),
        "warnings": tk._("Warnings"),
        "errors": tk._("Errors"),
        "pending": tk._("Waiting for processing"),
        "running": tk._("Being processed"),
        "failed": tk._("Processing failed"),
    }
    return labels.get(status or "", status or "")


def budget_badge_class(word: str | None) -> str:
    """Bootstrap colour of a badge; the badge's words carry the meaning, not the colour."""
    return BADGE_CLASSES.get(word or "", "bg-secondary")


def budget_resource_badge(resource_id: str) -> str | None:
    """The badge word of a resource (see :func:`budget_status_label`), or None when the
    resource is not a budget document."""
    return presenters.document_badge(resource_id)


def budget_layer_label(layer: str) -> str:
    """Names of the validation layers (``docbudg.validation.report.LAYERS``)."""
    labels = {
        "reading": tk._("Reading the file"),
        "structure": tk._("Document structure"),
        "schema": tk._("XSD schema"),
        "metadata": tk._("Metadata"),
        "codes": tk._("Budget codes"),
        "balances": tk._("Balances"),
        "annexes": tk._("Annexes"),
    }
    return labels.get(layer, layer)


def budget_severity_label(severity: str) -> str:
    labels = {
        "error": tk._("Errors"),
        "warning": tk._("Warnings"),
        "info": tk._("Information"),
    }
    return labels.get(severity, severity)


def budget_section_label(section: str) -> str:
    labels = {"F": tk._("Operating"), "I": tk._("Investment")}
    return labels.get(section, section)


def budget_export_label(name: str) -> str:
    """Human names of the derived files (``budget_export.name``)."""
    labels = {
        "scdl-budget.csv": tk._("Budget in SCDL format (CSV)"),
        "scdl-budget.json": tk._("Budget in SCDL format (JSON)"),
        "scdl-subventions.csv": tk._("Grants in SCDL format (CSV)"),
        "scdl-subventions.json": tk._("Grants in SCDL format (JSON)"),
        "lines.csv": tk._("Budget lines (CSV)"),
        "lines.json": tk._("Budget lines (JSON)"),
        "annexe-concours.csv": tk._("Subsidies granted (CSV)"),
        "annexe-emprunt.csv": tk._("Loans and debt (CSV)"),
        "annexe-personnel.csv": tk._("Staff numbers (CSV)"),
        "scdl-budget": tk._("Budget in SCDL format"),
        "scdl-subventions": tk._("Grants in SCDL format"),
        "lines": tk._("Budget lines"),
    }
    return labels.get(name, name)


def budget_document(resource_id: str) -> presenters.DocumentView | None:
    """What the resource page shows of a budget document (None for other resources)."""
    return presenters.document_view(resource_id)


def budget_export_names(resource_id: str) -> list[str]:
    """The derived files of a document, for links: no key figures computed."""
    return presenters.export_names(resource_id)


EMBED_MESSAGE = "ckanext-budget:embed-height"
"""The message an embed posts with its height (``public/ckanext-budget/embed.js``)."""


def budget_light_pages() -> bool:
    """Whether the pages citizens read go without CKAN's JavaScript bundle
    (``ckanext.budget.light_pages``, templates/budget/explorer/base.html)."""
    return tk.config.get("ckanext.budget.light_pages")


def budget_embed_code(src: str, title: str, height: int) -> str:
    """The code offered to copy into another site, as plain text: the ``<iframe>``
    (``height``: what it keeps without JavaScript) and a tiny script that sets its height
    from the embed's messages (``embed.js``), accepted only from that very iframe
    (``event.source``) and the portal's origin. Attribute values are escaped here, and
    the template escapes the whole code again, so a title taken from a document or a
    dataset cannot break out of its attribute."""
    parts = urlsplit(src)
    origin = json.dumps(f"{parts.scheme}://{parts.netloc}").replace("<", "\\u003c")
    frame_id = "budget-embed-" + hashlib.sha256(src.encode("utf-8")).hexdigest()[:10]
    return (
        f'<iframe src="{escape(src)}" title="{escape(title)}" id="{frame_id}" width="100%" '
        f'height="{int(height)}" style="border:0;display:block"></iframe>\n'
        "<script>(function(){var f=document.getElementById(" + json.dumps(frame_id) + ");"
        'window.addEventListener("message",function(e){var d=e.data;'
        "if(!f||e.source!==f.contentWindow||e.origin!==" + origin + "||!d||"
        "d.type!==" + json.dumps(EMBED_MESSAGE) + ")return;"
        "var h=Math.ceil(Number(d.height));"
        'if(h>0&&h<100000){f.style.height=h+"px";}});})();</script>'
    )
