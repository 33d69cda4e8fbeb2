from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.national_dashboard, name="national_dashboard"),
    path("p/<str:code>/", views.province, name="province"),
    path("p/<str:code>/dashboard/", views.province_dashboard, name="province_dashboard"),
    path(
        "p/<str:code>/dashboard.xlsx",
        views.province_dashboard_xlsx,
        name="province_dashboard_xlsx",
    ),
    path("d/<str:code>/", views.district, name="district"),
    path("d/<str:code>/dashboard/", views.district_dashboard, name="district_dashboard"),
    path(
        "d/<str:code>/dashboard.xlsx",
        views.district_dashboard_xlsx,
        name="district_dashboard_xlsx",
    ),
    path("c/<str:code>/", views.commune, name="commune"),
]
