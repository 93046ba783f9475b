"""``budget-doc batch`` over generated corpora, with one and two worker processes.

    python benchmarks/bench_batch.py               # 1,000 small + 20 × 20 MB documents
    python benchmarks/bench_batch.py --no-large    # the 1,000 small documents only
    python benchmarks/bench_batch.py --small 200 --large 4

The small corpus is the Crach and Saint-Malo samples (0.02–0.23 MB) with their header
values rewritten in the bytes (a SIRET of its own with a valid key, a year from 2019 to
2023, a stage), so each file is another authority's, year's or stage's document. The
large one is ``--large`` links to one synthetic 20 MB document (``make_large.py``). Each
corpus holds one truncated copy of its source too: the batch must go on and report it
``failed``, which is checked and printed.

Each run is ``budget-doc batch`` in a fresh process; it reports documents/s, MB/s (input
size), the sum of the per-document times of the summary, and the peak memory of each
kind of process: the main one (``VmHWM``) and the largest worker (``RUSAGE_CHILDREN``,
with ``--jobs 2``). The load average is recorded before and after each run: on a shared
machine the figures depend on it. How the cost of one document grows with its size, step
by step: ``bench_pipeline.py --scale``. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUTPUT = HERE / "output"
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
MB = 1024 * 1024
STAGES = (b"01", b"02", b"03", b"09")
BROKEN = "broken_truncated.xml"
sys.path.insert(0, str(HERE))

from make_large import make  # noqa: E402

RUN_BATCH = r"""
import json, resource, sys
from ckanext.budget.docbudg.cli import main

code = main(sys.argv[1:])
with open("/proc/self/status") as status:  # this process only (ru_maxrss spans exec)
    main_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
workers_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"exit": code, "main_kb": main_kb, "worker_kb": workers_kb}))
"""


def _sources() -> list[bytes]:
    paths = sorted(SAMPLES.glob("crach/*.xml")) + sorted(SAMPLES.glob("saint-malo/*.xml"))
    return [p.read_bytes() for p in paths]


def _siret(i: int) -> bytes:
    """A 14-digit SIRET of our own with a valid Luhn key (as the validator checks)."""
    body = f"2{i:08d}0001"
    digits = [int(c) * (2 if k % 2 == 0 else 1) for k, c in enumerate(reversed(body))]
    key = -sum(d - 9 if d > 9 else d for d in digits) % 10
    return f"{body}{key}".encode()


def _vary(data: bytes, i: int) -> bytes:
    data = re.sub(rb'(<IdEtab V=")[^"]*', rb"\g<1>" + _siret(i), data, count=1)
    data = re.sub(rb'(<Exer V=")[^"]*', rb"\g<1>%d" % (2019 + i % 5), data, count=1)
    return re.sub(rb'(<NatDec V=")[^"]*', rb"\g<1>" + STAGES[i % 4], data, count=1)


def small_corpus(count: int) -> Path:
    target = OUTPUT / f"batch_small_{count}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    sources = _sources()
    for i in range(count - 1):
        (target / f"doc_{i:04d}.xml").write_bytes(_vary(sources[i % len(sources)], i))
    (target / BROKEN).write_bytes(sources[0][: len(sources[0]) // 2])
    return target


def large_corpus(count: int) -> Path:
    source = make(20)
    target = OUTPUT / f"batch_large_{count}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for i in range(count):
        os.link(source, target / f"large_{i:02d}.xml")
    data = source.read_bytes()
    (target / BROKEN).write_bytes(data[: len(data) // 2])
    return target


def run_batch(corpus: Path, jobs: int) -> dict[str, float | int | str]:
    out = OUTPUT / f"{corpus.name}_out_j{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    args = ["batch", str(corpus), "--out", str(out), "--jobs", str(jobs)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANGUAGE": "en"}
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN_BATCH, *args], capture_output=True, text=True, env=env
    )
    seconds = time.perf_counter() - started
    if not proc.stdout.strip():
        raise SystemExit(f"budget-doc batch crashed:\n{proc.stderr[-2000:]}")
    usage = json.loads(proc.stdout.strip().splitlines()[-1])
    with (out / "summary.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    broken = [row for row in rows if row["file"] == BROKEN]
    size = sum(p.stat().st_size for p in corpus.iterdir()) / MB
    return {
        "corpus": corpus.name,
        "files": sum(1 for _ in corpus.iterdir()),
        "MB": size,
        "jobs": jobs,
        "docs": len(rows),
        "seconds": seconds,
        "docs/s": len(rows) / seconds,
        "MB/s": size / seconds,
        "doc seconds": sum(float(row["seconds"] or 0) for row in rows),
        "main MB": usage["main_kb"] / 1024,
        "worker MB": usage["worker_kb"] / 1024,
        "exit": usage["exit"],
        "statuses": ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        "broken": f"{broken[0]['status']} ({broken[0]['code']})" if broken else "MISSING",
        "load": f"{load_before:.1f}–{os.getloadavg()[0]:.1f}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, metavar="N")
    parser.add_argument("--large", type=int, default=20, metavar="N")
    parser.add_argument("--no-large", action="store_true")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    corpora = [small_corpus(args.small)]
    if not args.no_large:
        corpora.append(large_corpus(args.large))
    print(
        "| corpus | files | MB | jobs | seconds | docs/s | MB/s | Σ doc s | main MB "
        "| worker MB | statuses | truncated file | exit | load |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|")
    for corpus in corpora:
        for jobs in args.jobs:
            r = run_batch(corpus, jobs)
            worker = f"{r['worker MB']:.0f}" if jobs > 1 else "–"
            print(
                f"| {r['corpus']} | {r['files']} | {r['MB']:.0f} | {jobs} | {r['seconds']:.1f} "
                f"| {r['docs/s']:.1f} | {r['MB/s']:.1f} | {r['doc seconds']:.0f} "
                f"| {r['main MB']:.0f} | {worker} | {r['statuses']} | {r['broken']} "
                f"| {r['exit']} | {r['load']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
