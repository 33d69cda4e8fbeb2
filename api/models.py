"""Per-user API tokens: an administrator issues one for an account, it is shown once, and only
its SHA-256 is kept (a leaked database does not leak usable tokens)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Tokens not revoked, of active accounts."""
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token acting as ``user``: it reads exactly what that user may read (the
    subtree rule of communes.selectors), and nothing more, since the API has no writes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the province's BI.")
    )
    # The first characters of the token, kept in clear so that an administrator can tell which
    # token a client uses; too short to guess the rest from.
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Looked up by hash on every API request (api.authentication).
            models.UniqueConstraint(fields=["key_hash"], name="api_token_key_hash_unique"),
            models.CheckConstraint(condition=~Q(key_hash=""), name="api_token_has_hash"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
