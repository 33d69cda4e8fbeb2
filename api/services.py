"""Issuing and revoking API tokens (the admin calls these)."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from .models import ApiToken

# 32 random bytes, URL-safe: 43 characters.
TOKEN_BYTES = 32


def hash_key(key: str) -> str:
    """The stored form of a token. A plain SHA-256 is enough: the token is 256 random bits,
    so there is nothing to brute-force (unlike a password), and the lookup stays one indexed
    query per request."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(*, user, name: str, issued_by=None) -> tuple[ApiToken, str]:
    """A new token for ``user``. Returns the row and the token itself, which is not stored
    anywhere: the caller shows it once. Side effect: one ApiToken row."""
    key = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:8], key_hash=hash_key(key), created_by=issued_by
        )
    return token, key


def revoke_tokens(*, tokens) -> int:
    """Revoke the tokens of the ``tokens`` queryset not revoked yet; a revoked token is
    refused from its next request on. Returns how many were revoked."""
    with transaction.atomic():
        return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
