"""``budget-doc batch`` when a worker process dies (what the system's out-of-memory killer
does to a document too large for the machine): the batch goes on and reports that file."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from typing import Any

from ckanext.budget.docbudg.cli import batch_run, main

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
CRACH_BP = SAMPLES / "crach/Crach_principal_BP_2022.xml"
PROCESS_FILE = batch_run.process_file


def _killed_on_poison(path: Path, rel: str, options: batch_run.BatchOptions) -> dict[str, Any]:
    """The real work, except that the worker handling ``poison.xml`` ends abruptly."""
    if rel == "poison.xml":
        os._exit(137)
    return PROCESS_FILE(path, rel, options)


def test_a_worker_killed_by_one_file_fails_that_file_only(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LANGUAGE", "en")
    monkeypatch.setattr(batch_run, "process_file", _killed_on_poison)
    source = tmp_path / "in"
    source.mkdir()
    names = [f"doc_{i}.xml" for i in range(7)] + ["poison.xml"]
    for name in names:
        shutil.copy(CRACH_BP, source / name)
    out_dir = tmp_path / "out"

    code = main(["batch", str(source), "--out", str(out_dir), "--jobs", "2"])

    rows = {row["file"]: row for row in csv.DictReader((out_dir / "summary.csv").open())}
    assert code == 1
    assert set(rows) == set(names)
    assert rows["poison.xml"]["status"] == "failed"
    assert rows["poison.xml"]["code"] == "worker_died"
    assert "stopped abruptly" in rows["poison.xml"]["message"]
    assert {rows[name]["status"] for name in names if name != "poison.xml"} == {"valid"}
    assert all((out_dir / f"doc_{i}.scdl-budget.csv").exists() for i in range(7))
    assert "8 file(s)" in capsys.readouterr().out
