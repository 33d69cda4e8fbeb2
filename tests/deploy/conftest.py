"""The services a cluster adds (README, "Deployment"), started for real by the tests: Redis
(DB 5 of the machine's, TEST_REDIS_URL, emptied before and after each test; a throwaway
redis-server when none answers), a local S3 server (moto's server mode, on a free port, for
the whole session), and gunicorn processes sharing a database with the test."""

import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.server import free_port, start_gunicorn
from ntm_portal import cache as resilient_cache
from ntm_portal.storage import s3_storage

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
S3_KEYS = {"access_key": "ntm-test", "secret_key": "ntm-test-secret", "region_name": "us-east-1"}


def closed_port() -> int:
    """A loopback port nothing listens on (taken from the system, then released)."""
    return free_port()


def redis_cache_settings(url: str) -> dict:
    """CACHES["default"] as settings.py builds it for CACHE_URL=url."""
    import environ

    config = environ.Env.cache_url_config(url)
    config["BACKEND"] = "ntm_portal.cache.ResilientRedisCache"
    config["KEY_PREFIX"] = "ntm-portal"
    config["OPTIONS"] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    return config


def _answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """TEST_REDIS_URL (DB 5 of the machine's Redis) when it answers; else a throwaway
    redis-server (Debian's package) on a free loopback port for the session."""
    if _answers(REDIS_URL):
        yield REDIS_URL
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(f"These tests need Redis at {REDIS_URL} (TEST_REDIS_URL) or redis-server.")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - Debian's redis-server, loopback only
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/5"
    for _ in range(100):
        if _answers(url):
            break
        time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("redis-server did not start in 10 s")
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_db(redis_url):
    """The tests' Redis database, empty; ``.url`` is its address."""
    client = redis.Redis.from_url(redis_url)
    client.url = redis_url
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def _forget_outages():
    resilient_cache.reset_breakers()
    yield
    resilient_cache.reset_breakers()


@pytest.fixture
def redis_cache(settings, redis_db):
    """The portal's cache on the tests' Redis database."""
    settings.CACHES = {"default": redis_cache_settings(redis_db.url)}
    return redis_db


@pytest.fixture
def redis_down(settings):
    """The portal's cache pointed at a Redis that is not running."""
    settings.CACHES = {"default": redis_cache_settings(f"redis://127.0.0.1:{closed_port()}/5")}


@pytest.fixture(scope="session")
def s3_server():
    """A local S3 server (moto in server mode) for the session; its URL."""
    from moto.server import ThreadedMotoServer

    # Its request log (werkzeug's, at INFO) is noise in the tests' output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(settings, s3_server, tmp_path):
    """The default storage on a new, private bucket of the local S3 server (as settings.py
    configures it for AWS_STORAGE_BUCKET_NAME). MEDIA_ROOT points at an empty directory, so a
    test can check that nothing was written to the local disk."""
    import boto3

    bucket = f"ntm-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=S3_KEYS["access_key"],
        aws_secret_access_key=S3_KEYS["secret_key"],
        region_name=S3_KEYS["region_name"],
    )
    client.create_bucket(Bucket=bucket)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(bucket_name=bucket, endpoint_url=s3_server, **S3_KEYS),
    }
    yield SimpleNamespace(client=client, bucket=bucket, endpoint=s3_server)


def object_names(s3) -> list[str]:
    listed = s3.client.list_objects_v2(Bucket=s3.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def object_bytes(s3, key: str) -> bytes:
    return s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


# -- Processes sharing the test's database ------------------------------------------------------


@pytest.fixture
def shared_database(db, tmp_path):
    """A DATABASE_URL that other processes can open, holding the test database's committed
    data (the demo), and ``execute(sql, params)``: a committed write to it, as another process
    would make. SQLite: a copy of the in-memory test database in a file. PostgreSQL: the test
    database itself (what ``execute`` writes is the caller's to undo)."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        path = tmp_path / "shared.sqlite3"
        # The test's own view of it (a backup would wait for the test's open transaction).
        path.write_bytes(connection.connection.serialize())

        def execute(sql, params=()):
            with sqlite3.connect(path) as db_file:
                db_file.execute(sql.replace("%s", "?"), params)

        return SimpleNamespace(url=f"sqlite:///{path}", execute=execute)
    if connection.vendor == "postgresql":
        import psycopg

        conf = connection.settings_dict
        auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
        url = f"postgres://{auth}@{conf['HOST']}:{conf['PORT'] or 5432}/{conf['NAME']}"

        def execute(sql, params=()):
            with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as c:
                c.execute(sql, params)

        return SimpleNamespace(url=url, execute=execute)
    pytest.fail(f"No shared database for {connection.vendor}")


@pytest.fixture(scope="session")
def collected_static(django_db_blocker):
    """Servers run with DEBUG off, which needs collectstatic's manifest (make test makes it)."""
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def start_server(tmp_path, collected_static):
    """``start_server(**env)``: a gunicorn process (one worker) on a free loopback port with the
    portal's settings from ``env``; its base URL. Stopped after the test; its output is in
    ``server.log``."""
    started = []

    def start(**env):
        port = free_port()
        log = (tmp_path / f"gunicorn-{port}.log").open("w")
        server = start_gunicorn(
            port=port,
            workers=1,
            env={
                **os.environ,
                "DEBUG": "0",
                "SECRET_KEY": "test-only-insecure-key",
                "ALLOWED_HOSTS": "127.0.0.1",
                "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                **env,
            },
            log=log,
        )
        started.append((server, log))
        return SimpleNamespace(url=f"http://127.0.0.1:{port}", log=tmp_path / log.name)

    yield start
    for server, log in started:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def hanging_server():
    """A socket that accepts connections and never answers; close it when done."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener
