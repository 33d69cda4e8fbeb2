"""Django's Redis cache backend, made harmless when Redis is down (README, "Deployment").

Nothing the portal keeps in the cache is data: dashboard bodies are keyed by the province's
report version (reports.cache), so a miss only costs a render, and the API's rate-limit
counters start again. So a Redis that cannot be reached must never turn a page into a 500:

- every call that fails with a connection or timeout error answers as a miss would (``get``
  returns the default, ``set`` stores nothing, ``add`` and ``delete`` return False);
- after a failure the process stops asking Redis for ``RETRY_SECONDS`` (a circuit breaker), so
  an outage costs at most one failed connection per process and period, not one per call;
- the failure is logged as a warning at most once per ``WARN_EVERY_SECONDS`` per process, and
  once more (at info level) when Redis answers again.

The socket timeouts are short (settings: ``socket_connect_timeout``, ``socket_timeout``), so a
Redis that hangs rather than refuses costs a fraction of a second, and only once per period.
Sessions do not live in the cache (SESSION_ENGINE is database-backed), so an outage logs
nobody out.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger("ntm_portal.cache")

# Connection refused, reset, unknown host, and a read or connect that timed out. Other errors
# (a wrong command, a serialisation bug) are real bugs and still raise.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class _Breaker:
    """Per process (shared by the threads' backend instances) and per Redis location."""

    RETRY_SECONDS = 5.0
    WARN_EVERY_SECONDS = 60.0

    def __init__(self):
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.last_warning = float("-inf")
        self.down = False

    def open_(self) -> bool:
        """True while calls should skip Redis."""
        return time.monotonic() < self.down_until

    def failed(self, location: str, operation: str, error: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.down_until = now + self.RETRY_SECONDS
            self.down = True
            warn = now - self.last_warning >= self.WARN_EVERY_SECONDS
            if warn:
                self.last_warning = now
        if warn:
            logger.warning(
                "Cache unavailable (%s on %s: %s): pages are served without the cache; "
                "retrying every %.0f s, next warning in %.0f s at the earliest.",
                type(error).__name__,
                operation,
                location,
                self.RETRY_SECONDS,
                self.WARN_EVERY_SECONDS,
            )

    def succeeded(self, location: str) -> None:
        if self.down:
            with self.lock:
                was_down, self.down = self.down, False
            if was_down:
                logger.info("Cache available again: %s", location)


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker_for(location: str) -> _Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, _Breaker())


def reset_breakers() -> None:
    """Forget every outage (tests)."""
    with _breakers_lock:
        _breakers.clear()


def _degrades_to(fallback):
    """Run the backend's method; on a connection or timeout error answer ``fallback(args)``."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            breaker = self._breaker
            if breaker.open_():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                breaker.failed(self._location_label, method.__name__, error)
                return fallback(*args, **kwargs)
            breaker.succeeded(self._location_label)
            return result

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _no_entries(*args, **kwargs):
    return {}


def _all_keys_failed(data, *args, **kwargs):
    # set_many's contract: the keys that were not stored.
    return list(data)


def _incr_unavailable(key, *args, **kwargs):
    # As for a missing key: the caller (none in the portal) must start the count itself.
    raise ValueError(f"Key '{key}' not found (the cache is unavailable).")


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that degrades to a cache that misses
    while Redis cannot be reached (see the module's docstring)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        # No retry inside one call: the breaker decides when Redis is tried again. (redis-py
        # retries a failed connection with a backoff by default, a third of a second lost.)
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, {**params, "OPTIONS": options})
        # The servers without their passwords, for the log and the breaker's key.
        self._location_label = ",".join(s.rsplit("@", 1)[-1] for s in self._servers)

    @property
    def _breaker(self) -> _Breaker:
        # Looked up on each call, not kept: reset_breakers() then applies to every instance.
        return _breakers.get(self._location_label) or _breaker_for(self._location_label)

    get = _degrades_to(_default)(RedisCache.get)
    get_many = _degrades_to(_no_entries)(RedisCache.get_many)
    has_key = _degrades_to(_false)(RedisCache.has_key)
    set = _degrades_to(_nothing)(RedisCache.set)
    set_many = _degrades_to(_all_keys_failed)(RedisCache.set_many)
    add = _degrades_to(_false)(RedisCache.add)
    touch = _degrades_to(_false)(RedisCache.touch)
    delete = _degrades_to(_false)(RedisCache.delete)
    delete_many = _degrades_to(_nothing)(RedisCache.delete_many)
    clear = _degrades_to(_false)(RedisCache.clear)
    incr = _degrades_to(_incr_unavailable)(RedisCache.incr)

    def ping(self) -> None:
        """Ask Redis for PONG, bypassing the breaker (the readiness check); raises on failure."""
        client = self._cache.get_client(write=True)
        client.ping()
