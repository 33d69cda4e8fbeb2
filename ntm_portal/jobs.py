"""Background jobs on RQ (Redis Queue), or in the request when no queue is configured.

``JOBS_REDIS_URL`` names the Redis that holds the queue ``JOBS_QUEUE``; ``manage.py
run_jobs`` is the worker. Unset, ``enqueue`` runs the function at once, in the caller's
process, so the demo and the tests that do not ask for a queue behave as before.

A running job proves it is alive by a heartbeat: a Redis key that a thread of the job refreshes
every ``JOBS_HEARTBEAT_SECONDS`` and that expires ``JOBS_STALE_SECONDS`` after the last
refresh. A worker killed mid-job (kill -9, a lost machine) stops refreshing it, so whoever reads
the job afterwards can tell it was abandoned, instead of showing it "running" for ever. Its
progress (rows done / total, the stage) is kept next to it, outside the database transaction
the job writes in, so that others can read it while that transaction is open.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator

from django.conf import settings

logger = logging.getLogger(__name__)
KEY_PREFIX = "ntm:jobs"
PROGRESS_TTL_S = 7 * 24 * 3600


def enabled() -> bool:
    return bool(settings.JOBS_REDIS_URL)


def redis():
    """A client of the jobs' Redis (a new one each time: cheap, and safe across forks)."""
    from redis import Redis

    return Redis.from_url(settings.JOBS_REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def queue():
    from rq import Queue

    return Queue(settings.JOBS_QUEUE, connection=redis())


def enqueue(func: Callable, *args, job_id: str | None = None, **kwargs):
    """Run ``func(*args, **kwargs)`` on the queue; without one, now, and return its value.
    With a queue, returns the RQ job. ``func`` must be importable by the worker (a module-level
    function) and its arguments picklable: pass ids, not model instances."""
    if not enabled():
        return func(*args, **kwargs)
    return queue().enqueue(
        func,
        args=args,
        kwargs=kwargs,
        job_id=job_id,
        job_timeout=-1,  # an import runs as long as it needs; the heartbeat tells a dead one
        result_ttl=24 * 3600,
        failure_ttl=7 * 24 * 3600,
    )


def enqueue_or_run(func: Callable, *args, **kwargs) -> None:
    """As ``enqueue``, but if the queue cannot be reached, run ``func`` now rather than lose
    it (a warning is logged): for work whose loss would go unnoticed, such as a mail."""
    if enabled():
        try:
            enqueue(func, *args, **kwargs)
            return
        except Exception:  # Redis down or unreachable
            logger.warning("jobs: queue unreachable, running %s in the request", func.__name__)
    func(*args, **kwargs)


def rq_status(job_id: str) -> str | None:
    """RQ's status of the job ("queued", "started", "finished", "failed", ...), or None when
    Redis no longer knows it."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        return Job.fetch(job_id, connection=redis()).get_status(refresh=True)
    except NoSuchJobError:
        return None


# -- Heartbeat and progress ----------------------------------------------------------------


def _alive_key(key: str) -> str:
    return f"{KEY_PREFIX}:{key}:alive"


def _progress_key(key: str) -> str:
    return f"{KEY_PREFIX}:{key}:progress"


@contextlib.contextmanager
def heartbeat(key: str) -> Iterator[None]:
    """Keep ``key``'s alive mark fresh while the block runs (a daemon thread refreshes it), and
    remove it at the end. Without a queue, does nothing."""
    if not enabled():
        yield
        return
    client = redis()
    interval = settings.JOBS_HEARTBEAT_SECONDS
    ttl_ms = max(1, int(settings.JOBS_STALE_SECONDS * 1000))
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a Redis hiccup must not kill the job
                client.set(_alive_key(key), "1", px=ttl_ms)
            stop.wait(interval)

    client.set(_alive_key(key), "1", px=ttl_ms)
    thread = threading.Thread(target=beat, name=f"heartbeat {key}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 1)
        with contextlib.suppress(Exception):
            client.delete(_alive_key(key))


def is_alive(key: str) -> bool:
    return bool(redis().exists(_alive_key(key)))


def set_progress(key: str, *, stage: str, done: int = 0, total: int = 0) -> None:
    """Record how far the job is. Without a queue, does nothing (nobody can look)."""
    if not enabled():
        return
    with contextlib.suppress(Exception):
        client = redis()
        # The process running the job (RQ's work horse, a fork of the worker): what to kill to
        # stop the job itself.
        mapping = {"stage": stage, "done": done, "total": total, "pid": os.getpid()}
        client.hset(_progress_key(key), mapping=mapping)
        client.expire(_progress_key(key), PROGRESS_TTL_S)


def progress(key: str) -> dict:
    """{"stage", "done", "total", "pid"} as last recorded, or {} when nothing was (or no queue)."""
    if not enabled():
        return {}
    raw = redis().hgetall(_progress_key(key))
    if not raw:
        return {}
    data = {k.decode(): v.decode() for k, v in raw.items()}
    return {
        "stage": data.get("stage", ""),
        "done": int(data["done"]),
        "total": int(data["total"]),
        "pid": int(data.get("pid") or 0),
    }
