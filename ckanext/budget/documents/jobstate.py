"""Whether a document's background job can still finish (RQ's records in Redis).

A worker killed in the middle of a job (``kill -9``, out of memory, a container
stopped) leaves the job "started" for as long as RQ's own time-outs (the job's 30
minutes, the worker's registration for 7): meanwhile the document would show "being
processed". :func:`is_lost` answers at once: the job is gone, failed or stopped, or it
was started by a worker that no longer runs (its registration has expired, its process
on this host has exited, or its heartbeat stopped).
"""

from __future__ import annotations

import datetime
import os
import socket

import redis
import rq
from ckan.lib.redis import connect_to_redis

WAITING = ("queued", "deferred", "scheduled")
ENQUEUE_GRACE = datetime.timedelta(seconds=30)
"""A job is queued just after its transaction commits: not finding it yet is normal."""
HEARTBEAT_GRACE = datetime.timedelta(minutes=3)
"""RQ's work horses refresh their job's heartbeat every 30 seconds or so."""
WORKER_PREFIX = "rq:worker:"


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def is_lost(job_id: str, scheduled: datetime.datetime | None) -> bool:
    """Whether the job ``job_id`` (scheduled at ``scheduled``) can no longer finish.
    ``False`` when that cannot be known (Redis unreachable)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        connection = connect_to_redis()
        try:
            job = rq.job.Job.fetch(job_id, connection=connection)
        except rq.exceptions.NoSuchJobError:
            return scheduled is None or now - _utc(scheduled) > ENQUEUE_GRACE
        status = str(getattr(job.get_status(), "value", job.get_status()))
        if status in WAITING:
            return False
        if status != "started":
            return True  # failed, stopped, cancelled, or ended without storing anything
        return not _worker_alive(connection, job, now)
    except redis.exceptions.RedisError:
        return False


def _worker_alive(connection: redis.Redis, job: rq.job.Job, now: datetime.datetime) -> bool:
    if job.last_heartbeat and now - _utc(job.last_heartbeat) > HEARTBEAT_GRACE:
        return False
    if not job.worker_name:
        return True
    worker = connection.hgetall(f"{WORKER_PREFIX}{job.worker_name}")
    if not worker:
        return False  # its registration expired or was removed: the worker is gone
    hostname = worker.get(b"hostname", b"").decode()
    pid = int(worker.get(b"pid") or 0)
    if pid and hostname == socket.gethostname():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
    return True
