"""``budget-doc batch`` over a generated corpus, with one and two worker processes.

    python benchmarks/bench_batch.py               # 1,000 small + 20 × 20 MB, size table
    python benchmarks/bench_batch.py --no-large    # 1,000 small documents only
    python benchmarks/bench_batch.py --small 200 --sizes 0.1 1 4

The small corpus is the fixtures with their header values rewritten in the bytes (SIRET,
year, stage), plus one truncated file: the batch must go on and report it ``failed``.
Reports documents/s, MB/s and the peak memory of the batch's processes
(``RUSAGE_CHILDREN``: the largest child, i.e. the biggest worker), then the cost of one
document by file size. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import re
import resource
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
sys.path.insert(0, str(HERE))

from make_large import make  # noqa: E402


def _sources() -> list[bytes]:
    paths = sorted(SAMPLES.glob("crach/*.xml")) + sorted(SAMPLES.glob("saint-malo/*.xml"))
    return [p.read_bytes() for p in paths]


def _vary(data: bytes, i: int) -> bytes:
    siret = f"2{i:08d}{(i * 7) % 100000:05d}"[:14].encode()
    data = re.sub(rb'(<IdEtab V=")[^"]*', rb"\g<1>" + siret, data, count=1)
    data = re.sub(rb'(<Exer V=")[^"]*', rb"\g<1>%d" % (2015 + i % 9), data, count=1)
    return re.sub(rb'(<NatDec V=")[^"]*', rb"\g<1>" + STAGES[i % 4], data, count=1)


def small_corpus(count: int) -> Path:
    target = OUTPUT / f"batch_small_{count}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    sources = _sources()
    for i in range(count - 1):
        (target / f"doc_{i:04d}.xml").write_bytes(_vary(sources[i % len(sources)], i))
    (target / "broken_truncated.xml").write_bytes(sources[0][: len(sources[0]) // 2])
    return target


def large_corpus(count: int) -> Path:
    source = make(20)
    target = OUTPUT / f"batch_large_{count}"
    target.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        link = target / f"large_{i:02d}.xml"
        if not link.exists():
            os.link(source, link)
    return target


def _cli() -> list[str]:
    return [sys.executable, "-m", "ckanext.budget.docbudg.cli"]


def run_batch(corpus: Path, jobs: int) -> dict[str, float | int | str]:
    out = OUTPUT / f"{corpus.name}_out_j{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [*_cli(), "batch", str(corpus), "--out", str(out), "--jobs", str(jobs)]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with (out / "summary.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    size = sum(p.stat().st_size for p in corpus.iterdir()) / MB
    return {
        "corpus": corpus.name,
        "jobs": jobs,
        "docs": len(rows),
        "seconds": seconds,
        "docs/s": len(rows) / seconds,
        "MB/s": size / seconds,
        "peak MB": peak,
        "exit": proc.returncode,
        "statuses": " ".join(f"{k}={v}" for k, v in sorted(statuses.items())),
    }


def cost_by_size(sizes: list[float]) -> None:
    """One document per size, alone in a batch with one job: wall time and peak memory."""
    source = gzip.decompress((SAMPLES / "montreuil" / "Montreuil_CA_2021.xml.gz").read_bytes())
    print("\nsize MB   seconds   MB/s   peak MB (largest process so far)")
    for size in sizes:
        if size >= 20:
            path = make(int(size))
        elif size * MB <= len(source):
            path = OUTPUT / f"cut_{size}MB.xml"
            lines = re.findall(rb"<LigneBudget>.*?</LigneBudget>", source, flags=re.S)
            head, _, _ = source.partition(b"<LigneBudget>")
            per_line = sum(map(len, lines)) / len(lines)
            keep = int((size * MB - len(head)) / per_line)
            path.write_bytes(
                head + b"".join(lines[: max(keep, 1)]) + b"</Budget></DocumentBudgetaire>"
            )
        else:
            path = make(int(size)) if size >= 1 else None
        corpus = OUTPUT / f"size_{size}"
        shutil.rmtree(corpus, ignore_errors=True)
        corpus.mkdir(parents=True)
        shutil.copy(path, corpus / path.name)
        row = run_batch(corpus, 1)
        real = path.stat().st_size / MB
        print(
            f"{real:7.1f} {row['seconds']:9.2f} {real / row['seconds']:6.1f} "
            f"{row['peak MB']:9.0f}  {row['statuses']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, metavar="N")
    parser.add_argument("--large", type=int, default=20, metavar="N")
    parser.add_argument("--no-large", action="store_true")
    parser.add_argument("--sizes", type=float, nargs="*", default=[0.1, 1, 4, 20, 100])
    args = parser.parse_args(argv)
    corpora = [small_corpus(args.small)]
    if not args.no_large:
        corpora.append(large_corpus(args.large))
    print("corpus                 jobs  docs  seconds  docs/s   MB/s  peak MB  exit  statuses")
    for corpus in corpora:
        for jobs in (1, 2):
            r = run_batch(corpus, jobs)
            print(
                f"{r['corpus']:22} {r['jobs']:4} {r['docs']:5} {r['seconds']:8.1f} "
                f"{r['docs/s']:7.1f} {r['MB/s']:6.2f} {r['peak MB']:8.0f} {r['exit']:5}  "
                f"{r['statuses']}"
            )
    sizes = [s for s in args.sizes if not (args.no_large and s >= 20)]
    if sizes:
        cost_by_size(sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
