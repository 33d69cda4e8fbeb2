"""``Authorization: Bearer <token>`` (or ``Token <token>``) for the API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import hash_key

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """A token acts as its user. A wrong, revoked or malformed token is a 401, never a silent
    fallback to the anonymous view: a client must learn that its token stopped working."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: write “Bearer” and the token, nothing else.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = (
            ApiToken.objects.usable().select_related("user").filter(key_hash=hash_key(key)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or was revoked."))
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
