"""Where plans come from: bundled data, an administrator's directory, official XML imports.

Search order for a (year, nomenclature): the ``plans_dir`` argument (the CKAN layer passes
its configured directory), then ``$BUDGET_DOC_PLANS_DIR``, then the data bundled with the
package. A directory earlier in that order wins for the same year; the year itself is
chosen first (exact, N-1, N+1, then the nearest), so a newer official plan dropped in by
an administrator is used as soon as it exists.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from .compact import compact_from_xml, parse_file_name, read_compact, write_compact
from .plan import Plan

ENV_PLANS_DIR = "BUDGET_DOC_PLANS_DIR"
BUNDLED_DIR = Path(__file__).parent / "data"
XML_NAME = "planDeCompte.xml"
_CODE = re.compile(r"^[A-Z0-9_]+$")

PlanKey = tuple[int, str, str]


def split_nomenclature(nomenclature: str) -> tuple[str, str] | None:
    """``("M4", "M43_D")`` from ``M4-M43_D``; a bare norme (``M52``) is its own declinaison."""
    parts = nomenclature.strip().upper().split("-", 1)
    norme = parts[0].strip()
    declinaison = parts[1].strip() if len(parts) == 2 and parts[1].strip() else norme
    if not (_CODE.match(norme) and _CODE.match(declinaison)):
        return None
    return norme, declinaison


def search_dirs(plans_dir: str | Path | None = None) -> list[Path]:
    dirs = [Path(d) for d in (plans_dir, os.environ.get(ENV_PLANS_DIR)) if d]
    dirs.append(BUNDLED_DIR)
    return [d for d in dirs if d.is_dir()]


def _scan(directory: Path) -> dict[PlanKey, Path]:
    found: dict[PlanKey, Path] = {}
    for entry in os.scandir(directory):
        key = parse_file_name(entry.name)
        if key is not None and entry.is_file():
            found[key] = Path(entry.path)
    return found


@lru_cache(maxsize=1)
def _bundled_index() -> dict[PlanKey, Path]:
    return _scan(BUNDLED_DIR) if BUNDLED_DIR.is_dir() else {}


def _index(plans_dir: str | Path | None) -> dict[PlanKey, Path]:
    """Every plan file by key, the first directory in search order winning."""
    index: dict[PlanKey, Path] = {}
    for directory in search_dirs(plans_dir):
        scanned = _bundled_index() if directory == BUNDLED_DIR else _scan(directory)
        for key, path in scanned.items():
            index.setdefault(key, path)
    return index


def available_plans(plans_dir: str | Path | None = None) -> list[PlanKey]:
    """``(exer, norme, declinaison)`` of every plan that ``find_plan`` can return."""
    return sorted(_index(plans_dir))


@lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int, size: int) -> Plan:
    return Plan(read_compact(path))


def load_plan(path: str | Path) -> Plan:
    """Cached load of one compact file (a rewritten file is reloaded)."""
    stat = os.stat(path)
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def year_preference(exer: int, years: set[int]) -> list[int]:
    """Exact year, then N-1, N+1, then the nearest others (earlier first on a tie)."""
    return sorted(years, key=lambda y: (0 if y == exer else 1, abs(y - exer), y > exer))


def find_plan(
    exer: int | None,
    nomenclature: str,
    *,
    fallback: bool = True,
    plans_dir: str | Path | None = None,
) -> Plan | None:
    """The plan for a document's year and ``Nomenclature``; ``None`` if there is none.

    With ``fallback`` a missing year is replaced by the nearest available one; the
    returned ``Plan.exer`` tells which year was used.
    """
    parts = split_nomenclature(nomenclature or "")
    if parts is None or exer is None:
        return None
    norme, declinaison = parts
    index = _index(plans_dir)
    years = {y for (y, n, d) in index if n == norme and d == declinaison}
    if not fallback:
        years &= {exer}
    for year in year_preference(exer, years)[:1]:
        return load_plan(index[(year, norme, declinaison)])
    return None


def find_merged_plan(
    exer: int | None, nomenclature: str, *, plans_dir: str | Path | None = None
) -> Plan | None:
    """``find_plan`` completed by the codes of the N-1 then N+1 plans (see
    ``Plan.merged_with``): for explaining and aggregating lines, where a code kept from
    last year's plan must still get its label and section. Validation should use
    ``find_plan`` and report such codes.
    """
    base = find_plan(exer, nomenclature, plans_dir=plans_dir)
    if base is None:
        return None
    neighbours = [
        find_plan(year, nomenclature, fallback=False, plans_dir=plans_dir)
        for year in (base.exer - 1, base.exer + 1)
    ]
    return _merged(base, *(plan for plan in neighbours if plan is not None))


@lru_cache(maxsize=32)
def _merged(base: Plan, *others: Plan) -> Plan:
    return base.merged_with(*others)


def _key_from_path(xml_path: Path, norme: str) -> tuple[int, str] | None:
    """``(year, declinaison)`` from a ``<year>/<norme>/<declinaison>/`` layout.

    The layout wins over the XML's own attributes: some official files were published
    with a stale ``Exer`` (2022 M42, M43_A, M43_D and M57 say 2020) or a wrong
    ``Declinaison`` (2023 M57_P says M57_D).
    """
    parts = xml_path.parent.parts[-3:]
    if len(parts) == 3 and re.fullmatch(r"\d{4}", parts[0]) and parts[1].upper() == norme:
        return int(parts[0]), parts[2].upper()
    return None


def import_plans(src_dir: str | Path, dest_dir: str | Path) -> list[PlanKey]:
    """Convert every official ``planDeCompte.xml`` under ``src_dir`` into ``dest_dir``.

    For administrators adding a year without a new release: point ``plans_dir`` or
    ``$BUDGET_DOC_PLANS_DIR`` at ``dest_dir`` afterwards.
    """
    written: list[PlanKey] = []
    for xml_path in sorted(Path(src_dir).rglob(XML_NAME)):
        doc = compact_from_xml(xml_path)
        from_path = _key_from_path(xml_path, doc["norme"].upper())
        if from_path is not None and from_path != (doc["exer"], doc["declinaison"]):
            doc["xml_header"] = {"exer": doc["exer"], "declinaison": doc["declinaison"]}
            doc["exer"], doc["declinaison"] = from_path
        write_compact(doc, dest_dir)
        written.append((doc["exer"], doc["norme"], doc["declinaison"]))
    return sorted(written)
