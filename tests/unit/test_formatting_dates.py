"""Dates as the extension shows them: Babel's words in the reader's language, never
CKAN's English-ordered « décembre 6, 2026 »."""

from __future__ import annotations

import datetime

import pytest

from ckanext.budget import formatting

MOMENT = datetime.datetime(2026, 12, 6, 10, 49, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("lang", "expected"), [("fr", "6 décembre 2026"), ("en", "6 December 2026")]
)
def test_a_date_reads_day_month_year(lang: str, expected: str) -> None:
    assert formatting.date(MOMENT, lang) == expected
    assert formatting.date(MOMENT.date(), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "6 décembre 2026, 10:49"), ("en", "6 December 2026, 10:49")],
)
def test_a_moment_reads_date_then_minutes(lang: str, expected: str) -> None:
    assert formatting.date_time(MOMENT, lang) == expected
    # CKAN stores naive UTC values in some tables: the same moment.
    assert formatting.date_time(MOMENT.replace(tzinfo=None), lang) == expected


@pytest.mark.ckan_config("ckan.display_timezone", "Europe/Paris")
def test_a_moment_is_shown_in_the_portal_timezone() -> None:
    late = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    assert formatting.date_time(late, "fr") == "1 janvier 2027, 00:30"


def test_no_date_is_empty() -> None:
    assert formatting.date(None) == "" and formatting.date_time(None) == ""


def test_the_iso_text_of_an_action_reads_the_same() -> None:
    assert formatting.date_time(MOMENT.isoformat(), "fr") == "6 décembre 2026, 10:49"
