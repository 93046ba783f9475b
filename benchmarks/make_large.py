"""Synthetic budget documents of a given size, for the benchmarks.

Real documents of a département reach 10–20 MB; the fixtures stop at 4 MB. We take a
Montreuil CA and repeat its budget lines and annex records (in place, so the element
order the XSD expects is kept) until the file reaches the target size; below the sample's
size, we keep the first lines and records of each block instead. The content is the
sample's own: no new personal data is created.

    python benchmarks/make_large.py                # 20 MB and 100 MB into benchmarks/output/
    python benchmarks/make_large.py --sizes 0.1 4 50
"""

from __future__ import annotations

import argparse
import copy
import gzip
import sys
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCE = ROOT / "tests" / "fixtures" / "samples" / "montreuil" / "Montreuil_CA_2021.xml.gz"
OUTPUT = HERE / "output"
NS = "{http://www.minefi.gouv.fr/cp/demat/docbudgetaire}"
MB = 1024 * 1024


def _blocks(tree: etree._ElementTree) -> list[list[etree._Element]]:
    """The repeatable records: the budget lines, then each annex block's records."""
    budget = tree.getroot().find(f"{NS}Budget")
    blocks = [budget.findall(f"{NS}LigneBudget")]
    annexes = budget.find(f"{NS}Annexes")
    blocks.extend(list(block) for block in (annexes if annexes is not None else ()))
    return [block for block in blocks if block]


def _scale(tree: etree._ElementTree, factor: float) -> None:
    """Make each block ``factor`` times as long: cut its end, or append copies of its
    records in order after its last one (at least one record is kept)."""
    for records in _blocks(tree):
        wanted = max(1, round(len(records) * factor))
        for record in records[wanted:]:
            record.getparent().remove(record)
        anchor = records[-1]
        for i in range(wanted - len(records)):
            clone = copy.deepcopy(records[i % len(records)])
            anchor.addnext(clone)
            anchor = clone


def make(size_mb: float, source: Path = SOURCE, output: Path = OUTPUT) -> Path:
    """``<sample>_<size>MB.xml`` in ``output`` (kept: made once per size)."""
    target = output / f"{source.name.split('.')[0]}_{size_mb:g}MB.xml"
    if target.exists():
        return target
    data = gzip.decompress(source.read_bytes())
    tree = etree.ElementTree(etree.fromstring(data))
    _scale(tree, size_mb * MB / len(data))
    output.mkdir(parents=True, exist_ok=True)
    tree.write(str(target), xml_declaration=True, encoding=tree.docinfo.encoding or "UTF-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[20, 100], metavar="MB")
    args = parser.parse_args(argv)
    for size in args.sizes:
        path = make(size)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / MB:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
