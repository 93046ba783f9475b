"""Aggregation speed: a 150-leaf rule set on 10 documents of ~1,500 lines, checks included.

Goal (issue 5): under 200 ms for the 10 documents. Documents are read before timing
(parsing XML is the reader's benchmark). The rule set is Gironde's imported presentation
(its split lines included), cut to exactly ``--leaves`` leaves: the main tree (104
leaves), then the first leaves of its alternative tree "par publics". The checks run on
every tree (lines in no category, lines counted twice, RDFI totals, split lines).

- cold: what a portal does for documents it has not aggregated yet: the rule set is
  rebuilt from its stored form (every formula parsed and compiled), each document's line
  index is built (selection, chapters and sections from the plan de comptes, bit masks)
  and what was learnt from the plans is forgotten; the plans themselves stay loaded, as
  in a running portal;
- warm: the same documents again with the same rule set (indexes and masks kept).

Run: ``.venv-2.11.6/bin/python benchmarks/bench_aggregation.py [--leaves 150] [--runs 15]``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from dataclasses import replace
from pathlib import Path

from ckanext.budget.docbudg.aggregation import (
    RuleSet,
    Tree,
    aggregate,
    import_gironde,
    ruleset_from_dict,
    ruleset_to_dict,
)
from ckanext.budget.docbudg.aggregation.index import clear_caches
from ckanext.budget.docbudg.aggregation.ruleset import Category
from ckanext.budget.docbudg.reader import read_document

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples" / "montreuil"
RULES = ROOT / "tests" / "fixtures" / "rules"
GOAL_MS = 200.0
DOCUMENTS = 10


def _first_leaves(categories: list[Category], budget: list[int]) -> list[Category]:
    """A copy of ``categories`` keeping the first ``budget[0]`` leaves (in tree order)."""
    kept = []
    for category in categories:
        if budget[0] <= 0:
            break
        if category.is_leaf:
            budget[0] -= 1
            kept.append(category)
            continue
        children = _first_leaves(category.children, budget)
        if children:
            kept.append(replace(category, children=children))
    return kept


def bench_rules(leaves: int) -> RuleSet:
    gironde = import_gironde(
        RULES / "gironde-description-agregation.json",
        RULES / "gironde-corrections-agregation.csv",
    )
    budget = [leaves]
    trees = []
    for tree in gironde.trees:
        categories = _first_leaves(tree.categories, budget)
        if categories:
            trees.append(Tree(id=tree.id, label=tree.label, categories=categories))
    rules = RuleSet(id="bench", label="bench", trees=trees, corrections=gironde.corrections)
    return ruleset_from_dict(ruleset_to_dict(rules))  # as stored by the portal


def timed(run, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each run (CPU time shows the work itself when
    other processes share the machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=150)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    paths = sorted(SAMPLES.glob("*.xml.gz"))
    docs = [read_document(paths[i % len(paths)]) for i in range(DOCUMENTS)]
    stored = ruleset_to_dict(bench_rules(args.leaves))
    rules = ruleset_from_dict(stored)
    sizes = [len(doc.lines) for doc in docs]
    for doc in docs:  # loads the plans de comptes once, as a running portal has them
        aggregate(doc, rules)

    def cold() -> None:
        clear_caches()
        fresh = ruleset_from_dict(stored)
        for doc in docs:
            aggregate(doc, fresh)

    def warm() -> None:
        for doc in docs:
            aggregate(doc, rules)

    tree_sizes = ", ".join(f"{t.id} {len(t.leaves())}" for t in rules.trees)
    print(
        f"aggregation: {sum(len(t.leaves()) for t in rules.trees)} leaves ({tree_sizes}), "
        f"{len(rules.corrections)} split-line rows, {len(docs)} documents of "
        f"{min(sizes)}-{max(sizes)} lines ({sum(sizes)} in all), checks included "
        f"(goal < {GOAL_MS:.0f} ms)"
    )
    for label, run in (
        ("cold: rules parsed, line indexes built", cold),
        ("warm: same rules, indexes kept", warm),
    ):
        wall, cpu = timed(run, args.runs)
        median = statistics.median(wall)
        verdict = "OK" if median < GOAL_MS else "TOO SLOW"
        print(
            f"  {label}: best {min(wall):.1f} ms, median {median:.1f} ms "
            f"(CPU median {statistics.median(cpu):.1f} ms) -> {verdict}"
        )


if __name__ == "__main__":
    main()
