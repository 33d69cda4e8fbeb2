"""Database sessions that end after SESSION_COOKIE_AGE seconds of inactivity, at the cost of
at most one write per user every SESSION_RENEW_SECONDS.

Django renews a session's expiry only when it saves the session. SESSION_SAVE_EVERY_REQUEST
would save it on every request of a logged-in user: one extra UPDATE per page (three queries
in a transaction), on every page, which the query-count tests would also have to carry. This
store instead counts as modified once its stored expiry is more than SESSION_RENEW_SECONDS
old, so SessionMiddleware saves it, and so renews the expiry, at most that often. A session
therefore ends between SESSION_COOKIE_AGE - SESSION_RENEW_SECONDS and SESSION_COOKIE_AGE after
the last request.
"""

import datetime

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key=None):
        self._stored_expiry = None
        super().__init__(session_key)

    def _get_session_from_db(self):
        stored = super()._get_session_from_db()
        self._stored_expiry = stored.expire_date if stored else None
        return stored

    async def _aget_session_from_db(self):
        stored = await super()._aget_session_from_db()
        self._stored_expiry = stored.expire_date if stored else None
        return stored

    @property
    def modified(self) -> bool:
        return self._modified or self._renewal_due()

    @modified.setter
    def modified(self, value: bool) -> None:
        self._modified = value

    def _validate_session_key(self, key):
        # Keys are 32 characters of [a-z0-9] (VALID_KEY_CHARS). Anything else in the cookie is
        # no session: it is never looked up, so a NUL in it cannot reach PostgreSQL (a 500).
        return (
            super()._validate_session_key(key)
            and len(key) <= 40
            and all(ch in VALID_KEY_CHARS for ch in key)
        )

    def _renewal_due(self) -> bool:
        # Only a session read from the database this request has a stored expiry: a session
        # nobody looked at is neither loaded nor renewed.
        if self._stored_expiry is None:
            return False
        renewed_at = self._stored_expiry - datetime.timedelta(seconds=self.get_session_cookie_age())
        return timezone.now() - renewed_at >= datetime.timedelta(
            seconds=settings.SESSION_RENEW_SECONDS
        )

    def save(self, must_create=False):
        super().save(must_create=must_create)
        self._stored_expiry = None
