"""Synthetic large budget documents, for the pipeline benchmark.

Real documents of a département reach 10–20 MB; the fixtures stop at 4 MB. We take a
Montreuil CA and repeat its budget lines and annex records (in place, so the element
order the XSD expects is kept) until the file reaches the target size. The content is
the sample's own, repeated: no new personal data is created.

    python benchmarks/make_large.py            # 20 MB and 100 MB into benchmarks/output/
    python benchmarks/make_large.py --sizes 50
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


def _grow(tree: etree._ElementTree, copies: int) -> None:
    """Append ``copies`` copies of every budget line and every annex record."""
    budget = tree.getroot().find(f"{NS}Budget")
    lines = budget.findall(f"{NS}LigneBudget")
    anchor = lines[-1]
    for _ in range(copies):
        for line in lines:
            clone = copy.deepcopy(line)
            anchor.addnext(clone)
            anchor = clone
    annexes = budget.find(f"{NS}Annexes")
    for block in annexes if annexes is not None else ():
        records = list(block)
        if not records:
            continue
        last = records[-1]
        for _ in range(copies):
            for record in records:
                clone = copy.deepcopy(record)
                last.addnext(clone)
                last = clone


def make(size_mb: int, source: Path = SOURCE, output: Path = OUTPUT) -> Path:
    data = gzip.decompress(source.read_bytes())
    copies = max(0, round(size_mb * MB / len(data)) - 1)
    tree = etree.ElementTree(etree.fromstring(data))
    _grow(tree, copies)
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"{source.name.split('.')[0]}_x{copies + 1}_{size_mb}MB.xml"
    tree.write(str(target), xml_declaration=True, encoding=tree.docinfo.encoding or "UTF-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 100], metavar="MB")
    args = parser.parse_args(argv)
    for size in args.sizes:
        path = make(size)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / MB:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
