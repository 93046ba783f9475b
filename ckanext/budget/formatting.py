"""Amounts, numbers and dates as the portal writes them, in the reader's language.

The one formatter of the CKAN layer: Babel's locale data (which CKAN ships) from exact
``Decimal`` values — « 1 234,56 € » and « 191,6 M€ » in French, "€1,234.56" and "€191.6M"
in English, non-breaking spaces keeping an amount on one line.
"""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal

from babel.dates import format_date, format_time, get_datetime_format, get_timezone
from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    format_percent,
)

from . import settings

COMPACT_FROM = Decimal(10_000)
UNIT_SPACE = re.compile(r"(?<=[^\d\s])\xa0€")
"""The space Babel puts between « M » (« k », « Md ») and « € »."""
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def locale(lang: str | None = None) -> str:
    return LOCALES.get(lang or settings.current_language(), LOCALES["en"])


def money(value: Decimal | int | str | None, lang: str | None = None) -> str:
    """« 1 234,56 € » in French, "€1,234.56" in English; empty for no amount."""
    if value is None or value == "":
        return ""
    return _money(Decimal(str(value)), locale(lang))


@functools.lru_cache(maxsize=8192)
def _money(amount: Decimal, locale_name: str) -> str:
    """Memoised: Babel takes a fraction of a millisecond per amount, and the explorer
    pages write hundreds of amounts that repeat from page to page."""
    return format_currency(amount, "EUR", locale=locale_name)


def compact_money(value: Decimal | str, lang: str | None = None) -> str:
    """Compact above ten thousand euros (« 191,6 M€ »), exact to the cent below."""
    amount = Decimal(value)
    if abs(amount) < COMPACT_FROM:
        return money(amount, lang)
    return _compact(amount, locale(lang))


def axis_money(value: Decimal | str, lang: str | None = None) -> str:
    """A chart axis's graduation, compact whatever its size (« 1,5 k€ », "€1.5K"), « 0 »
    for zero: the exact amounts are in the chart's table."""
    amount = Decimal(value)
    return _compact(amount, locale(lang)) if amount else "0"


def _compact(amount: Decimal, locale_name: str) -> str:
    """« 191,6 M€ », "€191.6M"; below a thousand, « 500 € »."""
    text = format_compact_currency(amount, "EUR", locale=locale_name, fraction_digits=1)
    return UNIT_SPACE.sub("€", text) if locale_name.startswith("fr") else text


def number(value: int | Decimal | None, lang: str | None = None) -> str:
    """« 1 431 » in French, "1,431" in English."""
    if value is None:
        return ""
    return format_decimal(value, locale=locale(lang))


def share(amount: Decimal, total: Decimal, lang: str | None = None) -> str:
    """A part of a whole (« 12,3 % »); empty when the whole is nil."""
    if not total:
        return ""
    return format_percent(amount / total, format="#,##0.0 %", locale=locale(lang))


def date(value: datetime.date | datetime.datetime | None, lang: str | None = None) -> str:
    """« 6 décembre 2026 » in French, "6 December 2026" in English."""
    if value is None:
        return ""
    return format_date(value, format="long", locale=locale(lang))


def date_time(value: datetime.datetime | str | None, lang: str | None = None) -> str:
    """« 6 décembre 2026, 10:49 » in French, "6 December 2026, 10:49" in English, in the
    portal's display timezone (a naive value is UTC, as CKAN stores them). Takes the ISO
    text that actions return too."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    zone = settings.display_timezone()
    shown = value.astimezone(None if zone == "server" else get_timezone(zone))
    locale_name = locale(lang)
    return (
        get_datetime_format("long", locale=locale_name)
        .replace("'", "")
        .format(
            format_time(shown, format="short", locale=locale_name),
            format_date(shown, format="long", locale=locale_name),
        )
    )
