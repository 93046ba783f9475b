"""SIREN/SIRET check digits (INSEE): the Luhn key, with La Poste's documented exception."""

from __future__ import annotations

LA_POSTE_SIREN = "356000000"
"""La Poste's establishments outnumber what a Luhn key can number: their SIRET is instead
valid when the sum of its digits is a multiple of 5."""


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siren_valid(siren: str) -> bool:
    return len(siren) == 9 and siren.isdigit() and siren.isascii() and luhn_valid(siren)


def siret_valid(siret: str) -> bool:
    """A 14-digit SIRET whose key is right (Luhn, or La Poste's digit sum)."""
    if len(siret) != 14 or not (siret.isdigit() and siret.isascii()):
        return False
    if luhn_valid(siret):
        return True
    return siret.startswith(LA_POSTE_SIREN) and sum(map(int, siret)) % 5 == 0
