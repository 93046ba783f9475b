"""Time to load a plan de comptes (goal: < 50 ms cold, cached afterwards) and to classify
a document's lines.

    PYTHONPATH=. python benchmarks/bench_nomenclature.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from ckanext.budget.docbudg.nomenclature import available_plans, find_plan, load_plan
from ckanext.budget.docbudg.nomenclature.store import _index, _load
from ckanext.budget.docbudg.reader import read_document

SAMPLE = Path(__file__).resolve().parent.parent / "tests/fixtures/samples/montreuil"


def main() -> None:
    index = _index(None)
    cold = []
    for key in available_plans():
        _load.cache_clear()
        start = time.perf_counter()
        load_plan(index[key])
        cold.append((time.perf_counter() - start) * 1000)
    cold.sort()
    print(
        f"cold load of {len(cold)} plans: median {statistics.median(cold):.1f} ms, "
        f"p95 {cold[int(0.95 * len(cold))]:.1f} ms, max {cold[-1]:.1f} ms"
    )
    start = time.perf_counter()
    for _ in range(1000):
        find_plan(2019, "M14-M14_COM_SUP3500")
    print(f"cached find_plan: {(time.perf_counter() - start):.3f} ms per call")

    document = read_document(SAMPLE / "Montreuil_CA_2019.xml.gz")
    plan = find_plan(2019, "M14-M14_COM_SUP3500")
    lines = document.detail_lines
    start = time.perf_counter()
    for line in lines:
        plan.section_of(line)
        plan.account(line.nature)
    elapsed = (time.perf_counter() - start) * 1000
    print(f"section_of + account for {len(lines)} lines: {elapsed:.1f} ms")
    start = time.perf_counter()
    plan.account_descendants("60")
    elapsed = (time.perf_counter() - start) * 1000
    print(f"first account_descendants (builds the tree): {elapsed:.1f} ms")


if __name__ == "__main__":
    main()
