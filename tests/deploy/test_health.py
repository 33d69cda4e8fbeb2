"""/healthz and /readyz (ntm_portal.health): answered before the host check, the HTTPS
redirect and the session; /readyz fails, naming the dependency, when each one is stopped."""

import json
import subprocess
import sys
import time

import pytest
from django.conf import settings

from ntm_portal import health

from .conftest import closed_port, redis_cache_settings

CHECKS = {"database", "cache", "storage"}


def test_healthz_answers_without_the_database_host_check_or_https_redirect(client, settings):
    # No django_db mark: a query would fail the test.
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8001")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_health_endpoints_take_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    response = client.post("/healthz")  # no CSRF token needed to be refused as a method
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_readyz_is_200_with_each_check_when_everything_answers(client, redis_cache, s3):
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok"},
    }
    assert not response.cookies


@pytest.mark.django_db
def test_readyz_on_the_default_local_disk_and_memory_cache(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media" / "not-made-yet"
    assert client.get("/readyz").status_code == 200
    (tmp_path / "a-file").write_text("")
    settings.MEDIA_ROOT = tmp_path / "a-file" / "media"  # cannot be made, even by root
    response = client.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["failing"] == ["storage"]


def assert_fails_on(response, name: str, *secrets: str):
    assert response.status_code == 503
    payload = json.loads(response.content)
    assert payload["status"] == "unavailable"
    assert payload["failing"] == [name]
    assert payload["checks"][name] == "unavailable"
    assert set(payload["checks"]) == CHECKS
    assert all(payload["checks"][other] == "ok" for other in CHECKS - {name})
    body = response.content.decode()
    for secret in ("127.0.0.1", "refused", "Error", *secrets):
        assert secret not in body


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_redis_is_stopped(client, redis_down, caplog):
    response = client.get("/readyz")
    assert_fails_on(response, "cache")
    assert any("Readiness check cache failed" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_readyz_is_503_naming_the_storage_when_s3_is_stopped(client, settings, s3):
    port = closed_port()
    settings.STORAGES["default"]["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{port}"
    settings.STORAGES = dict(settings.STORAGES)  # tells Django the storages changed
    assert_fails_on(client.get("/readyz"), "storage", str(port), s3.bucket)


@pytest.mark.django_db
def test_readyz_is_503_naming_the_storage_when_the_bucket_is_missing(client, s3):
    s3.client.delete_bucket(Bucket=s3.bucket)
    assert_fails_on(client.get("/readyz"), "storage", s3.bucket)


def test_readyz_is_503_naming_the_database_when_it_is_stopped(tmp_path):
    """In a process of its own, whose DATABASE_URL names a PostgreSQL port nothing listens on."""
    port = closed_port()
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/readyz')\n"
        "print(json.dumps({'status': r.status_code, 'body': r.content.decode()}))\n"
    )
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "ntm_portal.settings",
            "SECRET_KEY": "test-only-insecure-key",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/ntm_nowhere",
            "MEDIA_ROOT": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    payload = json.loads(answer["body"])
    assert payload["failing"] == ["database"]
    assert payload["checks"] == {"database": "unavailable", "cache": "ok", "storage": "ok"}
    assert str(port) not in answer["body"] and "ntm_nowhere" not in answer["body"]
    # Logged with the request's id, the detail there and not in the answer.
    assert "Readiness check database failed" in result.stderr
    assert time.monotonic() - started < 30


def test_a_check_that_does_not_answer_in_time_is_a_timeout(caplog):
    outcome = health.run_checks({"slow": lambda: time.sleep(2), "fast": lambda: None}, 0.2)
    assert outcome == {"slow": "timeout", "fast": "ok"}
    assert any("no answer within" in r.getMessage() for r in caplog.records)


def test_redis_cache_check_pings_the_server(settings, redis_db):
    settings.CACHES = {"default": redis_cache_settings(redis_db.url)}
    health.check_cache()
    settings.CACHES = {"default": redis_cache_settings(f"redis://127.0.0.1:{closed_port()}/5")}
    with pytest.raises(Exception, match="onnect"):
        health.check_cache()
