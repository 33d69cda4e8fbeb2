"""The reports' change log: what makes a cached dashboard stale (see reports.cache)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from communes.models import Province


class ReportChange(models.Model):
    """One committed write that may change the reports of ``province`` (of every province
    when it is null). A province's report version is the sum of the ``token`` of its rows and
    of the null rows; reports.cache explains why a sum of random tokens and not a counter."""

    province = models.ForeignKey(
        Province,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    # Random, 1 .. 2**31 - 1; a row that replaces pruned rows carries the sum of theirs.
    token = models.BigIntegerField(_("token"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("report change")
        verbose_name_plural = _("report changes")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(token__gt=0), name="report_change_token"),
        ]
        indexes = [
            # reports.cache.report_version: SUM(token) of one province's rows and the null
            # rows, read on every dashboard request (an index-only scan on PostgreSQL).
            models.Index(fields=["province", "token"], name="report_change_version_idx"),
        ]

    def __str__(self):
        return f"{self.province_id or 'all'}: {self.token}"
