from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunesConfig(AppConfig):
    name = "communes"
    verbose_name = _("Administrative units")


class LoginLocksConfig(AxesAppConfig):
    """django-axes under a name the admin shows in the portal's language (its app is listed
    in the admin for communes.lockouts)."""

    verbose_name = _("Login locks")
