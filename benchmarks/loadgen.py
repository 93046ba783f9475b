"""Load generator: N concurrent clients GET a list of paths for a bounded time.

    python benchmarks/loadgen.py --url http://127.0.0.1:5100 --paths-file paths.json \\
        --clients 50 --duration 10 --max-requests 20000

Each client is a thread with its own keep-alive HTTP/1.1 connection (``http.client``,
standard library) that requests the paths in turn, starting at its own offset, until the
duration has passed or the clients together sent ``--max-requests``. A request counts as
an error unless it answers 200 with its whole body (other statuses, timeouts and dropped
connections are counted by kind). Latency is from sending the request to the last byte of
the body. Prints one JSON object: requests/s, p50/p95/p99/max latency, errors, and the
share of answers the portal served from its page cache (``X-Budget-Cache: hit``).
Run it as its own process (``bench_load.py`` does), so that the clients do not share an
interpreter with whatever started the server.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 60
CACHE_HEADER = "X-Budget-Cache"
"""``hit`` on the answers the portal served from its page cache (``page_cache``)."""


@dataclass
class ClientLog:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    cache_hits: int = 0


def _client(
    host: str,
    port: int,
    paths: list[str],
    offset: int,
    start: threading.Barrier,
    deadline: list[float],
    tickets: itertools.count,
    limit: int,
    log: ClientLog,
) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    start.wait()
    for i in itertools.count(offset):
        if time.monotonic() >= deadline[0] or next(tickets) >= limit:
            break
        began = time.perf_counter()
        try:
            connection.request("GET", paths[i % len(paths)])
            response = connection.getresponse()
            body = response.read()
            kind = "" if response.status == 200 else f"HTTP {response.status}"
            log.cache_hits += response.getheader(CACHE_HEADER) == "hit"
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            kind = type(exc).__name__
            body = b""
            connection.close()
        log.latencies.append(time.perf_counter() - began)
        log.bytes += len(body)
        if kind:
            log.errors[kind] = log.errors.get(kind, 0) + 1
    connection.close()


def run(url: str, paths: list[str], clients: int, duration: float, limit: int) -> dict:
    """Load ``url`` with ``clients`` clients; the figures as a dict."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    prefix = parts.path.rstrip("/")
    full = [f"{prefix}{path}" for path in paths]
    logs = [ClientLog() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline = [float("inf")]
    tickets = itertools.count()
    threads = [
        threading.Thread(
            target=_client,
            args=(host, port, full, i, start, deadline, tickets, limit, logs[i]),
            daemon=True,
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + duration
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies = sorted(x for log in logs for x in log.latencies)
    errors: dict[str, int] = {}
    for log in logs:
        for kind, count in log.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    ms = [x * 1000 for x in cuts] if cuts else [0.0] * 99
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": ms[49],
        "p95_ms": ms[94],
        "p99_ms": ms[98],
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "kb_per_request": sum(log.bytes for log in logs) / 1024 / max(len(latencies), 1),
        "cache_hit_share": sum(log.cache_hits for log in logs) / max(len(latencies), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--paths-file", required=True, help="JSON list of paths to GET")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--max-requests", type=int, default=20000)
    args = parser.parse_args(argv)
    with open(args.paths_file, encoding="utf-8") as handle:
        paths = json.load(handle)
    print(json.dumps(run(args.url, paths, args.clients, args.duration, args.max_requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
