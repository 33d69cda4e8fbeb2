"""Rate limits: per token (or logged-in user) and per client address for anonymous callers.
Counts live in the cache (CACHE_URL): per process with the default local-memory cache, so a
server with several workers allows each caller up to that many times the rate unless
CACHE_URL names a shared cache.

The bulk files of /open-data/ have limits of their own (``bulk_token``, ``bulk_address``;
settings OPEN_DATA_RATE_TOKEN and OPEN_DATA_RATE_ADDRESS), counted apart from the API's: one
national file costs the server seconds where an API page costs milliseconds."""

import functools
import math

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .authentication import ApiTokenAuthentication
from .models import ApiToken


class SettingsRateThrottle(SimpleRateThrottle):
    """A rate read from the settings at each request, not once at import as DRF's
    SimpleRateThrottle.THROTTLE_RATES is: a changed setting applies at once."""

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no rate for {self.scope!r}."
            ) from None


class PerTokenThrottle(SettingsRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerAddressThrottle(SettingsRateThrottle):
    scope = "address"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BulkPerTokenThrottle(PerTokenThrottle):
    scope = "bulk_token"


class BulkPerAddressThrottle(PerAddressThrottle):
    scope = "bulk_address"


BULK_THROTTLES = (BulkPerTokenThrottle, BulkPerAddressThrottle)


def _text(message, status, **headers):
    # Plain text: the files are fetched by browsers, curl and scripts alike, none of which
    # asked for JSON.
    return HttpResponse(
        message, status=status, content_type="text/plain; charset=utf-8", headers=headers
    )


def throttle_bulk_download(view):
    """Count each request for a bulk file against its caller, as the API counts its requests:
    a token (``Authorization: Bearer``) or a signed-in user at ``bulk_token``, an anonymous
    address at ``bulk_address``. Over the limit: 429, ``Retry-After`` and a sentence that says
    when to retry, before any row is read. A wrong or revoked token is a 401, as in the API."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        caller = Request(
            request, authenticators=[ApiTokenAuthentication(), SessionAuthentication()]
        )
        try:
            caller.user  # noqa: B018 - authenticates (the token first, then the session)
        except exceptions.AuthenticationFailed as refusal:
            return _text(str(refusal.detail), 401, **{"WWW-Authenticate": 'Bearer realm="api"'})
        waits = []
        for throttle in (cls() for cls in BULK_THROTTLES):
            if not throttle.allow_request(caller, None):
                waits.append(throttle.wait() or 1)
        if waits:
            seconds = max(1, math.ceil(max(waits)))
            return _text(
                _(
                    "Too many downloads of the bulk files: the limit for this token or address "
                    "is reached. Try again in %(seconds)d seconds."
                )
                % {"seconds": seconds},
                429,
                **{"Retry-After": str(seconds)},
            )
        return view(request, *args, **kwargs)

    return wrapped
