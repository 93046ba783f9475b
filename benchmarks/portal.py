"""A real portal for the load and upload benchmarks, started and stopped by them.

Everything it keeps lives in its own PostgreSQL database, Redis database and folder
(``var/bench/<name>/``: config, storage, logs), so it never touches the demo's or the
tests'. It is configured like ``make demo`` (a config made by ``ckan generate config``,
then set with ``ckan config-tool``), served by gunicorn (``portal_wsgi.py``) with a
``ckan jobs worker`` beside it. Both run in their own process group and are stopped on
leaving the ``with`` block, on Ctrl-C and on SIGTERM alike.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
ADMIN = "benchadmin"
PLUGINS = "budget budget_pgsearch budget_view scheming_datasets activity"


@dataclass
class PortalSettings:
    name: str = "bench"
    """Folder under ``var/bench/`` and site id."""
    db: str = "ckan_bench"
    redis_db: int = 9
    port: int = 5100
    workers: int = 2
    """gunicorn worker processes: one per core (Python runs one thread at a time)."""
    threads: int = 4
    """Threads per worker: they overlap the waits on PostgreSQL."""
    options: dict[str, str] = field(default_factory=dict)
    """Extra ``[app:main]`` options (``ckanext.budget.async_threshold_mb``…)."""
    fresh: bool = False
    """Drop the database and the stored files first."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def add_portal_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark that starts a portal takes (see ``PortalSettings``)."""
    parser.add_argument("--name", default="bench", help="folder under var/bench/")
    parser.add_argument("--db", default="ckan_bench")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    parser.add_argument("--redis-db", type=int, default=9)
    parser.add_argument("--port", type=int, default=5100)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")


def portal_settings(args: argparse.Namespace, **overrides: Any) -> PortalSettings:
    """``PortalSettings`` from the options of :func:`add_portal_arguments`."""
    values: dict[str, Any] = {
        "name": args.name,
        "db": args.db,
        "redis_db": args.redis_db,
        "port": args.port,
        "workers": args.workers,
        "threads": args.threads,
        "fresh": args.fresh,
    }
    return PortalSettings(**{**values, **overrides})


def _run(command: list[str], env: dict[str, str], log: IO[str], secret: bool = False) -> str:
    """Run a setup command; its output goes to the log (unless ``secret``), and is shown
    if it fails."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    shown = " ".join(command[:5] if secret else command)
    log.write(f"$ {shown}\n{'(not logged)' if secret else done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise SystemExit(f"failed: {shown}\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
    return done.stdout


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/3/action/status_show", timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _memory_mb(pid: int, key: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of a process."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


class Portal:
    """``with Portal(settings) as portal:`` a running portal; ``portal.token`` is a
    sysadmin's API token."""

    def __init__(self, settings: PortalSettings) -> None:
        self.settings = settings
        self.dir = ROOT / "var" / "bench" / settings.name
        self.ini = self.dir / "ckan.ini"
        self.token = ""
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._previous_sigterm: Any = None
        # CKAN_* variables would override the config file: the portal gets none but
        # the path of its own config.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CKAN_")}
        self.env["CKAN_INI"] = str(self.ini)

    # -- setup ------------------------------------------------------------------------

    def _ckan(self, *args: str) -> list[str]:
        return [str(VENV_BIN / "ckan"), "-c", str(self.ini), *args]

    def _shell(self, snippet: str, log: IO[str]) -> None:
        """A function of ``scripts/common.sh`` (services, database, translations)."""
        _run(["bash", "-c", f"source scripts/common.sh; {snippet}"], self.env, log)

    def prepare(self) -> None:
        """Database, config, tables, translations, sysadmin and its token."""
        s = self.settings
        for sub in ("storage", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        with (self.dir / "log" / "setup.log").open("a") as log:
            self._shell("ensure_services", log)
            if s.fresh:
                self._shell(f"pg_admin -c 'DROP DATABASE IF EXISTS {s.db}'", log)
                shutil.rmtree(self.dir / "storage")
                (self.dir / "storage").mkdir()
            self._shell(f"ensure_database {s.db}", log)
            self._shell(f"compile_translations {VENV_BIN.parent}", log)
            if not self.ini.exists():
                _run([str(VENV_BIN / "ckan"), "generate", "config", str(self.ini)], self.env, log)
            options = {
                "sqlalchemy.url": f"postgresql://ckan_budget:ckan_budget@127.0.0.1:5432/{s.db}",
                "ckan.site_url": s.url,
                "ckan.site_id": f"ckanext_budget_{s.name}",
                "ckan.redis.url": f"redis://127.0.0.1:6379/{s.redis_db}",
                "ckan.storage_path": str(self.dir / "storage"),
                "ckan.max_resource_size": "200",
                "ckan.plugins": PLUGINS,
                "scheming.dataset_schemas": "ckanext.budget.schemas:budget.yaml",
                "scheming.presets": "ckanext.scheming:presets.json",
                "ckan.locale_default": "fr",
                "ckan.locales_offered": "fr en",
                "ckan.auth.create_unowned_dataset": "false",
                **s.options,
            }
            config_tool = [str(VENV_BIN / "ckan"), "config-tool", str(self.ini)]
            _run([*config_tool, *(f"{k}={v}" for k, v in options.items())], self.env, log)
            for logger in ("logger_ckan", "logger_ckanext"):
                _run([*config_tool, "-s", logger, "level=WARNING"], self.env, log)
            _run(self._ckan("db", "init"), self.env, log)
            _run(self._ckan("db", "upgrade", "-p", "budget"), self.env, log)
            if "User: None" in _run(self._ckan("user", "show", ADMIN), self.env, log):
                password = f"password={secrets.token_urlsafe(16)}"  # never used: the token is
                add = self._ckan("user", "add", ADMIN, "email=bench@example.org", password)
                _run(add, self.env, log, secret=True)
            _run(self._ckan("sysadmin", "add", ADMIN), self.env, log)
            token = self._ckan("user", "token", "add", ADMIN, "bench", "--quiet")
            out = _run(token, self.env, log, secret=True)
            self.token = out.strip().splitlines()[-1]

    # -- processes --------------------------------------------------------------------

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.dir / "log" / f"{name}.log").open("ab")
        self._processes[name] = subprocess.Popen(
            command,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def start(self) -> None:
        s = self.settings
        if _port_taken(s.port):
            raise SystemExit(f"port {s.port} is already used: choose another with --port")
        self._start(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "--pythonpath",
                str(HERE),
                "--bind",
                f"127.0.0.1:{s.port}",
                "--workers",
                str(s.workers),
                "--threads",
                str(s.threads),
                "--timeout",
                "600",  # a 100 MB document processed in the request
                "--backlog",
                "256",
                "portal_wsgi:application",
            ],
        )
        self._start("worker", self._ckan("jobs", "worker"))
        deadline = time.monotonic() + 180
        while not _answers(s.url):
            if self._processes["gunicorn"].poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start: see {self.dir / 'log/gunicorn.log'}")
            time.sleep(0.5)

    def worker_memory_mb(self, key: str = "VmRSS") -> list[float]:
        """Resident memory of each gunicorn worker: now (``VmRSS``) or its peak
        (``VmHWM``)."""
        master = self._processes.get("gunicorn")
        return [_memory_mb(pid, key) for pid in _children(master.pid)] if master else []

    def worker_cpu_seconds(self) -> float:
        """CPU time the gunicorn workers have used so far, together: differences of it
        measure the server's own cost, steadier than latency on a shared machine."""
        master = self._processes.get("gunicorn")
        return sum(_cpu_seconds(pid) for pid in _children(master.pid)) if master else 0.0

    def stop(self) -> None:
        for name, process in list(self._processes.items()):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                except ProcessLookupError:
                    pass
            del self._processes[name]

    # -- context manager --------------------------------------------------------------

    def __enter__(self) -> Portal:
        def terminate(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(128 + signum)

        self._previous_sigterm = signal.signal(signal.SIGTERM, terminate)
        try:
            self.prepare()
            self.start()
        except BaseException:
            self.stop()
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
        signal.signal(signal.SIGTERM, self._previous_sigterm)
