"""``/healthz`` and ``/readyz`` for the load balancer and the process supervisor.

- ``GET /healthz``: the process is up and answers. Touches nothing else (no database, no
  cache), so a database outage never makes the supervisor restart every web server.
  200 ``{"status": "ok"}``.
- ``GET /readyz``: the process can serve pages: the database answers ``SELECT 1``, the cache a
  round trip (PING for Redis), the file storage is reachable (the bucket exists and the
  credentials are accepted, or MEDIA_ROOT is writable). The checks run in parallel threads, each
  given READYZ_TIMEOUT seconds. 200 when all pass, else 503; the body names each check's
  outcome ("ok", "unavailable", "timeout") and nothing else. What went wrong is logged as a
  warning with the request id, never sent to the caller.

``HealthCheckMiddleware`` answers both, placed right after the request-id middleware, before
everything else: a probe is not redirected to HTTPS (SECURE_SSL_REDIRECT), needs no Host of
ALLOWED_HOSTS (balancers probe a backend by its address), carries no session, is exempt from
CSRF and the login, and costs no session, language or user lookup.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse, HttpResponseNotAllowed

logger = logging.getLogger("ntm_portal.health")

OK, UNAVAILABLE, TIMEOUT = "ok", "unavailable", "timeout"


def _json(payload: dict, status: int) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), content_type="application/json", status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- The checks: each raises when its dependency cannot be used --------------------------------


def check_database() -> None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # This thread's own connection, opened for the check only.
        connections.close_all()


def check_cache() -> None:
    cache = caches["default"]
    ping = getattr(cache, "ping", None)  # ntm_portal.cache.ResilientRedisCache
    if ping is not None:
        ping()
        return
    key, token = "readyz:probe", os.urandom(8).hex()
    cache.set(key, token, 30)
    if cache.get(key) != token:
        raise RuntimeError("the cache did not return what was just stored")


def check_storage() -> None:
    storage = storages["default"]  # what default_storage wraps
    if isinstance(storage, FileSystemStorage):
        _check_directory(Path(storage.location))
        return
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        S3Storage = None
    if S3Storage is not None and isinstance(storage, S3Storage):
        _check_bucket(storage)
        return
    storage.exists("readyz-probe")


def _check_directory(location: Path) -> None:
    # MEDIA_ROOT is made by the first upload: until then its nearest existing parent must let
    # the process make it.
    existing = location
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"{existing} is not a writable directory")


def _check_bucket(storage) -> None:
    import boto3
    from botocore.config import Config

    quick = Config(
        connect_timeout=settings.READYZ_TIMEOUT,
        read_timeout=settings.READYZ_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    config = storage.client_config.merge(quick) if storage.client_config else quick
    session = boto3.session.Session(
        aws_access_key_id=storage.access_key,
        aws_secret_access_key=storage.secret_key,
        aws_session_token=storage.security_token,
    )
    client = session.client(
        "s3",
        region_name=storage.region_name,
        use_ssl=storage.use_ssl,
        endpoint_url=storage.endpoint_url,
        config=config,
        verify=storage.verify,
    )
    client.head_bucket(Bucket=storage.bucket_name)


CHECKS = {"database": check_database, "cache": check_cache, "storage": check_storage}


def run_checks(checks=None, timeout: float | None = None) -> dict[str, str]:
    """Every check's outcome, run in parallel, each given ``timeout`` seconds at most."""
    checks = CHECKS if checks is None else checks
    timeout = settings.READYZ_TIMEOUT if timeout is None else timeout
    errors: dict[str, BaseException | None] = {}

    def run(name, check):
        try:
            check()
        except Exception as error:
            errors[name] = error
        else:
            errors[name] = None

    threads = {
        name: threading.Thread(target=run, args=(name, check), name=f"readyz-{name}", daemon=True)
        for name, check in checks.items()
    }
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout
    outcome = {}
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            outcome[name] = TIMEOUT
            logger.warning("Readiness check %s: no answer within %.1f s.", name, timeout)
        elif errors.get(name) is not None:
            outcome[name] = UNAVAILABLE
            error = errors[name]
            logger.warning("Readiness check %s failed: %s: %s", name, type(error).__name__, error)
        else:
            outcome[name] = OK
    return outcome


def healthz(request) -> HttpResponse:
    return _json({"status": OK}, 200)


def readyz(request) -> HttpResponse:
    outcome = run_checks()
    ready = all(result == OK for result in outcome.values())
    failing = [name for name, result in outcome.items() if result != OK]
    payload = {"status": OK if ready else UNAVAILABLE, "checks": outcome}
    if failing:
        payload["failing"] = failing
    response = _json(payload, 200 if ready else 503)
    # Logged above, once per failing check, as a warning: not again as an error per probe.
    response._has_been_logged = True
    return response


PATHS = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = PATHS.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)
