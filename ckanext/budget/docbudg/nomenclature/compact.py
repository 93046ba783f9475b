"""The compact, bundled form of an official plan de comptes (``planDeCompte.xml``).

The official XML weighs 57 MB for 2013–2024, mostly attributes no lookup needs. We keep,
per (year, norme, declinaison), one gzip JSON document holding rows of plain lists:
codes, labels, parents, the chapter keys of each account and the chapter flags. It loads
in a few milliseconds and the whole set stays a few megabytes.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

from lxml import etree

FORMAT_VERSION = 1
CHAPTER_KEYS = ("DR", "RR", "DOES", "ROES", "DOIS", "ROIS")
FILE_SUFFIX = ".json.gz"
_FILE_NAME = re.compile(r"^(\d{4})-([A-Za-z0-9_]+)-([A-Za-z0-9_]+)\.json\.gz$")

Row = list[Any]


def file_name(exer: int, norme: str, declinaison: str) -> str:
    """``2016-M14-M14_COM_SUP3500.json.gz``: flat, so the wheel needs no sub-packages."""
    return f"{exer}-{norme}-{declinaison}{FILE_SUFFIX}"


def parse_file_name(name: str) -> tuple[int, str, str] | None:
    match = _FILE_NAME.match(name)
    if match is None:
        return None
    return int(match[1]), match[2], match[3]


def _short(el: etree._Element) -> str | None:
    """The short label, only when it says something the long one does not."""
    label = (el.get("Libelle") or "").strip()
    short = (el.get("Lib_court") or "").strip()
    return short if short and short != label else None


def _flag(el: etree._Element, name: str) -> int:
    return 1 if el.get(name) == "1" else 0


def _chapter_rows(chapitres: etree._Element | None) -> list[Row]:
    """``[code, label, short, section, kind, special, supprime]`` per ``Chapitre``."""
    if chapitres is None:
        return []
    return [
        [
            el.get("Code"),
            (el.get("Libelle") or "").strip(),
            _short(el),
            el.get("Section") or None,
            el.get("TypeChapitre") or None,
            _flag(el, "Special"),
            _flag(el, "Supprime"),
        ]
        for el in chapitres.iterfind("Chapitre")
        if el.get("Code")
    ]


def _tree_rows(parent_el: etree._Element | None, tag: str) -> list[Row]:
    """``[code, label, short, parent, supprime, chapters]`` per nested element, depth first.

    ``chapters`` is the list of the six chapter keys (empty strings dropped at the end), or
    0 when the element carries none, which is the case for every non-leaf account.
    """
    rows: list[Row] = []
    if parent_el is None:
        return rows

    def walk(el: etree._Element, parent: str | None) -> None:
        for child in el.iterfind(tag):
            code = child.get("Code")
            if not code:
                continue
            keys = [child.get(key) or "" for key in CHAPTER_KEYS]
            while keys and not keys[-1]:
                keys.pop()
            rows.append(
                [
                    code,
                    (child.get("Libelle") or "").strip(),
                    _short(child),
                    parent,
                    _flag(child, "Supprime"),
                    keys or 0,
                ]
            )
            walk(child, code)

    walk(parent_el, None)
    return rows


def compact_from_xml(source: str | Path | bytes) -> dict[str, Any]:
    """Read one official ``planDeCompte.xml`` into the compact document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    if isinstance(source, bytes):
        root = etree.fromstring(source, parser)
    else:
        root = etree.parse(str(source), parser).getroot()
    if root.tag != "Nomenclature":
        raise ValueError(f"not a plan de comptes: root element {root.tag!r}")
    exer, norme, declinaison = root.get("Exer"), root.get("Norme"), root.get("Declinaison")
    if not (exer and exer.isdigit() and norme and declinaison):
        raise ValueError("plan de comptes without Norme, Declinaison or Exer")
    nature = root.find("Nature")
    fonction = root.find("Fonction")

    def part(section: etree._Element | None, name: str) -> etree._Element | None:
        return section.find(name) if section is not None else None

    return {
        "format": FORMAT_VERSION,
        "exer": int(exer),
        "norme": norme,
        "declinaison": declinaison,
        "chapters": _chapter_rows(part(nature, "Chapitres")),
        "accounts": _tree_rows(part(nature, "Comptes"), "Compte"),
        "function_chapters": _chapter_rows(part(fonction, "Chapitres")),
        "function_accounts": _tree_rows(part(fonction, "Comptes"), "Compte"),
        "ref_functions": _tree_rows(part(fonction, "RefFonctionnelles"), "RefFonc"),
    }


def write_compact(doc: dict[str, Any], dest_dir: str | Path) -> Path:
    """Write deterministically (fixed gzip mtime) so rebuilding yields identical bytes."""
    dest = Path(dest_dir) / file_name(doc["exer"], doc["norme"], doc["declinaison"])
    dest.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    tmp = dest.with_name(dest.name + ".tmp")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(payload)
    tmp.replace(dest)
    return dest


def read_compact(path: str | Path) -> dict[str, Any]:
    with gzip.open(path, "rb") as fh:
        doc = json.loads(fh.read())
    if doc.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported plan format {doc.get('format')!r}")
    return doc
