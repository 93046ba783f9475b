"""Benchmark: the full pipeline against a bare lxml parse of the same bytes.

    python benchmarks/bench_pipeline.py                 # fixtures + 20 MB + 100 MB
    python benchmarks/bench_pipeline.py --no-large      # fixtures only
    python benchmarks/bench_pipeline.py --profile benchmarks/output/<file>.xml
    python benchmarks/bench_pipeline.py --stages benchmarks/output/<file>.xml
    python benchmarks/bench_pipeline.py --scale               # steps × 0.1 … 100 MB

Two pipelines are timed per file, both printed:

- **target** (the issue's definition): read + anonymise + validate + SCDL budget export;
- **production**: the same with every export the portal produces (SCDL budget, SCDL
  subventions, lines CSV + JSON; ``--exports`` to change).

Each measurement runs in a fresh Python process, which loads the document's XML bytes
(decompressed) and then times either ``lxml.etree.fromstring`` or ``pipeline.process``.
Throughput is measured on the uncompressed size; peak memory is the child's high-water RSS
(``VmHWM``, else ``ru_maxrss``): the whole process, interpreter and the document's bytes
included. Times are the best of ``--repeat`` runs in the same process (the first run also
pays the loading of the plans de comptes and the XSD; ``cold`` reports it); the CPU time of
the best run is reported too, steadier than wall time on a shared machine.

Targets: target pipeline ≤ 4× the bare parse; 20 MB end to end < 2 s on one core with a
peak below 400 MB. This is a benchmark, not a test: it reports, it never fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
MB = 1024 * 1024
TARGET_RATIO = 4.0
TARGET_20MB_SECONDS = 2.0
TARGET_PEAK_MB = 400

CHILD = r"""
import gc, gzip, json, resource, sys, time

def peak_kb():
    # VmHWM is this process's own peak; ru_maxrss may carry the parent's across exec.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.path.insert(0, {root!r})
from lxml import etree
from ckanext.budget.docbudg.pipeline import process

path, mode, repeat, exports = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
raw = open(path, "rb").read()
data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
del raw
exports = tuple(e for e in exports.split(",") if e)
base_rss = peak_kb()
times = []
for _ in range(repeat):
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    if mode == "parse":
        result = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    else:
        result = process(data, exports=exports)
    times.append((time.perf_counter() - start, time.process_time() - cpu))
    del result
best = min(times)
print(json.dumps({{
    "size": len(data),
    "best": best[0],
    "cpu": best[1],
    "cold": times[0][0],
    "peak_kb": peak_kb(),
    "base_kb": base_rss,
}}))
"""


def measure(path: Path, mode: str, repeat: int, exports: str) -> dict:
    code = CHILD.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), mode, str(repeat), exports],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{path.name} ({mode}) failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fixtures() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("*/*.xml*") if p.parent.name != "invalid")


def large_files(sizes: list[int]) -> list[Path]:
    """The synthetic files, generated in a child process (keeps this one small)."""
    output = HERE / "output"
    missing = [size for size in sizes if not sorted(output.glob(f"*_{size}MB.xml"))]
    if missing:
        command = [sys.executable, str(HERE / "make_large.py"), "--sizes", *map(str, missing)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return [sorted(output.glob(f"*_{size}MB.xml"))[0] for size in sizes]


def profile(path: Path, exports: tuple[str, ...]) -> None:
    import cProfile
    import gzip
    import pstats

    sys.path.insert(0, str(ROOT))
    from ckanext.budget.docbudg.pipeline import process

    raw = path.read_bytes()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    process(data, exports=exports)  # warm caches (plans, XSD)
    profiler = cProfile.Profile()
    profiler.runcall(process, data, exports=exports)
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(40)


TARGET_EXPORTS = "scdl-budget"
"""The issue's pipeline: read + anonymise + validate + SCDL (budget) export."""
PRODUCTION_EXPORTS = "scdl-budget,scdl-subventions,lines"


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _row(name: str, size_mb: float, parse: dict, pipe: dict) -> str:
    return (
        f"{name[:44]:<44} {size_mb:6.1f} {parse['best']:8.3f} {size_mb / parse['best']:6.1f} "
        f"{pipe['best']:7.3f} {pipe['cpu']:6.3f} {pipe['cold']:7.3f} "
        f"{size_mb / pipe['best']:6.1f} {pipe['best'] / parse['best']:6.1f} "
        f"{pipe['cpu'] / parse['cpu']:6.1f} {parse['peak_kb'] / 1024:7.0f} "
        f"{pipe['peak_kb'] / 1024:7.0f}"
    )


def _totals(label: str, size: int, parse: float, pipe: float, parse_cpu: float, cpu: float) -> str:
    ratio = pipe / parse
    return (
        f"{label}: {size / MB:.1f} MB, parse {size / MB / parse:.1f} MB/s, pipeline "
        f"{size / MB / pipe:.1f} MB/s, ratio {ratio:.1f} (CPU {cpu / parse_cpu:.1f}; "
        f"target ≤ {TARGET_RATIO:.0f}: {_verdict(ratio <= TARGET_RATIO)})"
    )


SCALE_SIZES = [0.1, 1, 4, 20, 100]
REFERENCE_STEPS = ("bare lxml parse (reference)", "XSD alone")
"""Steps timed for comparison only: left out of the pipeline's total."""
SCALE_COLUMNS = (
    ("read (hardened parse)", "read"),
    ("anonymise", "anonymise"),
    ("serialise (to_bytes)", "serialise"),
    ("budget lines (model)", "lines"),
    ("validate (all layers)", "validate"),
    ("aggregate (default rule set)", "aggregate"),
    ("exports", "export"),
)


def _vm_hwm_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_hwm() -> None:
    """Reset this process's peak RSS (Linux ≥ 4.0), so each step gets its own peak."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def stage_costs(
    path: Path, exports: tuple[str, ...], repeat: int
) -> dict[str, tuple[float, float, float]]:
    """Wall time, memory and CPU time of each step of the pipeline, as ``{step: (wall
    seconds, MB, CPU seconds)}`` (times: best of ``repeat``, warm caches), plus
    ``"start"``: the RSS before the first step (interpreter, caches and input bytes).

    cProfile inflates per-call costs; these are the figures to trust. The memory of a
    step is the process's high-water RSS at its end, in the first run: how far the
    process has grown by then (a step that allocates less than earlier ones freed adds
    nothing). Caches (plans de comptes, XSD) are warmed first on the 0.1 MB cut of the
    synthetic files' sample, so that neither the time of a 100 MB file's single run nor
    the memory figures include a first pass over the file itself; another document's plan,
    if different, loads in the first run, which the best-of time leaves out. The XSD is
    timed on its own and again inside "validate (all layers)"; the bare parse last, after
    the document is freed.
    """
    import gc
    import gzip
    import time

    sys.path.insert(0, str(ROOT))
    from lxml import etree
    from make_large import make

    from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset
    from ckanext.budget.docbudg.anonymisation import anonymise
    from ckanext.budget.docbudg.pipeline import process, run_exports
    from ckanext.budget.docbudg.reader import parse_bytes
    from ckanext.budget.docbudg.validation import validate
    from ckanext.budget.docbudg.validation.report import FindingCollector
    from ckanext.budget.docbudg.validation.xsd import check_schema

    process(make(0.1).read_bytes(), exports=exports)  # warm caches (plans, XSD)
    raw = path.read_bytes()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    del raw
    gc.collect()
    _reset_hwm()
    costs: dict[str, tuple[float, float, float]] = {"start": (0.0, _vm_hwm_mb(), 0.0)}
    for _ in range(repeat):
        gc.collect()
        steps = (
            ("read (hardened parse)", lambda doc: parse_bytes(data)),
            ("anonymise", anonymise),
            ("serialise (to_bytes)", lambda doc: doc.to_bytes()),
            ("budget lines (model)", lambda doc: doc.lines),
            ("XSD alone", lambda doc: check_schema(doc, FindingCollector())),
            ("validate (all layers)", validate),
            ("aggregate (default rule set)", lambda doc: aggregate(doc, default_ruleset(doc))),
            ("exports", lambda doc: run_exports(doc, exports)),
            ("annex counts", lambda doc: doc.annex_blocks()),
            ("bare lxml parse (reference)", lambda doc: etree.fromstring(data)),
        )
        doc = None
        for name, step in steps:
            if name.startswith("bare"):
                doc = None
                gc.collect()
            start, cpu = time.perf_counter(), time.process_time()
            result = step(doc)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            seconds, memory, best_cpu = costs.get(name, (elapsed, _vm_hwm_mb(), cpu))
            costs[name] = (min(seconds, elapsed), memory, min(best_cpu, cpu))
            if name.startswith("read"):
                doc = result
            del result
    return costs


def stages(path: Path, exports: tuple[str, ...], repeat: int, as_json: bool = False) -> None:
    """Print :func:`stage_costs` for one file (JSON for :func:`scale`)."""
    costs = stage_costs(path, exports, repeat)
    if as_json:
        print(json.dumps(costs))
        return
    print(f"exports: {', '.join(exports)}; best of {repeat}, warm caches")
    print(f"{'step':<40} {'seconds':>8} {'RSS MB':>8}")
    for name, (seconds, memory, _) in costs.items():
        print(f"{name:<40} {seconds:8.3f} {memory:8.0f}")
    total = sum(s for name, (s, _, _) in costs.items() if name not in REFERENCE_STEPS)
    print(f"{'pipeline total (reference steps excluded)':<40} {total:8.3f}")


def scale(sizes: list[float], exports: str, repeat: int) -> None:
    """How each step's time and memory grow with the file size: one fresh process per
    size (synthetic files from ``make_large``), printed as Markdown tables."""
    sys.path.insert(0, str(HERE))
    from make_large import make

    rows = []
    for size in sizes:
        path = make(size)
        runs = repeat if path.stat().st_size < 30 * MB else 1
        command = [sys.executable, __file__, "--stages", str(path), "--json"]
        command += ["--exports", exports, "--repeat", str(runs)]
        load = os.getloadavg()[0]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{path.name} failed:\n{done.stderr[-2000:]}")
        costs = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append((path.stat().st_size / MB, runs, costs, load, os.getloadavg()[0]))
    labels = [label for _, label in SCALE_COLUMNS]
    print(f"\nSeconds per step (exports: {exports}; warm caches, best of the runs)\n")
    print("| MB | runs | " + " | ".join(labels) + " | total | CPU s | MB/s | bare parse | load |")
    print("|" + "---:|" * (len(labels) + 7))
    for mb, runs, costs, before, after in rows:
        cells = [f"{costs[name][0]:.3f}" for name, _ in SCALE_COLUMNS]
        total = sum(costs[name][0] for name, _ in SCALE_COLUMNS)
        cpu = sum(costs[name][2] for name, _ in SCALE_COLUMNS)
        print(
            f"| {mb:.1f} | {runs} | " + " | ".join(cells) + f" | {total:.3f} | {cpu:.3f} | "
            f"{mb / total:.1f} | {costs[REFERENCE_STEPS[0]][0]:.3f} | {before:.1f}–{after:.1f} |"
        )
    print(
        "\nHigh-water RSS of the process at the end of each step, MB (first run; start: "
        "interpreter, warm caches and the input bytes)\n"
    )
    print("| MB | start | " + " | ".join(labels) + " | growth |")
    print("|" + "---:|" * (len(labels) + 3))
    for mb, _, costs, _, _ in rows:
        marks = [costs[name][1] for name, _ in SCALE_COLUMNS]
        start = costs["start"][1]
        print(
            f"| {mb:.1f} | {start:.0f} | "
            + " | ".join(f"{m:.0f}" for m in marks)
            + f" | {max(marks) - start:.0f} |"
        )
    first, last = rows[0], rows[-1]
    growth = sum(last[2][n][0] for n, _ in SCALE_COLUMNS) / sum(
        first[2][n][0] for n, _ in SCALE_COLUMNS
    )
    print(f"\n{last[0] / first[0]:.0f}× the size costs {growth:.0f}× the time (wall).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="documents (default: fixtures)")
    parser.add_argument("--no-large", action="store_true", help="skip the synthetic files")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 100], metavar="MB")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--exports",
        default=PRODUCTION_EXPORTS,
        help="comma-separated exports of the production run (default: all, as in production)",
    )
    parser.add_argument("--profile", type=Path, help="cProfile the pipeline on this file")
    parser.add_argument("--stages", type=Path, help="time each step of the pipeline on this file")
    parser.add_argument("--json", action="store_true", help="--stages output as JSON")
    parser.add_argument(
        "--scale",
        type=float,
        nargs="*",
        metavar="MB",
        help=f"time and memory of each step by file size (default {SCALE_SIZES})",
    )
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, tuple(e for e in args.exports.split(",") if e))
        return 0
    if args.stages:
        stages(args.stages, tuple(e for e in args.exports.split(",") if e), args.repeat, args.json)
        return 0
    if args.scale is not None:
        scale(args.scale or SCALE_SIZES, args.exports, min(args.repeat, 3))
        return 0
    paths = args.files or fixtures()
    if not args.files and not args.no_large:
        paths += large_files(args.sizes)
    runs = (("target", TARGET_EXPORTS), ("production", args.exports))
    header = (
        f"{'file':<44} {'MB':>6} {'parse s':>8} {'MB/s':>6} {'pipe s':>7} {'cpu s':>6} "
        f"{'cold s':>7} {'MB/s':>6} {'ratio':>6} {'cpu r':>6} {'peak MB':>7} {'peak MB':>7}"
    )
    legend = (
        "target = read + anonymise + validate + SCDL budget export (the issue's definition); "
        f"production = exports {args.exports}.\nratio = pipeline / parse wall time; cpu r = "
        "the same on CPU time; peak MB = bare parse, then pipeline."
    )
    print(legend)
    totals = {name: [0, 0.0, 0.0, 0.0, 0.0] for name, _ in runs}
    verdicts = []
    measured = []
    for path in paths:
        repeat = args.repeat if path.stat().st_size < 30 * MB else 1
        parse = measure(path, "parse", repeat, "")
        pipes = {name: measure(path, "pipeline", repeat, exports) for name, exports in runs}
        measured.append((path, parse, pipes))
        size_mb = parse["size"] / MB
        for name, _ in runs:
            pipe, total = pipes[name], totals[name]
            total[0] += parse["size"]
            total[1] += parse["best"]
            total[2] += pipe["best"]
            total[3] += parse["cpu"]
            total[4] += pipe["cpu"]
            if 15 <= size_mb <= 30:
                verdicts.append(
                    f"~20 MB file, {name}: {pipe['best']:.2f} s (CPU {pipe['cpu']:.2f} s; "
                    f"target < {TARGET_20MB_SECONDS} s: "
                    f"{_verdict(pipe['best'] < TARGET_20MB_SECONDS)}), peak "
                    f"{pipe['peak_kb'] / 1024:.0f} MB (target < {TARGET_PEAK_MB} MB: "
                    f"{_verdict(pipe['peak_kb'] / 1024 < TARGET_PEAK_MB)})"
                )
    for name, _ in runs:
        print(f"\n== {name} pipeline ==")
        print(header)
        print("-" * len(header))
        for path, parse, pipes in measured:
            print(_row(path.name, parse["size"] / MB, parse, pipes[name]))
    print()
    for name, _ in runs:
        print(_totals(f"All files, {name}", *totals[name]))
    for verdict in verdicts:
        print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
