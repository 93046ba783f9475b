"""CPU cost of starting ``budget-doc``: ``--help``, a command's ``--help`` and ``info``.

    python benchmarks/bench_cli_startup.py              # 21 runs of each
    python benchmarks/bench_cli_startup.py --runs 51
    python benchmarks/bench_cli_startup.py --command /path/to/budget-doc

Each run is the installed ``budget-doc`` script (the one beside this Python unless
``--command``) in a fresh process; its CPU time is the user + system time of that child
alone (``os.wait4``), so the load of a shared machine inflates it less than wall time.
Printed: median and min CPU, median wall, and which of the heavy modules the command
imported (run once more with ``-X importtime``). ``python -c pass`` is the floor: the
interpreter's own start-up. Figures are printed, never asserted: the test that ``--help``
stays light checks the imports, not the clock (``tests/unit/test_cli_startup.py``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_SAMPLE = ROOT / "tests" / "fixtures" / "samples" / "crach" / "Crach_lotissement_BP_2022.xml"
HEAVY = ("pandas", "frictionless", "openpyxl", "lxml", "numpy", "yaml")


def cpu_of(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(user + system CPU seconds, wall seconds, exit code) of one fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, reaped here
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started, child.returncode


def heavy_imports(argv: list[str], env: dict[str, str]) -> list[str]:
    """Which of :data:`HEAVY` the command imported (from ``-X importtime``'s report)."""
    script = Path(argv[0])
    python = script.read_text().splitlines()[0].removeprefix("#!")
    run = subprocess.run(
        [python, "-X", "importtime", str(script), *argv[1:]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    top = set()
    for line in run.stderr.splitlines():
        name = line.rpartition("|")[2].strip()
        top.add(name.split(".")[0])
    return [name for name in HEAVY if name in top]


def measure(label: str, argv: list[str], runs: int, env: dict[str, str]) -> None:
    samples = [cpu_of(argv, env) for _ in range(runs)]
    codes = {code for _cpu, _wall, code in samples}
    cpu = [c for c, _wall, _code in samples]
    wall = [w for _cpu, w, _code in samples]
    heavy = heavy_imports(argv, env) if argv[0] != sys.executable else []
    print(
        f"| {label} | {statistics.median(cpu) * 1000:.0f} | {min(cpu) * 1000:.0f} "
        f"| {statistics.median(wall) * 1000:.0f} | {', '.join(map(str, sorted(codes)))} "
        f"| {', '.join(heavy) or '–'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each command (median)")
    parser.add_argument(
        "--command",
        default=str(Path(sys.executable).with_name("budget-doc")),
        help="the budget-doc script to measure (default: the one beside this Python)",
    )
    args = parser.parse_args()
    env = {**os.environ, "LANG": "fr_FR.UTF-8"}
    env.pop("LANGUAGE", None)
    env.pop("LC_ALL", None)
    cmd = args.command
    print(f"{args.runs} runs each, load average {os.getloadavg()[0]:.1f}, {cmd}\n")
    print("| command | median CPU ms | min CPU ms | median wall ms | exit | heavy imports |")
    print("|---|---:|---:|---:|---|---|")
    measure("python -c pass", [sys.executable, "-c", "pass"], args.runs, env)
    commands = {
        "budget-doc --help": ["--help"],
        "budget-doc convert --help": ["convert", "--help"],
        f"budget-doc info {SMALL_SAMPLE.name}": ["info", str(SMALL_SAMPLE)],
    }
    for label, words in commands.items():
        measure(label, [cmd, *words], args.runs, env)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
