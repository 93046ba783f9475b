"""Private, real services the fault tests may stop, restart or kill: a PostgreSQL cluster,
a Redis server, an S3-compatible server, CKAN web servers and RQ workers run as
subprocesses (on test.ini, or on a configuration of their own), and a small tmpfs for the
storage. The machine's shared PostgreSQL and Redis are never touched."""

from __future__ import annotations

import configparser
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
AS_ROOT = os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"{what}: not after {timeout} s")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else name


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free port (as the ``postgres`` user when run
    as root: initdb refuses root), trusting local connections."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="budget-faults-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if AS_ROOT:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(_pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust")

    def _run(self, *args: Any) -> None:
        command = [str(a) for a in args]
        if AS_ROOT:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.root)

    def url(self, database: str = "ckan") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        log = self.root / "log"
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session at once; ``immediate`` is a crash."""
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> None:
        subprocess.run(
            ["psql", self.url("postgres"), "-qc", f"CREATE DATABASE {name}"],
            check=True,
            capture_output=True,
        )

    def dump(self, database: str = "ckan") -> bytes:
        return subprocess.run(
            ["pg_dump", "--data-only", "--no-owner", self.url(database)],
            check=True,
            capture_output=True,
        ).stdout

    def destroy(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A Redis server on a free port that keeps nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="budget-faults-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.root)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "redis-server")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def ckan_env(**overrides: str) -> dict[str, str]:
    """The environment of a CKAN subprocess: this one's, with CKAN_* settings replaced."""
    return {**os.environ, **overrides}


TEST_INI = ROOT / "test.ini"


def ckan_ini(path: Path, options: dict[str, str], loggers: dict[str, str] | None = None) -> Path:
    """A CKAN configuration file at ``path``: test.ini with ``options`` set (CKAN reads
    test.ini first through ``use = config:``), and test.ini's logging with ``loggers``
    (logger name: level) added."""
    base = TEST_INI.read_text()
    logging = configparser.RawConfigParser()
    logging.read_string(base[base.index("[loggers]") :])
    for name, level in (loggers or {}).items():
        key = name.replace(".", "_")
        logging["loggers"]["keys"] += f", {key}"
        logging[f"logger_{key}"] = {"qualname": name, "handlers": "", "level": level}
    with path.open("w") as ini:
        ini.write(f"[app:main]\nuse = config:{TEST_INI}\n")
        ini.writelines(f"{key} = {value}\n" for key, value in options.items())
        ini.write("\n")
        logging.write(ini)
    return path


class PrivateS3:
    """An S3-compatible server (moto's, in server mode) on a free port, holding its
    buckets in memory, and a client to look into them."""

    REGION = "eu-west-3"
    KEY = "budget-tests"

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, 30, "moto S3 server")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the S3 server exited:\n{self.log.read_text()[-3000:]}")
        try:
            return requests.get(f"{self.endpoint}/moto-api/", timeout=2).ok
        except requests.RequestException:
            return False

    def client(self) -> Any:
        import boto3  # the object-storage tests' dependency only

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.REGION,
            aws_access_key_id=self.KEY,
            aws_secret_access_key=self.KEY,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.REGION}
        )

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object of ``bucket``, by key."""
        client = self.client()
        keys = [
            item["Key"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        ]
        return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}

    def destroy(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class CkanServer:
    """``serve.py``: the portal's WSGI app in a subprocess, driven over HTTP."""

    def __init__(self, env: dict[str, str], workdir: Path, ini: Path = TEST_INI) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.gate = workdir / "gate"
        self.gate.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "server.log"
        self.setup_file = workdir / "setup.json"
        serve = Path(__file__).with_name("serve.py")
        self.process = subprocess.Popen(
            [sys.executable, str(serve), str(self.port), str(ini)],
            env={
                **env,
                "BUDGET_FAULTS_GATE": str(self.gate),
                "BUDGET_FAULTS_SETUP": str(self.setup_file),
            },
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self._ready, 90, "CKAN web server")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the CKAN server exited:\n{self.log.read_text()[-3000:]}")
        try:
            return requests.get(f"{self.url}/api/3/action/status_show", timeout=2).ok
        except requests.RequestException:
            return False

    def arm_gate(self) -> None:
        """The next upload stops once its file is written, before its transaction ends."""
        for name in ("reached", "release"):
            (self.gate / name).unlink(missing_ok=True)
        (self.gate / "armed").touch()

    def wait_at_gate(self) -> None:
        wait_until((self.gate / "reached").exists, 60, "upload at the gate")

    def release_gate(self) -> None:
        (self.gate / "release").touch()

    def hold(self, point: str | None) -> None:
        """Uploads stop at ``point`` (``writing``, ``written``, ``committed``; ``None``:
        nowhere) from now on (see ``serve.py``)."""
        for held in self.gate.glob("hold-*"):
            held.unlink()
        if point:
            (self.gate / f"hold-{point}").touch()

    def wait_held(self, point: str, count: int) -> None:
        wait_until(lambda: len(list(self.gate.glob(f"{point}-*"))) >= count, 60, point)

    def kill(self) -> None:
        """``kill -9``: no request, transaction or clean-up goes on."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


class Worker:
    """``ckan jobs worker`` in a subprocess, to be killed with its work horse (a machine
    or container stopping)."""

    def __init__(self, env: dict[str, str], log: Path, ini: Path = TEST_INI) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "ckan"), "-c", str(ini), "jobs", "worker"],
            env=env,
            cwd=ROOT,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """``kill -9`` of the work horses (RQ gives them their own session), then of the
        worker."""
        for pid in _children(self.process.pid):
            os.kill(pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait(timeout=10)


def _children(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


class SmallDisk:
    """A tmpfs of a few hundred kilobytes for the storage, remountable read-only (needs
    the right to mount: root in CI)."""

    def __init__(self, size_kb: int) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="budget-faults-disk-"))
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(self.path)],
            check=True,
            capture_output=True,
        )

    def remount(self, mode: str) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,{mode}", str(self.path)], check=True, capture_output=True
        )

    def destroy(self) -> None:
        subprocess.run(["umount", str(self.path)], check=False, capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)
