from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("NTM portal administration")
admin.site.site_title = _("NTM portal")
admin.site.index_title = _("Data administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("criteria/", include("criteria.urls")),
    path("imports/", include("criteria.imports.urls")),
    path("", include("reports.urls")),
]
