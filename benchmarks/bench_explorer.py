"""Speed and weight of the budget page (goal: a budget of 6 documents answers in under
300 ms warm and weighs under 300 KB).

Loads Montreuil's comptes administratifs 2016–2021 (``tests/fixtures/samples/montreuil``)
into one ``budget`` dataset through CKAN's upload path (anonymisation, processing,
aggregation), unless that dataset is already there, then requests the budget page and
its variants over HTTP (a werkzeug server in this process, one request at a time) and
prints, per URL, the median and 95th percentile of the warm requests (wall clock, and
the CPU time of this process, which other jobs on the machine hardly change), the median
with the explorer's cache emptied before each request, and the page's weight (its HTML,
and with the same-host stylesheets and scripts it links, which a first visit downloads;
CKAN's own scripts are most of it, cached by browsers after the first page).

    export CKAN_SQLALCHEMY_URL=postgresql://ckan_budget:ckan_budget@127.0.0.1:5432/ckan_bench
    ckan -c test.ini db init && ckan -c test.ini db upgrade -p budget
    python benchmarks/bench_explorer.py --ckan-ini test.ini [--requests 50] [--client test]

It adds a sysadmin, an organisation and a dataset (``montreuil-bench``) to that database
and leaves them for the next run: point it at a scratch database, never at a portal's.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import statistics
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "samples" / "montreuil"
DATASET = "montreuil-bench"
GOAL_MS = 300.0
GOAL_KB = 300.0
ASSET = re.compile(r'(?:href|src)="(/webassets/[^"]+\.(?:css|js))"')


def ensure_dataset() -> None:
    """Montreuil's six accounts in one dataset, uploaded unless already there."""
    from ckan import model
    from ckan.tests import factories
    from ckan.tests.helpers import call_action
    from werkzeug.datastructures import FileStorage

    from ckanext.budget.documents import model as db

    if model.Package.get(DATASET) is not None:
        documents = db.documents_for_package(model.Package.get(DATASET).id)
        print(f"reusing dataset {DATASET}: {len(documents)} documents")
        return
    admin = factories.Sysadmin()
    org = factories.Organization(name="montreuil-bench", title="Montreuil")
    dataset = call_action(
        "package_create",
        context={"user": admin["name"]},
        type="budget",
        name=DATASET,
        title="Montreuil — budget principal",
        owner_org=org["id"],
    )
    started = time.perf_counter()
    for path in sorted(SAMPLES.glob("Montreuil_CA_*.xml.gz")):
        data = gzip.decompress(path.read_bytes())
        call_action(
            "resource_create",
            context={"user": admin["name"]},
            package_id=dataset["id"],
            name=path.name.split("_", 1)[1].removesuffix(".xml.gz").replace("_", " "),
            upload=FileStorage(io.BytesIO(data), filename=path.name.removesuffix(".gz")),
        )
    print(f"uploaded 6 documents in {time.perf_counter() - started:.1f} s")


def http_client(app: Callable) -> tuple[Callable[[str], bytes], Callable[[], None]]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"

    def get(path: str) -> bytes:
        with urllib.request.urlopen(base + path, timeout=60) as response:
            assert response.status == 200, (path, response.status)
            return response.read()

    return get, server.shutdown


def test_client(app: Callable) -> tuple[Callable[[str], bytes], Callable[[], None]]:
    from ckan.tests.helpers import CKANTestApp

    client = CKANTestApp(app).test_client()

    def get(path: str) -> bytes:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.data

    return get, lambda: None


def timings(
    get: Callable[[str], bytes], path: str, count: int, before: Callable | None = None
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``count`` requests. The CPU time (of this
    process: server and client) hardly depends on what else runs on the machine."""
    wall, cpu = [], []
    for _ in range(count):
        if before is not None:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckan-ini", required=True)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--lang", default="fr", help="language prefix of the URLs")
    parser.add_argument("--client", choices=("http", "test"), default="http")
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(args.ckan_ini))
    with app._wsgi_app.test_request_context():
        ensure_dataset()

    from ckanext.budget.explorer import cache

    get, stop = (http_client if args.client == "http" else test_client)(app)
    prefix = f"/{args.lang}" if args.lang else ""
    urls = {
        "budget page (default state)": f"{prefix}/budget/{DATASET}/explorer",
        "drill-down by function, 2019": (
            f"{prefix}/budget/{DATASET}/explorer?tree=fonction&node=D&year=2019&stage=realised"
        ),
        "embeddable page": f"{prefix}/budget/{DATASET}/explorer/embed",
        "evolution table as CSV": (
            f"{prefix}/budget/{DATASET}/explorer/data.csv?table=evolution&tree=chapitre"
        ),
    }
    print(f"{args.requests} requests per URL ({args.client} client), warm after 3 requests")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'URL':30s} {'p50 ms':>7s} {'p95 ms':>7s} {'CPU p50':>8s} {'no-cache p50':>13s} "
        f"{'KB':>6s} {'+assets KB':>11s}"
    )
    try:
        for label, path in urls.items():
            for _ in range(3):
                body = get(path)
            warm, cpu = timings(get, path, args.requests)
            uncached, _ = timings(get, path, max(args.requests // 5, 5), before=cache.pages.clear)
            assets = sum(len(get(url)) for url in set(ASSET.findall(body.decode("utf-8"))))
            size = len(body) / 1024
            p50, p95 = statistics.median(warm), percentile(warm, 0.95)
            flag = "ok" if p50 < GOAL_MS and p95 < GOAL_MS and size < GOAL_KB else "OVER GOAL"
            print(
                f"{label:30s} {p50:7.1f} {p95:7.1f} {statistics.median(cpu):8.1f} "
                f"{statistics.median(uncached):13.1f} {size:6.1f} {size + assets / 1024:11.1f}"
                f"  {flag}"
            )
    finally:
        stop()
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
