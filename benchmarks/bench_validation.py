"""Cost of validation against a bare lxml parse, on Montreuil CA 2018 (3.5 MB) and on a
synthetic ~20 MB document (its budget lines and annex blocks repeated).

Goal: the whole pipeline (read + anonymise + validate + SCDL export) within 4× the bare
parse; the XSD is the expensive layer. Prints the median of several runs, wall clock and
CPU time (the machine is shared: CPU time is the steadier figure).

    PYTHONPATH=. python benchmarks/bench_validation.py [--big-only]
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.pipeline import process
from ckanext.budget.docbudg.reader import load_bytes, parse_bytes
from ckanext.budget.docbudg.validation import bundled_schema, validate

SAMPLE = Path(__file__).resolve().parent.parent / "tests/fixtures/samples/montreuil"


def median_ms(step: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``step``."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def synthetic(data: bytes, target: int = 20_000_000) -> bytes:
    """The sample with its ``LigneBudget`` and annex records repeated up to ``target`` bytes.

    Records are repeated inside their ``DATA_X`` block (a block may appear only once), so
    the document stays valid and the XSD walks all of it.
    """
    root = etree.fromstring(data)
    budget = root.find(q("Budget"))
    lines = budget.findall(q("LigneBudget"))
    records = [(block, list(block)) for block in budget.find(q("Annexes"))]
    size = len(data)
    while size < target:
        anchor = lines[-1]
        for line in reversed(lines):
            anchor.addnext(copy.deepcopy(line))
        for block, rows in records:
            block.extend(copy.deepcopy(row) for row in rows)
        size += len(data)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def measure(data: bytes, label: str, repeat: int) -> None:
    schema = bundled_schema()
    bare = median_ms(lambda: etree.fromstring(data), repeat)
    read = median_ms(lambda: parse_bytes(data), repeat)
    doc = parse_bytes(data)
    xsd = median_ms(lambda: schema.validate(doc.budget_root), repeat)

    def validate_fresh() -> None:
        validate(parse_bytes(data))

    read_validate = median_ms(validate_fresh, repeat)
    full = median_ms(lambda: process(data), repeat)
    report = validate(parse_bytes(data))
    print(f"{label}: {len(data) / 1e6:.1f} MB, {len(doc.lines)} lines, {report.status}")
    for name, (wall, cpu) in (
        ("bare lxml parse", bare),
        ("read (hardened parse)", read),
        ("XSD V95 alone", xsd),
        ("read + validate (7 layers)", read_validate),
        ("full pipeline (process)", full),
    ):
        print(
            f"  {name:28} {wall:7.0f} ms wall {wall / bare[0]:5.2f}×   "
            f"{cpu:7.0f} ms CPU {cpu / bare[1]:5.2f}×"
        )


def main() -> None:
    data = load_bytes(SAMPLE / "Montreuil_CA_2018.xml.gz")
    if "--big-only" not in sys.argv:
        measure(data, "Montreuil CA 2018", repeat=7)
    measure(synthetic(data), "Montreuil CA 2018, lines and annexes repeated", repeat=3)


if __name__ == "__main__":
    main()
