"""The run of ``budget-doc batch``: the pipeline over a directory, in several processes.

One bad file never stops the batch: each file ends as ``valid``, ``warnings``, ``errors``
(validation errors; outputs still written) or ``failed`` (unreadable or crashed; nothing
written but its summary row). That holds when a worker process dies (killed by the
system for memory): the files it may have been handling are retried alone, and only the
one that kills its worker again is reported ``failed``. ``summary.csv`` and
``summary.json`` list every file; the exit code is 1 when any file is ``errors`` or
``failed``. Summaries carry codes, counts and bilingual messages of our own, never
document content.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..anonymisation import AnonymisationPolicy
from ..errors import BudgetDocError
from ..messages import default_language
from ..pipeline import process
from ..reader import Limits
from . import texts as T
from .files import document_stem, write_output, xml_payload

SUMMARY_FIELDS = (
    "file",
    "status",
    "code",
    "message",
    "siret",
    "exer",
    "stage",
    "lines",
    "errors",
    "warnings",
    "exports",
    "seconds",
)
FAILED = "failed"
WORKER_DIED = "worker_died"
IN_FLIGHT_PER_JOB = 2
"""Files handed to the pool at a time, per worker: enough to keep workers busy, few
enough that a dead worker leaves few files to retry."""
Record = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class BatchOptions:
    """What every worker needs (picklable: sent to the worker processes)."""

    out: Path
    policy: AnonymisationPolicy
    limits: Limits
    plans_dir: str | None
    lang: str


def find_documents(directory: Path, exclude: Path | None = None) -> list[Path]:
    """Every ``.xml``/``.xml.gz`` under ``directory``, sorted; ``exclude`` (the output
    directory when it sits inside the input one) is skipped."""
    found = []
    for path in directory.rglob("*"):
        if exclude is not None and exclude in path.parents:
            continue
        if path.is_file() and document_stem(path.name) is not None:
            found.append(path)
    return sorted(found)


def _failure(rel: str, code: str, message: str, started: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(SUMMARY_FIELDS, "")
    row.update(
        file=rel,
        status=FAILED,
        code=code,
        message=message,
        seconds=round(time.perf_counter() - started, 3),
    )
    return row


def process_file(path: Path, rel: str, options: BatchOptions) -> dict[str, Any]:
    """Run the pipeline on one file and write its outputs; return its summary row."""
    started = time.perf_counter()
    lang = options.lang
    try:
        result = process(
            path, policy=options.policy, limits=options.limits, plans_dir=options.plans_dir
        )
        stem = document_stem(Path(rel).name) or Path(rel).stem
        target = options.out / Path(rel).parent
        write_output(target / Path(rel).name, xml_payload(rel, result.anonymised))
        write_output(
            target / f"{stem}.validation.json",
            _json(result.validation.as_dict(lang)),
        )
        write_output(target / f"{stem}.anonymisation.json", _json(result.anonymisation.as_dict()))
        for key, produced in result.exports.items():
            write_output(target / f"{stem}.{key}", produced.data)
    except BudgetDocError as exc:
        return _failure(rel, exc.code, exc.text(lang), started)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        message = T.ERR_IO.with_params(path=exc.filename or rel, reason=reason).text(lang)
        return _failure(rel, "io_error", message, started)
    except Exception as exc:  # one broken file must not stop the batch
        message = T.ERR_INTERNAL.with_params(kind=type(exc).__name__).text(lang)
        return _failure(rel, "internal_error", message, started)
    counts = result.validation.counts()
    header = result.header
    return {
        "file": rel,
        "status": result.status,
        "code": ";".join(dict.fromkeys(f.code for f in result.validation.errors)),
        "message": T.STATUS_WORDS[result.status].text(lang),
        "siret": header.id_etab or header.id_coll or "",
        "exer": header.exer if header.exer is not None else "",
        "stage": header.nat_dec or "",
        "lines": result.detail_line_count,
        "errors": counts.get("error", 0),
        "warnings": counts.get("warning", 0),
        "exports": ";".join(sorted(result.exports)),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _in_pool(
    queue: deque[Path], rels: dict[Path, str], options: BatchOptions, jobs: int, record: Record
) -> list[Path]:
    """Process the files of ``queue`` in a pool of ``jobs`` workers, recording each row.

    Returns ``[]`` once the queue is empty, or, when a worker died (which breaks the whole
    pool), the files that were in flight: one of them may have caused it. The files not
    yet handed out stay in ``queue``."""
    in_flight: dict[Future[dict[str, Any]], Path] = {}
    broken: list[Path] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        while (queue or in_flight) and not broken:
            while queue and len(in_flight) < IN_FLIGHT_PER_JOB * jobs:
                path = queue.popleft()
                try:
                    future = pool.submit(process_file, path, rels[path], options)
                except BrokenProcessPool:
                    queue.appendleft(path)
                    broken.extend(in_flight.values())
                    return broken
                in_flight[future] = path
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                path = in_flight.pop(future)
                try:
                    record(future.result())
                except BrokenProcessPool:
                    broken.append(path)
                except Exception as exc:  # the row could not come back: report, go on
                    message = T.ERR_INTERNAL.with_params(kind=type(exc).__name__).text(options.lang)
                    record(_failure(rels[path], "internal_error", message, time.perf_counter()))
        if broken:
            broken.extend(in_flight.values())
    return broken


def _run_parallel(
    files: list[Path], rels: dict[Path, str], options: BatchOptions, jobs: int, record: Record
) -> None:
    queue = deque(files)
    while queue:
        for path in _in_pool(queue, rels, options, jobs, record):
            # Alone in a fresh worker: only the file that kills it again is reported.
            if _in_pool(deque([path]), rels, options, 1, record):
                message = T.ERR_WORKER_DIED.text(options.lang)
                record(_failure(rels[path], WORKER_DIED, message, time.perf_counter()))


def _json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def _summary_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def run_batch(
    directory: Path,
    out: Path,
    *,
    jobs: int,
    policy: AnonymisationPolicy,
    limits: Limits,
    plans_dir: str | None,
) -> int:
    """Process every document of ``directory`` into ``out``; the exit code of the batch."""
    directory, out = directory.resolve(), out.resolve()
    if not directory.is_dir():
        raise NotADirectoryError(20, "not a directory", str(directory))
    files = find_documents(directory, exclude=out)
    if not files:
        print(T.BATCH_NOTHING.with_params(path=directory).text(), file=sys.stderr)
        return 1
    options = BatchOptions(out, policy, limits, plans_dir, default_language())
    rels = {path: path.relative_to(directory).as_posix() for path in files}
    progress = sys.stderr.isatty()
    rows: list[dict[str, Any]] = []

    def record(row: dict[str, Any]) -> None:
        rows.append(row)
        if progress:
            status = T.STATUS_WORDS[row["status"]].text()
            line = T.BATCH_PROGRESS.with_params(
                done=len(rows), total=len(files), status=status, file=row["file"]
            ).text()
            sys.stderr.write(f"\r\x1b[K{line}")
            sys.stderr.flush()

    if jobs <= 1:
        for path in files:
            record(process_file(path, rels[path], options))
    else:
        _run_parallel(files, rels, options, jobs, record)
    if progress:
        sys.stderr.write("\n")
    rows.sort(key=lambda row: row["file"])
    write_output(out / "summary.csv", _summary_csv(rows))
    write_output(out / "summary.json", _json(rows))
    by_status = {status: 0 for status in ("valid", "warnings", "errors", FAILED)}
    for row in rows:
        by_status[row["status"]] += 1
    print(
        T.BATCH_DONE.with_params(
            total=len(rows),
            summary=out / "summary.csv",
            failed=by_status[FAILED],
            valid=by_status["valid"],
            warnings=by_status["warnings"],
            errors=by_status["errors"],
        ).text()
    )
    return 1 if by_status[FAILED] or by_status["errors"] else 0
