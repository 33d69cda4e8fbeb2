"""django-axes' app under a name the admin shows in the portal's language (its model is listed
in the admin by communes.lockouts). Not in communes/apps.py: a second AppConfig there would stop
Django from picking CommunesConfig for "communes" by itself."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class LoginLocksConfig(AxesAppConfig):
    verbose_name = _("Login locks")
