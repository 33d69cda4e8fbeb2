from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # Record every write that can change a report (see reports.cache).
        from . import cache

        cache.connect_signals()
