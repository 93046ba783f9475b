"""The portal under load: gunicorn serving the explorer, its exports, ``budget_aggregate``
and the derived files to many concurrent clients.

    pip install -e '.[bench]'                      # gunicorn
    python benchmarks/bench_load.py                # 10 and 50 clients, 10 s a scenario
    python benchmarks/bench_load.py --clients 50 --duration 30 --only mix
    python benchmarks/bench_load.py --workers 4 --threads 2    # another gunicorn layout
    python benchmarks/bench_load.py --no-page-cache            # every answer rendered

One command does it all: it creates its database (``--db``, default ``ckan_bench``), its
config and storage under ``var/bench/<name>/`` (``portal.py``), starts gunicorn and a jobs
worker, loads the sample documents through the API like ``make demo``
(``ckanext.budget.demo.loader``), then loads each scenario from a second process
(``loadgen.py``) and stops everything at the end, on Ctrl-C too. Each scenario's paths
cover every processed document (the clients take them in turn); each is requested once
before, and the clients run ``--warmup`` seconds unrecorded before each measured run, so
the figures are those of warm ("cached") pages: the explorer reads stored aggregations,
and anonymous answers come from the page cache of each gunicorn worker (``page_cache``;
``--no-page-cache`` turns it off to measure rendering). Scenarios whose page does not
exist on this portal (404 on the probe) are skipped and listed. ``budget_aggregate`` in
CSV (every leaf's lines, read from the database) is measured too, apart from the mix.

Prints a Markdown table: requests/s, p50/p95/p99 latency, errors, the CPU time the
gunicorn workers used per request (user + system, from ``/proc``: the server's own cost,
which a shared machine changes far less than latency; 2 cores divided by it bounds what an
idle machine would serve, PostgreSQL's share left out), the share of answers served from
the page cache, the size of a response, and the
1-minute load average before and after each run (on a shared machine, say so with the
figures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from itertools import zip_longest
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from portal import Portal, add_portal_arguments, portal_settings  # noqa: E402

from ckanext.budget.demo.loader import Transport, http_transport, load  # noqa: E402

Document = dict[str, str]
"""``dataset``, ``type``, ``id`` (resource) and ``node`` (a first-level category)."""


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def processed_documents(api: Transport, wait_seconds: float = 600) -> list[Document]:
    """Every budget document of the portal, once all are processed."""
    found = api("package_search", {"fq": "type:budget", "rows": 1000}, None)
    resources = [
        (dataset["name"], dataset["type"], resource["id"])
        for dataset in found["results"]
        for resource in dataset["resources"]
    ]
    deadline = time.monotonic() + wait_seconds
    docs = []
    for name, kind, resource_id in resources:
        while True:
            status = api("budget_document_show", {"id": resource_id}, None)["status"]
            if status not in ("pending", "running") or time.monotonic() > deadline:
                break
            time.sleep(1)
        if status == "done":
            docs.append({"dataset": name, "type": kind, "id": resource_id})
    return docs


def _first_category(url: str, doc: Document) -> str:
    status, body = _get(f"{url}{_explorer(doc)}/data.json")
    categories = json.loads(body).get("categories") or [] if status == 200 else []
    return categories[0]["id"] if categories else ""


def _resource(doc: Document, route: str = "dataset") -> str:
    """The resource's URL, under ``/dataset/`` or under its dataset type's route."""
    return f"/{route}/{doc['dataset']}/resource/{doc['id']}"


def _explorer(doc: Document) -> str:
    return f"{_resource(doc)}/budget/explorer"


SCENARIOS: dict[str, Any] = {
    "CKAN alone: status_show API (reference)": lambda d: "/api/3/action/status_show",
    "resource page (explorer view in it)": lambda d: _resource(d, d["type"]),
    "explorer embed, first level": lambda d: f"{_explorer(d)}/embed",
    "explorer embed, drill-down": lambda d: f"{_explorer(d)}/embed?tree=fonction&node={d['node']}",
    "explorer data.csv": lambda d: f"{_explorer(d)}/data.csv",
    "explorer data.json": lambda d: f"{_explorer(d)}/data.json",
    "budget_aggregate (JSON, stored)": lambda d: f"/api/3/action/budget_aggregate?id={d['id']}",
    "derived file: SCDL budget CSV": lambda d: f"{_resource(d)}/budget/files/scdl-budget.csv",
    "budget page (dataset explorer)": lambda d: f"/budget/{d['dataset']}/explorer",
    "annex page: subsidies (concours)": lambda d: f"{_resource(d)}/budget/annexes/concours",
    "annex data.csv: subsidies": lambda d: f"{_resource(d)}/budget/annexes/concours/data.csv",
}
REFERENCE = "CKAN alone: status_show API (reference)"
NOT_CACHED = {
    "budget_aggregate CSV (with every leaf's lines)": (
        lambda d: f"/api/3/action/budget_aggregate?id={d['id']}&format=csv"
    ),
}
MIX = "mix of the cached scenarios above"


def scenario_paths(url: str, docs: list[Document], only: list[str]) -> tuple[dict, list[str]]:
    """The paths of each scenario that answer 200, each requested once (which warms them),
    and what was left out (a document without that annex, a page this portal lacks).
    ``only``: the scenarios whose name holds one of these words (the mix is made of every
    cached scenario all the same)."""
    found: dict[str, list[str]] = {}
    skipped = []
    for name, make in {**SCENARIOS, **NOT_CACHED}.items():
        paths = list(dict.fromkeys(make(doc) for doc in docs))
        statuses = {path: _get(f"{url}{path}")[0] for path in paths}
        answered = [path for path, status in statuses.items() if status == 200]
        if answered:
            found[name] = answered
        failed = sorted(f"HTTP {s} on {p}" for p, s in statuses.items() if s != 200)
        if failed:
            skipped.append(f"{name}: {len(failed)} of {len(paths)} paths left out ({failed[0]})")
    cached = [paths for name, paths in found.items() if name in SCENARIOS and name != REFERENCE]
    if cached:
        # One path of each scenario in turn, so that the clients' turns mix them.
        found[MIX] = [p for turn in zip_longest(*cached) for p in turn if p is not None]
    chosen = {k: v for k, v in found.items() if not only or any(word in k for word in only)}
    return chosen, skipped


def load_run(url: str, paths: list[str], clients: int, duration: float, limit: int) -> dict:
    """One run of ``loadgen.py`` in its own process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(paths, handle)
    try:
        command = [sys.executable, str(HERE / "loadgen.py"), "--url", url]
        command += ["--paths-file", handle.name, "--clients", str(clients)]
        command += ["--duration", str(duration), "--max-requests", str(limit)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        os.unlink(handle.name)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="unrecorded seconds first")
    parser.add_argument("--max-requests", type=int, default=100000, help="cap per run")
    parser.add_argument(
        "--no-page-cache", action="store_true", help="render every answer (page cache off)"
    )
    parser.add_argument("--only", nargs="*", default=[], help="scenarios whose name has a word")
    add_portal_arguments(parser)
    args = parser.parse_args(argv)
    settings = portal_settings(args)
    # Written every time: the portal's config outlives a run.
    settings.options["ckanext.budget.page_cache.seconds"] = "0" if args.no_page_cache else "300"
    print(f"Setting up the portal ({settings.url}, database {settings.db})…", flush=True)
    with Portal(settings) as portal:
        api = http_transport(settings.url, portal.token)
        load(api, SAMPLES)
        docs = processed_documents(api)
        for doc in docs:
            doc["node"] = _first_category(settings.url, doc)
        paths, skipped = scenario_paths(settings.url, docs, args.only)
        print(
            f"\n{len(docs)} documents; gunicorn -w {args.workers} --threads {args.threads} "
            f"(gthread); {args.duration:g} s a run after {args.warmup:g} s of warm-up; "
            f"{os.cpu_count()} CPUs\n"
        )
        print(
            "| scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms "
            "| errors | CPU ms/req | from cache | KB | load |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for name, scenario in paths.items():
            for clients in args.clients:
                if args.warmup > 0:
                    load_run(settings.url, scenario, clients, args.warmup, args.max_requests)
                before, cpu = os.getloadavg()[0], portal.worker_cpu_seconds()
                r = load_run(settings.url, scenario, clients, args.duration, args.max_requests)
                cpu_ms = (portal.worker_cpu_seconds() - cpu) * 1000 / max(r["requests"], 1)
                errors = str(r["errors"]) + (f" {r['error_kinds']}" if r["errors"] else "")
                print(
                    f"| {name} | {clients} | {r['requests']} | {r['rps']:.1f} "
                    f"| {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} "
                    f"| {r['max_ms']:.0f} | {errors} | {cpu_ms:.1f} | {r['cache_hit_share']:.0%} "
                    f"| {r['kb_per_request']:.1f} "
                    f"| {before:.1f}–{os.getloadavg()[0]:.1f} |",
                    flush=True,
                )
        rss = ", ".join(f"{mb:.0f}" for mb in portal.worker_memory_mb())
        print(f"\ngunicorn workers' resident memory after the runs (MB): {rss}")
        for line in skipped:
            print(f"skipped: {line}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the portal's processes are already stopped
        sys.exit("interrupted")
