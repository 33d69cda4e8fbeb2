"""Strings of the Django admin that Django's own Vietnamese catalogue leaves in English.

The portal's catalogue (LOCALE_PATHS) comes before Django's, so translating them there fixes
the admin; gettext_noop only marks them, so that makemessages keeps them in the .po.
"""

from django.utils.translation import gettext_noop

ADMIN_STRINGS = (
    gettext_noop("Show counts"),
    gettext_noop("Hide counts"),
)
