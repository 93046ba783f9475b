"""The producers' editorial texts the explorer pages show beside the figures: a
category's text for the year shown, and the whole budget's (« Ce qui s'est passé cette
année »).

They live in the rule set (``docbudg.aggregation.ruleset.Text``), and are read from the
very version of it that the figures shown were aggregated with (the stored aggregation
names it): a text and its figures always come from the same version, and a read writes
nothing. Versions never change once saved, so what is read of one is kept in the
explorer's cache (``cache``) under its id and number.
"""

from __future__ import annotations

from dataclasses import dataclass

from ckan.plugins import toolkit as tk

from ..docbudg.aggregation.ruleset import EditorialTexts, Text
from ..docbudg.aggregation.storage import texts_from_dict
from ..rulesets import service
from . import cache


@dataclass(frozen=True)
class ShownText:
    """A text as a page shows it: its paragraphs (plain text, escaped by the templates),
    its language, and whether it differs from the page's (then marked ``lang``)."""

    paragraphs: tuple[str, ...]
    lang: str
    foreign: bool


def of_version(ruleset_id: str | None, version: int | None) -> EditorialTexts:
    """The texts of a rule-set version (none for the default rules)."""
    if ruleset_id is None or version is None:
        return EditorialTexts()
    return cache.pages.get_or_build(
        ("editorial-texts", ruleset_id, version), lambda: _read(ruleset_id, version)
    )


def _read(ruleset_id: str, version: int) -> EditorialTexts:
    record = service.get(ruleset_id)
    if record is None:
        return EditorialTexts()
    try:
        return texts_from_dict(service.content(record, version))
    except tk.ObjectNotFound:
        return EditorialTexts()


def shown(text: Text | None, lang: str) -> ShownText | None:
    """``text`` in the page's language: the English on English pages when there is one,
    else the French."""
    if text is None:
        return None
    paragraphs, found = text.paragraphs(lang)
    if not paragraphs:
        return None
    return ShownText(tuple(paragraphs), found, found != lang)
