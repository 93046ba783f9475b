"""A finance department's mapping spreadsheet, built here from the XML of the samples
(ElementTree only), with every trap the import of a real city's 15,000-row mapping fell
into: two hierarchies, labels differing only by case or accents, function codes 41 and 411
both present, direction and movement spelled in several ways (``REELLE``, ``ORDRE``,
``Dépense``, ``R``…), placeholder cells (``-``, ``–``, empty), and headers with
non-breaking spaces and their own case and accents.

One row per (direction, movement, nature, function) of the documents, real and ordre
operations alike; every row has a category in both hierarchies, so each must be an exact
partition of the lines a rule set counts.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

NBSP, NNBSP = "\u00a0", "\u202f"
HEADERS = {
    "sens": f"Sens{NBSP}",
    "mouvement": "MOUVEMENT",
    "section": "Section budgétaire",
    "chapitre": "Chapitre",
    "nature": "Nature",
    "fonction": f"Code{NNBSP}fonction",
}
POLITIQUE = [f"Politique niveau{NBSP}1", "Politique Niveau 2", "politique niveau 3"]
COMPTES = ["Nature N1", f"Nature{NBSP}N2"]
"""Level headers: guessed as the trees ``politique`` and ``nature``."""

DOMAINS = {
    "0": "Services généraux",
    "1": "Sécurité",
    "2": "Enseignement",
    "3": "Culture",
    "4": "Sport et jeunesse",
    "5": "Interventions sociales",
    "6": "Famille",
    "7": "Logement",
    "8": "Aménagement",
    "9": "Action économique",
}
CLASSES = {
    "0": "Virements",
    "1": "Dette et fonds propres",
    "2": "Immobilisations",
    "4": "Comptes de tiers",
    "6": "Charges",
    "7": "Produits",
}
SIDES = {"D": ("D", "Dépense", "DEPENSES", "dépenses", "DEP"), "R": ("R", "Recette", "RECETTES")}
MOVES = {"0": ("REELLE", "Réel", "opérations réelles", "0"), "1": ("ORDRE", "d'ordre", "1")}
SECTIONS = {"F": ("F", "Fonctionnement", "fonct."), "I": ("I", "INVESTISSEMENT", "Invest")}
LEAVES_BY_CASE = {"822": "Espaces publics", "823": "Espaces Publics"}
LEAVES_BY_ACCENT = {"20": "Écoles", "211": "Ecoles", "212": "Ecoles"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_lines(path: Path) -> list[dict[str, str]]:
    """Every line of the document that is not a calculated total, as {field: value}."""
    data = path.read_bytes()
    root = ET.fromstring(gzip.decompress(data) if path.suffix == ".gz" else data)
    out = []
    for line in root.iter():
        if _local(line.tag) != "LigneBudget" or line.get("calculated") == "true":
            continue
        values = {_local(child.tag): child.get("V") or "" for child in line}
        if values.get("Nature") and values.get("CodRD") in ("D", "R"):
            out.append(values)
    return out


def section_of(nature: str) -> str:
    """Classes 6 and 7, 022 and 023 are operating; the rest investment."""
    return "F" if nature[0] in "67" or nature in ("022", "023") else "I"


def politique(fonction: str) -> list[str]:
    """Domain / group of functions / function; 2-digit functions stop at level 2 (``-``),
    and so do the functions whose group label differs only by case or accents."""
    if not fonction:
        return ["Non ventilé", "", ""]
    domain = DOMAINS.get(fonction[0], "Autres")
    special = LEAVES_BY_CASE.get(fonction) or LEAVES_BY_ACCENT.get(fonction)
    if special:
        return [domain, special, "-"]
    group = f"Fonction {fonction[:2]}"
    return [domain, group, f"Fonction {fonction}" if len(fonction) > 2 else "-"]


def comptes(nature: str) -> list[str]:
    """Class of account / account group; "subventions" spelled two ways, class 1 and the
    20 accounts without a second level (``–``, empty)."""
    top = CLASSES.get(nature[0], "Autres comptes")
    if nature[0] == "1":
        return [top, "–"]
    if nature.startswith("20"):
        return [top, ""]
    if nature.startswith("657"):
        return [top, "Subventions" if nature == "6574" else "subventions"]
    return [top, f"Compte {nature[:2]}"]


def mapping_frame(paths: list[Path]) -> pd.DataFrame:
    """The spreadsheet for the lines of ``paths``, one row per combination of codes."""
    keys: dict[tuple[str, str, str, str], str] = {}
    for path in paths:
        for line in xml_lines(path):
            key = (line["CodRD"], line.get("OpBudg", "0"), line["Nature"], line.get("Fonction", ""))
            keys.setdefault(key, line.get("ContNat", ""))
    rows = []
    for number, ((sens, op, nature, fonction), chapter) in enumerate(sorted(keys.items())):
        section = section_of(nature)
        rows.append(
            [
                SIDES[sens][number % len(SIDES[sens])],
                MOVES[op][number % len(MOVES[op])],
                SECTIONS[section][number % len(SECTIONS[section])],
                chapter if len(chapter) <= 3 else "-",
                nature,
                fonction or ("-" if number % 2 else ""),
                *politique(fonction),
                *comptes(nature),
            ]
        )
    return pd.DataFrame(rows, columns=[*HEADERS.values(), *POLITIQUE, *COMPTES])
