"""Fixtures of the fault tests: private services a test may stop, restart or kill.

- ``private_postgres`` / ``private_redis``: a PostgreSQL cluster and a Redis server of
  the test session (never the machine's shared ones); ``postgres`` and ``redis_queue``
  make sure they run when a test starts and again when it ends.
- ``portal``: the portal served by a subprocess on the private PostgreSQL, Redis and
  storage, driven over HTTP with a sysadmin's API token.
- ``redis_queue``: the in-process test app's job queue moved to the private Redis.
- ``small_disk``: the storage on a small tmpfs that can be filled or made read-only.
"""

from __future__ import annotations

import errno
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from ckan.lib import jobs, uploader
from ckan.lib import redis as ckan_redis

from ..test_upload_privacy import leaks
from .services import (
    CkanServer,
    PrivatePostgres,
    PrivateRedis,
    SmallDisk,
    ckan_env,
)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    cluster.start()
    cluster.create_database("ckan")
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def postgres(private_postgres: PrivatePostgres) -> Iterator[PrivatePostgres]:
    if not private_postgres.running():
        private_postgres.start()
    yield private_postgres
    if not private_postgres.running():
        private_postgres.start()


def redis_blob(url: str) -> bytes:
    """Every key and value of a Redis database, for the privacy checks."""
    client = redis.Redis.from_url(url)
    parts = []
    for key in client.scan_iter():
        kind = client.type(key)
        parts.append(key)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"hash":
            parts.extend(v for pair in client.hgetall(key).items() for v in pair)
        elif kind == b"list":
            parts.extend(client.lrange(key, 0, -1))
        elif kind == b"set":
            parts.extend(client.smembers(key))
        elif kind == b"zset":
            parts.extend(client.zrange(key, 0, -1))
    return b"\n".join(parts)


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


class Portal:
    """The portal subprocess and its private services, with API helpers."""

    def __init__(
        self,
        server: CkanServer,
        postgres: PrivatePostgres,
        redis_server: PrivateRedis,
        storage: Path,
        env: dict[str, str],
    ) -> None:
        self.server = server
        self.env = env  # of its CKAN processes: another server or a command shares its state
        self.postgres = postgres
        self.redis = redis_server
        self.storage = storage
        self.token = json.loads(server.setup_file.read_text())["token"]
        self.responses: list[bytes] = []

    def post(self, action: str, lang: str = "", **data: Any) -> requests.Response:
        prefix = f"/{lang}" if lang else ""
        response = requests.post(
            f"{self.server.url}{prefix}/api/3/action/{action}",
            json=data,
            headers={"Authorization": self.token},
            timeout=120,
        )
        self.responses.append(response.content)
        return response

    def upload(
        self, action: str, data: bytes, filename: str, lang: str = "", **fields: str
    ) -> requests.Response:
        prefix = f"/{lang}" if lang else ""
        response = requests.post(
            f"{self.server.url}{prefix}/api/3/action/{action}",
            data=fields,
            files={"upload": (filename, io.BytesIO(data), "application/xml")},
            headers={"Authorization": self.token},
            timeout=120,
        )
        self.responses.append(response.content)
        return response

    def result(self, action: str, **data: Any) -> Any:
        response = self.post(action, **data)
        assert response.status_code == 200, response.text
        return response.json()["result"]

    def resource_files(self) -> dict[str, bytes]:
        return files_under(self.storage / "resources")

    def personal_data_found(self) -> dict[str, list[str]]:
        """Where the synthetic names of the fixtures appear: should be nowhere."""
        places = {
            "storage": b"".join(files_under(self.storage).values()),
            "database": self.postgres.dump(),
            "redis": redis_blob(self.redis.url),
            "server log": self.server.log.read_bytes(),
            "responses": b"\n".join(self.responses),
        }
        return {place: found for place, blob in places.items() if (found := leaks(blob))}


@pytest.fixture(scope="session")
def portal_session(
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Portal]:
    workdir = tmp_path_factory.mktemp("portal")
    storage = workdir / "storage"
    env = ckan_env(
        CKAN_SQLALCHEMY_URL=private_postgres.url(),
        CKAN_REDIS_URL=private_redis.url,
        CKAN_SITE_ID="ckanext_budget_faults",
        CKAN_STORAGE_PATH=str(storage),
    )
    server = CkanServer(env, workdir)
    yield Portal(server, private_postgres, private_redis, storage, env)
    server.stop()


@pytest.fixture
def portal(portal_session: Portal, postgres: PrivatePostgres) -> Portal:
    """The portal, its database and Redis running, no upload stopped at the gate."""
    if portal_session.redis.process is None:
        portal_session.redis.start()
    (portal_session.server.gate / "armed").unlink(missing_ok=True)
    return portal_session


@pytest.fixture
def redis_queue(
    private_redis: PrivateRedis, ckan_config: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PrivateRedis]:
    """The in-process portal's background jobs go to the private Redis."""
    if private_redis.process is None:
        private_redis.start()
    redis.Redis.from_url(private_redis.url).flushdb()
    monkeypatch.setitem(ckan_config, "ckan.redis.url", private_redis.url)
    monkeypatch.setattr(ckan_redis, "_connection_pool", None)
    monkeypatch.setattr(jobs, "_queues", {})
    yield private_redis
    if private_redis.process is None:
        private_redis.start()


class FallbackDisk:
    """Where mounting is refused: writes to the storage go to ``/dev/full`` (the kernel
    answers ENOSPC) or fail with EROFS, at the ``open`` of CKAN's uploader."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = root
        self.mode = "rw"
        storage = str(root)

        def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if "w" in mode and str(file).startswith(storage) and self.mode != "rw":
                if self.mode == "ro":
                    raise OSError(errno.EROFS, "Read-only file system", str(file))
                return open("/dev/full", mode, *args, **kwargs)
            return open(file, mode, *args, **kwargs)

        monkeypatch.setattr(uploader, "open", guarded_open, raising=False)

    def fill(self) -> None:
        self.mode = "full"

    def remount(self, mode: str) -> None:
        self.mode = mode

    def free(self) -> None:
        self.mode = "rw"


class TmpfsDisk(SmallDisk):
    """A real small tmpfs: filled with a filler file, remounted read-only."""

    def fill(self) -> None:
        with (self.path / "filler").open("wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC

    def free(self) -> None:
        (self.path / "filler").unlink(missing_ok=True)


@pytest.fixture
def small_disk(
    ckan_config: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[TmpfsDisk | FallbackDisk]:
    """The storage on a 2 MB tmpfs (or, where mounting is refused, the fallback)."""
    try:
        disk: TmpfsDisk | FallbackDisk = TmpfsDisk(2048)
    except (subprocess.CalledProcessError, FileNotFoundError):
        disk = FallbackDisk(tmp_path, monkeypatch)
    try:
        monkeypatch.setitem(ckan_config, "ckan.storage_path", str(disk.path))
        yield disk
    finally:
        if isinstance(disk, TmpfsDisk):
            disk.destroy()
