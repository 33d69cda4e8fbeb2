"""The cache on Redis (CACHE_URL=redis://..., ntm_portal.cache): shared by the processes of a
cluster, exact under the report version, and harmless when Redis is down."""

import logging
import pickle
import secrets
import time
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.urls import reverse

from communes.models import District
from ntm_portal.cache import ResilientRedisCache, _Breaker
from tests.factories import legacy_unit

from .conftest import closed_port, hanging_server, redis_cache_settings

pytestmark = pytest.mark.django_db

KY_ANH = "447"
DASHBOARD = reverse("reports:district_dashboard", args=[KY_ANH]) + "?as_of=2025-06-30"
MARKER = "<h1>Served from the shared cache</h1>"


def logged_in_session(shared_database, username: str) -> str:
    """A session of ``username`` written to the shared database; its key."""
    user = get_user_model().objects.get(username=username)
    data = SessionStore().encode(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
    )
    key = secrets.token_hex(16)
    shared_database.execute(
        "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (%s, %s, %s)",
        (key, data, "2099-01-01 00:00:00+00:00"),
    )
    return key


def get(server, session_key: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        server.url + DASHBOARD,
        headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}; "
            f"{settings.LANGUAGE_COOKIE_NAME}=en",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        assert response.status == 200
        return response.read().decode()


def body_keys(redis_db) -> list[bytes]:
    return sorted(redis_db.scan_iter(match="ntm-portal:1:reports:body:*"))


def test_an_entry_cached_by_one_process_is_served_by_the_other(
    redis_db, shared_database, start_server
):
    env = {
        "DATABASE_URL": shared_database.url,
        "CACHE_URL": redis_db.url,
        "SECRET_KEY": settings.SECRET_KEY,
    }
    first, second = start_server(**env), start_server(**env)
    session = logged_in_session(shared_database, "kyanh")
    try:
        page = get(first, session)
        assert "Dashboard: Huyện Kỳ Anh" in page
        [key] = body_keys(redis_db)

        # The other process's next page is the entry the first one stored: replaced here by a
        # marker, which only a read of that Redis entry can put on the page.
        redis_db.set(key, pickle.dumps(MARKER), keepttl=True)
        assert MARKER in get(second, session)
        assert MARKER in get(first, session)

        # A write (here a report change committed by a third process, as any write records
        # one) changes the province's version: neither process serves the old entry again.
        province_id = legacy_unit(District, KY_ANH).province_id
        shared_database.execute(
            "INSERT INTO reports_reportchange (province_id, token, created_at) VALUES (%s, %s, %s)",
            (province_id, 12345, "2026-01-01 00:00:00+00:00"),
        )
        fresh = get(second, session)
        assert MARKER not in fresh and "Dashboard: Huyện Kỳ Anh" in fresh
        assert MARKER not in get(first, session)
        assert len(body_keys(redis_db)) == 2
    finally:
        shared_database.execute("DELETE FROM django_session WHERE session_key = %s", (session,))
        shared_database.execute("DELETE FROM reports_reportchange WHERE token = %s", (12345,))


def _dashboard(client):
    client.force_login(get_user_model().objects.get(username="kyanh"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(DASHBOARD)


def test_the_portal_uses_the_redis_cache(client, redis_cache):
    assert isinstance(caches["default"], ResilientRedisCache)
    assert _dashboard(client).status_code == 200
    assert len(body_keys(redis_cache)) == 1


def test_pages_are_served_when_redis_is_down_with_one_warning(client, redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="ntm_portal.cache"):
        first = _dashboard(client)
        second = _dashboard(client)
    assert first.status_code == second.status_code == 200
    assert "Dashboard: Huyện Kỳ Anh" in second.content.decode()
    warnings = [r for r in caplog.records if r.name == "ntm_portal.cache"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "Cache unavailable" in warnings[0].getMessage()


def test_a_redis_that_hangs_costs_one_short_timeout_per_period(settings, caplog):
    listener = hanging_server()
    try:
        port = listener.getsockname()[1]
        backend = ResilientRedisCache(
            redis_cache_settings(f"redis://127.0.0.1:{port}/5")["LOCATION"],
            {"OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}},
        )
        started = time.monotonic()
        assert backend.get("k", "miss") == "miss"
        first_call = time.monotonic() - started
        started = time.monotonic()
        for _ in range(50):
            assert backend.get("k", "miss") == "miss"
            backend.set("k", "v")
        later_calls = time.monotonic() - started
    finally:
        listener.close()
    assert 0.25 <= first_call < 2
    assert later_calls < 0.1  # the breaker: Redis is not asked again within the period


def test_the_cache_is_used_again_once_redis_answers(redis_db, monkeypatch, caplog):
    monkeypatch.setattr(_Breaker, "RETRY_SECONDS", 0.2)
    down = ResilientRedisCache(f"redis://127.0.0.1:{closed_port()}/5", {})
    assert down.add("k", "v") is False
    up = ResilientRedisCache(redis_db.url, {"KEY_PREFIX": "ntm-portal"})
    up.set("k", "v")
    assert up.get("k") == "v"
    assert up.get_many(["k", "missing"]) == {"k": "v"}


def test_a_redis_error_that_is_not_an_outage_still_raises(redis_db):
    backend = ResilientRedisCache(redis_db.url, {})
    redis_db.lpush(":1:a-list", "x")  # a key of another type: WRONGTYPE
    with pytest.raises(Exception, match="WRONGTYPE"):
        backend.get("a-list")


def test_settings_select_the_resilient_redis_backend_for_a_redis_url():
    import environ

    config = redis_cache_settings("redis://127.0.0.1:6379/5")
    assert config["BACKEND"] == "ntm_portal.cache.ResilientRedisCache"
    # django-environ maps redis:// to Django's own backend, which ours extends.
    assert environ.Env.cache_url_config("redis://127.0.0.1:6379/5")["BACKEND"] == (
        "django.core.cache.backends.redis.RedisCache"
    )
    assert settings.SESSION_ENGINE == "ntm_portal.sessions"  # database-backed
