"""Amounts written the way each language's readers expect: ``1 234,56 €`` / ``€1,234.56``."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

_CENT = Decimal("0.01")
NBSP = "\u00a0"


def _parts(amount: Decimal) -> tuple[str, str, str]:
    value = amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    return sign, units, cents


def format_fr(amount: Decimal) -> str:
    sign, units, cents = _parts(amount)
    return f"{sign}{int(units):,}".replace(",", NBSP) + f",{cents}{NBSP}€"


def format_en(amount: Decimal) -> str:
    sign, units, cents = _parts(amount)
    return f"{sign}€{int(units):,}.{cents}"


def amount_params(**amounts: Decimal) -> dict[str, str]:
    """Message parameters ``{name}_fr`` and ``{name}_en`` for each amount."""
    params: dict[str, str] = {}
    for name, amount in amounts.items():
        params[f"{name}_fr"] = format_fr(amount)
        params[f"{name}_en"] = format_en(amount)
    return params
