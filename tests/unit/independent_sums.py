"""Figures of the sample documents computed here, from the XML alone (ElementTree, none of
the core's reading, selection or aggregation code), to check the core's figures against.

The conventions of DOMAIN.md §9: real operations (``OpBudg`` 0), carried-over results
001/002 and calculated totals left out, ``MtReal`` for an account (``NatDec`` 09 CA, 10
CFU) and the credits voted after the decision otherwise (``AMOUNTS``). The section is
told from the nature: classes 6 and 7 and 022 (« dépenses imprévues de fonctionnement »)
are operating, the rest investment — true of every line these samples count (the plan de
comptes says the same). The OFGL conventions: asset disposals (775) presented with
investment receipts; neutral debt operations (166 refinancing, 16449 and 1645 revolving
credit) left out and summed apart.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"
ACCOUNTS = ("09", "10")
AMOUNTS = {
    "01": ("MtPrev", "MtRARPrec"),
    "03": ("MtBudgPrec", "MtRARPrec", "MtPrev"),
    "02": ("MtBudgPrec", "MtPrev"),
    **{nat_dec: ("MtReal",) for nat_dec in ACCOUNTS},
}
"""The fields summed per stage (``NatDec``): BP, BS, DM, then the accounts."""
NEUTRAL = {"refinancements": ("166",), "tresorerie": ("16449", "1645")}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _root(path: Path) -> ET.Element:
    data = path.read_bytes()
    return ET.fromstring(gzip.decompress(data) if path.suffix == ".gz" else data)


def counted_lines(
    path: Path, *, neutral: bool = False, fields: tuple[str, ...] | None = None
) -> list[dict[str, str]]:
    """The lines the big numbers count, each as {field: value} plus ``amount``; with
    ``neutral``, the neutral debt operations they leave out instead; ``fields``: the
    amount fields summed instead of the stage's (``AMOUNTS``)."""
    root = _root(path)
    nat_dec = next(e.get("V") for e in root.iter() if _local(e.tag) == "NatDec")
    fields = fields or AMOUNTS[nat_dec]
    out = []
    for line in root.iter():
        if _local(line.tag) != "LigneBudget" or line.get("calculated") == "true":
            continue
        values = {_local(child.tag): child.get("V") or "" for child in line}
        nature = values.get("Nature", "")
        if values.get("OpBudg") != "0" or values.get("CodRD") not in ("R", "D"):
            continue
        if not nature or nature in ("001", "002"):
            continue
        if nature.startswith(sum(NEUTRAL.values(), ())) != neutral:
            continue
        section = "F" if nature[0] in "67" or nature == "022" else "I"
        if values["CodRD"] == "R" and nature.startswith("775"):
            section = "I"
        amount = sum((Decimal(values.get(f) or "0") for f in fields), Decimal(0))
        out.append({**values, "section": section, "amount": str(amount)})
    return out


def big_numbers(path: Path, fields: tuple[str, ...] | None = None) -> dict[str, Decimal]:
    """Receipts and spending × operating and investment (``RF``, ``DF``, ``RI``, ``DI``),
    of the stage's amount fields or of ``fields``."""
    sums: dict[str, Decimal] = {}
    for line in counted_lines(path, fields=fields):
        key = line["CodRD"] + line["section"]
        sums[key] = sums.get(key, Decimal(0)) + Decimal(line["amount"])
    return sums


def neutral_operations(path: Path) -> dict[str, dict[str, Decimal]]:
    """The neutral debt operations left out of the big numbers: group → key → amount."""
    sums: dict[str, dict[str, Decimal]] = {}
    for line in counted_lines(path, neutral=True):
        group = next(g for g, natures in NEUTRAL.items() if line["Nature"].startswith(natures))
        into = sums.setdefault(group, {})
        key = line["CodRD"] + line["section"]
        into[key] = into.get(key, Decimal(0)) + Decimal(line["amount"])
    return sums


def by_chapter(path: Path, key: str) -> dict[str, Decimal]:
    """The counted lines of one direction × section (``DF``…) summed by ``ContNat``."""
    sums: dict[str, Decimal] = {}
    for line in counted_lines(path):
        if line["CodRD"] + line["section"] == key:
            chapter = line.get("ContNat", "")
            sums[chapter] = sums.get(chapter, Decimal(0)) + Decimal(line["amount"])
    return sums


def population(path: Path) -> int:
    root = _root(path)
    value = next(
        e.get("V")
        for e in root.iter()
        if _local(e.tag) == "Information" and e.get("Code") == "PopTot"
    )
    return int("".join((value or "").split()))
