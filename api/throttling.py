"""Rate limits: per token (or logged-in user) and per client address for anonymous callers.
Counts live in the cache (CACHE_URL): per process with the default local-memory cache, so a
server with several workers allows each caller up to that many times the rate unless
CACHE_URL names a shared cache."""

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class PerTokenThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerAddressThrottle(SimpleRateThrottle):
    scope = "address"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
