"""``budget-doc --help`` stays light: lxml, pandas, frictionless and openpyxl are imported only
by the commands that use them (a fresh process per check; the clock is measured by
``benchmarks/bench_cli_startup.py``, never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ckanext.budget.docbudg.cli.options import DEFAULT_MAX_SIZE_MB, MB
from ckanext.budget.docbudg.reader import DEFAULT_LIMITS

SAMPLE = (
    Path(__file__).resolve().parent.parent / "fixtures/samples/crach/Crach_lotissement_BP_2022.xml"
)
HEAVY = ("lxml", "pandas", "numpy", "frictionless", "openpyxl")
HELPS = [
    ["--help"],
    *[
        [command, "--help"]
        for command in (
            "info",
            "validate",
            "anonymise",
            "convert",
            "batch",
            "aggregate",
            "indicators",
            "plans",
            "rules",
        )
    ],
    ["plans", "import", "--help"],
    ["rules", "import", "--help"],
]
PROBE = """
import contextlib, io, json, sys
from ckanext.budget.docbudg.cli import main

heavy, seen = json.loads(sys.argv[1]), {}
for argv in json.loads(sys.argv[2]):
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    seen[" ".join(argv)] = [code, sorted(name for name in heavy if name in sys.modules)]
print(json.dumps(seen))
"""


def imported_after(runs: list[list[str]]) -> dict[str, list]:
    """For each run in turn, in one fresh interpreter: its exit code and the heavy modules
    loaded so far."""
    probe = [sys.executable, "-c", PROBE, json.dumps(HEAVY), json.dumps(runs)]
    done = subprocess.run(probe, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def test_help_imports_no_heavy_module_and_a_command_does():
    seen = imported_after([*HELPS, ["info", str(SAMPLE)]])
    for help_run in HELPS:
        assert seen[" ".join(help_run)] == [0, []], help_run
    code, heavy = seen[f"info {SAMPLE}"]
    assert code == 0 and "lxml" in heavy  # the probe does see an import


def test_the_default_size_in_the_help_is_the_readers():
    assert DEFAULT_LIMITS.max_bytes == DEFAULT_MAX_SIZE_MB * MB
