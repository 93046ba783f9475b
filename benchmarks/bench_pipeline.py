"""Benchmark: the full pipeline against a bare lxml parse of the same bytes.

    python benchmarks/bench_pipeline.py                 # fixtures + 20 MB + 100 MB
    python benchmarks/bench_pipeline.py --no-large      # fixtures only
    python benchmarks/bench_pipeline.py --profile benchmarks/output/<file>.xml

Each measurement runs in a fresh Python process, which loads the document's XML bytes
(decompressed) and then times either ``lxml.etree.fromstring`` or ``pipeline.process``
(read + anonymise + validate + exports). Throughput is measured on the uncompressed size;
peak memory is the child's high-water RSS (``VmHWM``, else ``ru_maxrss``): the whole
process, interpreter and the document's bytes included.
Times are the best of ``--repeat`` runs in the same process (the first run also pays the
loading of the plans de comptes and the XSD; ``cold`` reports it).

Targets: pipeline ≤ 4× the bare parse; 20 MB end to end < 2 s on one core with a peak
below 400 MB. This is a benchmark, not a test: it reports, it never fails a build.
"""

from __future__ import annotations

import argparse
import json
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
    start = time.perf_counter()
    if mode == "parse":
        result = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    else:
        result = process(data, exports=exports)
    times.append(time.perf_counter() - start)
    del result
print(json.dumps({{
    "size": len(data),
    "best": min(times),
    "cold": times[0],
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="documents (default: fixtures)")
    parser.add_argument("--no-large", action="store_true", help="skip the synthetic files")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 100], metavar="MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--exports",
        default="scdl-budget,scdl-subventions,lines",
        help="comma-separated exports of the pipeline run (default: all, as in production)",
    )
    parser.add_argument("--profile", type=Path, help="cProfile the pipeline on this file")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, tuple(e for e in args.exports.split(",") if e))
        return 0
    paths = args.files or fixtures()
    if not args.files and not args.no_large:
        paths += large_files(args.sizes)
    header = (
        f"{'file':<44} {'MB':>6} {'parse s':>8} {'MB/s':>6} {'pipe s':>7} {'cold s':>7} "
        f"{'MB/s':>6} {'ratio':>6} {'peak parse MB':>13} {'peak pipe MB':>12}"
    )
    print(header)
    print("-" * len(header))
    total = {"size": 0, "parse": 0.0, "pipe": 0.0}
    verdicts = []
    for path in paths:
        repeat = args.repeat if path.stat().st_size < 30 * MB else 1
        parse = measure(path, "parse", repeat, args.exports)
        pipe = measure(path, "pipeline", repeat, args.exports)
        size_mb = parse["size"] / MB
        ratio = pipe["best"] / parse["best"]
        total["size"] += parse["size"]
        total["parse"] += parse["best"]
        total["pipe"] += pipe["best"]
        print(
            f"{path.name[:44]:<44} {size_mb:6.1f} {parse['best']:8.3f} "
            f"{size_mb / parse['best']:6.1f} {pipe['best']:7.3f} {pipe['cold']:7.3f} "
            f"{size_mb / pipe['best']:6.1f} {ratio:6.1f} {parse['peak_kb'] / 1024:13.0f} "
            f"{pipe['peak_kb'] / 1024:12.0f}"
        )
        if 15 <= size_mb <= 30:
            verdicts.append(
                f"~20 MB file: {pipe['best']:.2f} s (target < {TARGET_20MB_SECONDS} s: "
                f"{'met' if pipe['best'] < TARGET_20MB_SECONDS else 'MISSED'}), peak "
                f"{pipe['peak_kb'] / 1024:.0f} MB (target < {TARGET_PEAK_MB} MB: "
                f"{'met' if pipe['peak_kb'] / 1024 < TARGET_PEAK_MB else 'MISSED'})"
            )
    ratio = total["pipe"] / total["parse"]
    print()
    print(
        f"All files: {total['size'] / MB:.1f} MB, parse {total['size'] / MB / total['parse']:.1f} "
        f"MB/s, pipeline {total['size'] / MB / total['pipe']:.1f} MB/s, ratio {ratio:.1f} "
        f"(target ≤ {TARGET_RATIO:.0f}: {'met' if ratio <= TARGET_RATIO else 'MISSED'})"
    )
    for verdict in verdicts:
        print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
