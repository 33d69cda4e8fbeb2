from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("NTM portal administration")
admin.site.site_title = _("NTM portal")
admin.site.index_title = _("Data administration")

# The Django admin, django-import-export's export page and django-simple-history's history
# page put inline styles (style="..." and <style> blocks) in their HTML, which the portal's CSP
# forbids; the export page also has one inline handler, onchange="onSelectToggleChange(event)"
# (its "select all" box). Only the views under /admin/ get 'unsafe-inline' styles and that one
# handler, by its hash; no inline <script> runs anywhere, and every other page keeps the strict
# policy. tests/security/test_csp_pages.py fails if the admin grows another inline script.
IMPORT_EXPORT_SELECT_ALL = "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"
ADMIN_CSP = csp_update(
    {
        "style-src": ["'unsafe-inline'"],
        "script-src": ["'unsafe-hashes'", IMPORT_EXPORT_SELECT_ALL],
    }
)


def _with_admin_csp(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _with_admin_csp(pattern.url_patterns)
        else:
            pattern.callback = ADMIN_CSP(pattern.callback)
    return patterns


admin_patterns, admin_app_name, admin_namespace = admin.site.urls

urlpatterns = [
    path("admin/", (_with_admin_csp(admin_patterns), admin_app_name, admin_namespace)),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch is the only view of django.conf.urls.i18n the portal uses.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("criteria/", include("criteria.urls")),
    path("imports/", include("criteria.imports.urls")),
    path("api/v1/", include("api.urls")),
    path("open-data/", include("api.open_data_urls")),
    path("", include("reports.urls")),
]
