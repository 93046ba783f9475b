"""Time from upload to processed in a real portal, in the request and through the queue.

    pip install -e '.[bench]'                      # gunicorn
    python benchmarks/bench_upload.py              # 4 and 20 MB, twice each, both ways
    python benchmarks/bench_upload.py --sizes 4 20 100 --repeat 1

For each way the portal (``portal.py``: its own database, gunicorn, a ``ckan jobs
worker``) is started with ``ckanext.budget.async_threshold_mb`` set so that every
document is processed **in the request** (threshold 200 MB, the upload limit) or
**queued** (threshold 1 MB: the request reads and anonymises, a background job validates,
exports and stores the lines). A sysadmin's API token uploads each synthetic document
(``make_large.py``) with a multipart ``resource_create``, as a producer's script would;
then ``budget_document_show`` is polled every 0.1 s until the document is ``done`` (or
``failed``). Reported: the request's time, the time until processed, the time the job
waited in the queue (first seen ``running``), and the peak memory of the gunicorn
workers (``VmHWM``: in the request, the largest one is the upload's). In the request,
"processed" includes the aggregation of the explorer, computed before the answer; queued,
the job aggregates right after marking the document done (a re-read of the stored file,
about 0.3 s at 20 MB), not included. The load average is recorded with every figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from make_large import make  # noqa: E402
from portal import Portal, add_portal_arguments, portal_settings  # noqa: E402

from ckanext.budget.demo.loader import ApiError, Transport, http_transport  # noqa: E402

MB = 1024 * 1024
ORG = "bench-upload"
DATASET = "bench-upload-budget"
MODES = {"in the request": "200", "queued": "1"}
"""Way of processing -> ``ckanext.budget.async_threshold_mb``."""
POLL_SECONDS = 0.1


def ensure_dataset(api: Transport) -> str:
    try:
        api("organization_show", {"id": ORG}, None)
    except ApiError:
        api("organization_create", {"name": ORG, "title": "Bench upload"}, None)
    try:
        return api("package_show", {"id": DATASET}, None)["id"]
    except ApiError:
        dataset = {"type": "budget", "name": DATASET, "title": "Bench upload", "owner_org": ORG}
        return api("package_create", dataset, None)["id"]


def upload(api: Transport, dataset_id: str, path: Path, data: bytes) -> dict[str, Any]:
    """Upload one document and wait until it is processed; the timings."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    resource = api(
        "resource_create",
        {"package_id": dataset_id, "format": "XML"},
        {"upload": (path.name, data, "application/xml")},
    )
    answered = time.perf_counter()
    running = None
    while True:
        document = api("budget_document_show", {"id": resource["id"]}, None)
        now = time.perf_counter()
        if document["status"] == "running" and running is None:
            running = now
        if document["status"] in ("done", "failed"):
            break
        time.sleep(POLL_SECONDS)
    api("resource_delete", {"id": resource["id"]}, None)
    return {
        "request": answered - started,
        "processed": now - started,
        "queued": (running - answered) if running else None,
        "status": f"{document['status']}, {document.get('validation_status') or '–'}",
        "load": f"{load:.1f}–{os.getloadavg()[0]:.1f}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[4, 20], metavar="MB")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    add_portal_arguments(parser)
    args = parser.parse_args(argv)
    files = {size: make(size) for size in args.sizes}
    print(
        "| way | MB | run | request s | processed s | queue wait s | status "
        "| gunicorn peak MB | load |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for mode in args.modes:
        settings = portal_settings(
            args,
            options={"ckanext.budget.async_threshold_mb": MODES[mode]},
            fresh=args.fresh and mode == args.modes[0],
        )
        with Portal(settings) as portal:
            api = http_transport(settings.url, portal.token, timeout=1800)
            dataset_id = ensure_dataset(api)
            for path in files.values():
                data = path.read_bytes()
                for run in range(1, args.repeat + 1):
                    r = upload(api, dataset_id, path, data)
                    wait = f"{r['queued']:.2f}" if r["queued"] is not None else "–"
                    peak = max(portal.worker_memory_mb("VmHWM"), default=0.0)
                    print(
                        f"| {mode} | {len(data) / MB:.1f} | {run} | {r['request']:.2f} "
                        f"| {r['processed']:.2f} | {wait} | {r['status']} | {peak:.0f} "
                        f"| {r['load']} |",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the portal's processes are already stopped
        sys.exit("interrupted")
