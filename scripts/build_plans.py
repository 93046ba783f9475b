"""Rebuild the bundled plans de comptes from the official ``planDeCompte.xml`` tree.

    python scripts/build_plans.py [SRC_DIR] [--manifest MANIFEST.tsv]

Writes ``ckanext/budget/docbudg/nomenclature/data/``: one compact file per plan, the
licence notice of the source files (NOTICE.txt) and PROVENANCE.md (origin, years,
sha256 of every input, checked against the shared manifest when given).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ckanext.budget.docbudg.nomenclature import BUNDLED_DIR, import_plans  # noqa: E402
from ckanext.budget.docbudg.nomenclature.compact import FILE_SUFFIX  # noqa: E402
from ckanext.budget.docbudg.nomenclature.store import XML_NAME  # noqa: E402

DEFAULT_SRC = Path("/work/shared/data/plans-de-comptes")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(path: Path | None) -> dict[str, str]:
    """``plans-de-comptes/…/planDeCompte.xml`` → sha256 prefix, from the shared manifest."""
    if path is None:
        return {}
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:])
    return {row[0]: row[2] for row in rows if len(row) >= 3}


def licence_notice(xml_path: Path) -> str:
    """The copyright comment every official file opens with."""
    tree = etree.parse(str(xml_path))
    for node in tree.getroot().itersiblings(preceding=True):
        if isinstance(node, etree._Comment):
            return re.sub(r"^ {4}", "", node.text.strip("\n"), flags=re.M).strip() + "\n"
    raise SystemExit(f"{xml_path}: no licence notice found")


def header_of(xml_path: Path) -> tuple[str, str, str]:
    for _event, el in etree.iterparse(str(xml_path), events=("start",)):
        return el.get("Exer", ""), el.get("Norme", ""), el.get("Declinaison", "")
    return "", "", ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", type=Path, default=DEFAULT_SRC)
    parser.add_argument("--manifest", type=Path, default=None)
    parser.add_argument("--dest", type=Path, default=BUNDLED_DIR)
    args = parser.parse_args(argv)
    manifest = read_manifest(args.manifest)
    sources = sorted(args.src.rglob(XML_NAME))
    if not sources:
        raise SystemExit(f"no {XML_NAME} under {args.src}")

    args.dest.mkdir(parents=True, exist_ok=True)
    for old in args.dest.glob(f"*{FILE_SUFFIX}"):
        old.unlink()
    keys = import_plans(args.src, args.dest)
    (args.dest / "NOTICE.txt").write_text(licence_notice(sources[0]), encoding="utf-8")

    rows, notes = [], []
    for path in sources:
        rel = path.relative_to(args.src).as_posix()
        digest = sha256(path)
        expected = manifest.get(f"plans-de-comptes/{rel}")
        if manifest and (expected is None or not digest.startswith(expected)):
            raise SystemExit(f"{rel}: sha256 {digest[:16]} differs from the manifest")
        year, norme, declinaison = rel.split("/")[:3]
        header = header_of(path)
        if header != (year, norme, declinaison):
            notes.append(
                f"- `{rel}` declares Exer={header[0]} Norme={header[1]} "
                f"Declinaison={header[2]}: filed under its folder's year and declinaison."
            )
        rows.append(f"| `{rel}` | {path.stat().st_size} | `{digest}` |")
    years = sorted({k[0] for k in keys})
    size = sum(p.stat().st_size for p in args.dest.glob(f"*{FILE_SUFFIX}"))
    text = f"""# Provenance of the bundled plans de comptes

- Origin: the official plans de comptes as distributed with ODM print-comp (copyright
  axYus, see `NOTICE.txt`), folder `plans-de-comptes/<year>/<norme>/<declinaison>/planDeCompte.xml`
  of the project's shared data (`/work/shared/data`).
- Years {years[0]}–{years[-1]}: {len(keys)} plans, norms {", ".join(sorted({k[1] for k in keys}))}.
- Licence: GNU Lesser General Public License, version 2 or any later version (notice
  of the source files in `NOTICE.txt`; licence text in `LGPL-2.1.txt`, the Lesser
  version the notice allows, copied from Debian's `/usr/share/common-licenses`). The
  compact files are a derived work under the same licence.
- Built by `scripts/build_plans.py` (compact gzip JSON, format of
  `ckanext/budget/docbudg/nomenclature/compact.py`): {len(keys)} files, {size} bytes
  (the XML: {sum(p.stat().st_size for p in sources)} bytes).
{"- sha256 checked against the shared `MANIFEST.tsv` (16-hex-digit prefixes)." if manifest else ""}

## Anomalies of the official files

{chr(10).join(notes) or "None."}

## Inputs

| file | bytes | sha256 |
| --- | ---: | --- |
{chr(10).join(rows)}
"""
    (args.dest / "PROVENANCE.md").write_text(text, encoding="utf-8")
    print(f"{len(keys)} plans, {size} bytes in {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
