from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/<str:code>/", views.province, name="province"),
    path("d/<str:code>/", views.district, name="district"),
    path("d/<str:code>/dashboard/", views.district_dashboard, name="district_dashboard"),
    path(
        "d/<str:code>/dashboard.xlsx",
        views.district_dashboard_xlsx,
        name="district_dashboard_xlsx",
    ),
    path("c/<str:code>/", views.commune, name="commune"),
]
