"""Aggregation speed: a 150+-leaf rule set on 10 documents of ~1,400 lines, checks included.

Goal: under 200 ms for the 10 documents (documents are read before timing: parsing XML is
the reader's benchmark). Run: ``PYTHONPATH=. python benchmarks/bench_aggregation.py``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from ckanext.budget.docbudg.aggregation import RuleSet, aggregate, default_ruleset, import_gironde
from ckanext.budget.docbudg.aggregation.index import _CACHE
from ckanext.budget.docbudg.reader import read_document

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples" / "montreuil"
RULES = ROOT / "tests" / "fixtures" / "rules"
GOAL_MS = 200.0


def main() -> None:
    paths = sorted(SAMPLES.glob("*.xml.gz"))
    docs = [read_document(p) for p in (paths * 2)[:10]]
    gironde = import_gironde(
        RULES / "gironde-description-agregation.json",
        RULES / "gironde-corrections-agregation.csv",
    )
    defaults = default_ruleset(docs[0])
    rules = RuleSet(
        id="bench",
        label="bench",
        trees=[*gironde.trees, *defaults.trees],
        corrections=gironde.corrections,
    )
    leaves = sum(len(tree.leaves()) for tree in rules.trees)
    lines = sum(len(doc.lines) for doc in docs)
    for doc in docs:  # warm: plan lookups (cached by the nomenclature store), parsed formulas
        aggregate(doc, rules)
    print(
        f"aggregation: {leaves} leaves in {len(rules.trees)} trees, {len(docs)} documents, "
        f"{lines} lines, checks included (goal < {GOAL_MS:.0f} ms)"
    )
    for label, cold in (("cold: line index built", True), ("warm: line index reused", False)):
        runs = []
        for _ in range(7):
            if cold:
                _CACHE.clear()
            start = time.perf_counter()
            for doc in docs:
                aggregate(doc, rules)
            runs.append((time.perf_counter() - start) * 1000)
        median = statistics.median(runs)
        verdict = "OK" if median < GOAL_MS else "TOO SLOW"
        print(f"  {label}: best {min(runs):.1f} ms, median {median:.1f} ms -> {verdict}")


if __name__ == "__main__":
    main()
