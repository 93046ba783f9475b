"""Cost of anonymisation against a bare lxml parse (goal: read + anonymise + XSD validation
+ export within 4× the bare parse), on Montreuil CA 2018 (3.5 MB) and on a synthetic
~100 MB document made of its annexes repeated.

    PYTHONPATH=. python benchmarks/bench_anonymisation.py [--big]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from ckanext.budget.docbudg.anonymisation import anonymise
from ckanext.budget.docbudg.reader import load_bytes, parse_bytes
from ckanext.budget.docbudg.validation.xsd import bundled_schema

SAMPLE = Path(__file__).resolve().parent.parent / "tests/fixtures/samples/montreuil"


def best_ms(step: Callable[[], object], repeat: int = 7) -> float:
    """Median CPU time: the machine is shared, wall time would measure the neighbours."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        step()
        times.append((time.process_time() - start) * 1000)
    return min(times) if repeat < 3 else statistics.median(times)


def measure(data: bytes, label: str, repeat: int = 7) -> None:
    schema = bundled_schema()
    bare = best_ms(lambda: etree.fromstring(data), repeat)

    def parse():
        return parse_bytes(data)

    doc = parse()
    anon = []
    for _ in range(repeat):
        document = parse()
        start = time.process_time()
        anonymise(document)
        anon.append((time.process_time() - start) * 1000)

    def pipeline() -> bytes:
        document = parse_bytes(data)
        anonymise(document)
        schema.validate(document.budget_root)
        return document.to_bytes()

    full = best_ms(pipeline, repeat)
    print(
        f"{label}: {len(data) / 1e6:.1f} MB, {len(doc.lines)} lines; bare lxml parse "
        f"{bare:.0f} ms; anonymise alone {statistics.median(anon):.1f} ms; "
        "read+anonymise+validate+export "
        f"{full:.0f} ms = {full / bare:.2f}× the bare parse (CPU time)"
    )


def big_document(data: bytes, target: int = 100_000_000) -> bytes:
    """The sample with its annexes repeated until the file reaches ``target`` bytes."""
    root = etree.fromstring(data)
    annexes = root.find("{*}Budget/{*}Annexes")
    blocks = list(annexes)
    size = len(data)
    block_size = sum(len(etree.tostring(b)) for b in blocks)
    while size < target:
        for block in blocks:
            annexes.append(etree.fromstring(etree.tostring(block)))
        size += block_size
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def main() -> None:
    data = load_bytes(SAMPLE / "Montreuil_CA_2018.xml.gz")
    measure(data, "Montreuil CA 2018")
    if "--big" in sys.argv:
        measure(big_document(data), "Montreuil CA 2018, annexes repeated", repeat=1)


if __name__ == "__main__":
    main()
