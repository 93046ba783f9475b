"""Amounts as the explorer writes them: « 191,6 M€ » for a big number in French
("€191.6M" in English), the exact amount staying in a title or a table."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_compact_currency, format_percent

from .. import settings
from ..helpers import budget_money

COMPACT_FROM = Decimal(10_000)


def budget_compact_money(value: Decimal | str) -> str:
    """Compact above ten thousand euros, exact to the cent below."""
    amount = Decimal(value)
    if abs(amount) < COMPACT_FROM:
        return budget_money(amount)
    french = settings.current_language() == "fr"
    text = format_compact_currency(
        amount, "EUR", locale="fr_FR" if french else "en_GB", fraction_digits=1
    )
    return text.replace("\xa0€", "€") if french else text


def budget_share(amount: Decimal, total: Decimal) -> str:
    """A row's share of its level (« 12,3 % »); empty when the total is nil."""
    if not total:
        return ""
    locale = "fr_FR" if settings.current_language() == "fr" else "en_GB"
    return format_percent(amount / total, format="#,##0.0 %", locale=locale)
