"""Fixtures of the fault tests: private services a test may stop, restart or kill.

- ``private_postgres`` / ``private_redis``: a PostgreSQL cluster and a Redis server of
  the test session (never the machine's shared ones); ``postgres`` and ``redis_queue``
  make sure they run when a test starts and again when it ends.
- ``portal``: the portal served by a subprocess on the private PostgreSQL, Redis and
  storage, driven over HTTP with a sysadmin's API token.
- ``redis_queue``: the in-process test app's job queue moved to the private Redis.
- ``small_disk``: the storage on a small tmpfs that can be filled or made read-only.
- ``s3_portal``: a portal whose resources live in an S3 bucket of a private moto server
  (kept by ckanext-s3filestore, and on CKAN 2.12 also by CKAN's own file storages): two
  web servers and a job worker sharing its database, Redis and bucket.
"""

from __future__ import annotations

import configparser
import errno
import io
import json
import subprocess
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from ckan.lib import jobs, uploader
from ckan.lib import redis as ckan_redis
from ckan.plugins.toolkit import check_ckan_version

from ..test_upload_privacy import leaks
from .services import (
    TEST_INI,
    CkanServer,
    PrivatePostgres,
    PrivateRedis,
    PrivateS3,
    SmallDisk,
    Worker,
    ckan_env,
    ckan_ini,
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
        database: str = "ckan",
    ) -> None:
        self.server = server
        self.env = env  # of its CKAN processes: another server or a command shares its state
        self.postgres = postgres
        self.database = database
        self.redis = redis_server
        self.redis_url = env.get("CKAN_REDIS_URL") or redis_server.url
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
            "database": self.postgres.dump(self.database),
            "redis": redis_blob(self.redis_url),
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


S3_BUCKET = "budget-portal"


class ObjectStoragePortal:
    """A portal on an S3 bucket: two web servers and a job worker (its log ``worker_log``)
    sharing one database, Redis and bucket; no local storage in use."""

    def __init__(self, web: list[Portal], worker_log: Path, s3: PrivateS3) -> None:
        self.web = web
        self.worker_log = worker_log
        self.s3 = s3

    def bucket(self) -> dict[str, bytes]:
        """Every object of the portal's bucket, by key."""
        return self.s3.objects(S3_BUCKET)

    def personal_data_found(self) -> dict[str, list[str]]:
        """Where the synthetic names of the fixtures appear (the bucket, the worker's log,
        each server's places): should be nowhere."""
        found = {
            place: names
            for place, blob in (
                ("bucket", b"".join(self.bucket().values())),
                ("worker log", self.worker_log.read_bytes()),
            )
            if (names := leaks(blob))
        }
        for number, portal in enumerate(self.web, 1):
            for place, names in portal.personal_data_found().items():
                found[f"web {number}: {place}"] = names
        return found


def _plugins_with_s3() -> str:
    """test.ini's plugins, with ckanext-s3filestore's right after ``budget`` (the upload
    gate first, then the storage)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(TEST_INI)
    plugins = parser["app:main"]["ckan.plugins"].split()
    plugins.insert(plugins.index("budget") + 1, "s3filestore")
    return " ".join(plugins)


def _s3_options(kind: str, endpoint: str) -> dict[str, str]:
    """The configuration that puts the portal's resource files in the bucket."""
    if kind == "ckanext-s3filestore":
        prefix = "ckanext.s3filestore."
        return {
            "ckan.plugins": _plugins_with_s3(),
            f"{prefix}aws_bucket_name": S3_BUCKET,
            f"{prefix}aws_access_key_id": PrivateS3.KEY,
            f"{prefix}aws_secret_access_key": PrivateS3.KEY,
            f"{prefix}region_name": PrivateS3.REGION,
            f"{prefix}signature_version": "s3v4",
            f"{prefix}host_name": endpoint,
            f"{prefix}addressing_style": "path",
        }
    prefix = "ckan.files.storage.resources."  # CKAN 2.12's own file storages
    return {
        f"{prefix}type": "file_keeper:s3",
        f"{prefix}bucket": S3_BUCKET,
        f"{prefix}path": "resources",
        f"{prefix}key": PrivateS3.KEY,
        f"{prefix}secret": PrivateS3.KEY,
        f"{prefix}region": PrivateS3.REGION,
        f"{prefix}endpoint": endpoint,
        f"{prefix}overwrite_existing": "true",  # a resource's new file replaces its old one
    }


S3_STORAGES = ["ckanext-s3filestore"]
"""How a portal puts its files in S3: ckanext-s3filestore (an ``IUploader`` plugin listed
after ``budget``), and on CKAN 2.12 CKAN's own file storages (``ckan.files``)."""
if check_ckan_version("2.12"):
    S3_STORAGES.append("ckan.files")


@pytest.fixture(scope="module", params=S3_STORAGES)
def s3_portal(
    request: pytest.FixtureRequest,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ObjectStoragePortal]:
    """Web servers 1 and 2 and a ``ckan jobs worker`` keeping the resource files in a
    bucket of a private moto server, with ``async_threshold_mb = 1``; a database and a
    Redis database of their own."""
    kind: str = request.param
    needed = ("ckanext.s3filestore", "moto", "boto3")
    missing = [name for name in needed if not find_spec(name)]
    if missing:
        pytest.fail(f"the object-storage tests need {', '.join(missing)} (the `test` extra)")
    number = S3_STORAGES.index(kind) + 1
    workdir = tmp_path_factory.mktemp("s3-portal")
    s3 = PrivateS3(workdir / "s3.log")
    processes: list[CkanServer | Worker] = []
    try:
        s3.create_bucket(S3_BUCKET)
        if not private_postgres.running():
            private_postgres.start()
        if private_redis.process is None:
            private_redis.start()
        database = f"ckan_s3_{number}"
        private_postgres.create_database(database)
        storage = workdir / "storage"
        storage.mkdir()
        env = ckan_env(
            CKAN_SQLALCHEMY_URL=private_postgres.url(database),
            CKAN_REDIS_URL=f"redis://127.0.0.1:{private_redis.port}/{number}",
            CKAN_SITE_ID=f"ckanext_budget_s3_{number}",
            CKAN_STORAGE_PATH=str(storage),
        )
        ini = ckan_ini(
            workdir / "s3.ini",
            {**_s3_options(kind, s3.endpoint), "ckanext.budget.async_threshold_mb": "1"},
            loggers={"ckan.lib.jobs": "INFO"},  # the worker's log names each job it runs
        )
        first = CkanServer(env, workdir / "web1", ini)  # brings the database schema up first
        processes.append(first)
        worker_log = workdir / "worker.log"
        processes.append(Worker(env, worker_log, ini))
        second = CkanServer(env, workdir / "web2", ini)
        processes.append(second)
        web = [
            Portal(server, private_postgres, private_redis, storage, env, database)
            for server in (first, second)
        ]
        yield ObjectStoragePortal(web, worker_log, s3)
    finally:
        for process in reversed(processes):
            if isinstance(process, Worker):
                process.kill()
            else:
                process.stop()
        s3.destroy()
