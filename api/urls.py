from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's settings as a script file, not an inline <script>,
    # so the page runs under the portal's Content-Security-Policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("provinces/", views.ProvinceList.as_view(), name="province_list"),
    path("provinces/<str:code>/", views.ProvinceDetail.as_view(), name="province_detail"),
    path("districts/", views.DistrictList.as_view(), name="district_list"),
    path("districts/<str:code>/", views.DistrictDetail.as_view(), name="district_detail"),
    path("communes/", views.CommuneList.as_view(), name="commune_list"),
    path("communes/<str:code>/", views.CommuneDetail.as_view(), name="commune_detail"),
    path("criteria-sets/", views.CriteriaSetList.as_view(), name="set_list"),
    path("criteria-sets/<str:code>/", views.CriteriaSetDetail.as_view(), name="set_detail"),
    path("assessments/", views.AssessmentList.as_view(), name="assessment_list"),
    path("recognitions/", views.RecognitionList.as_view(), name="recognition_list"),
    path("targets/", views.TargetList.as_view(), name="target_list"),
    path(
        "dashboards/provinces/<str:code>/",
        views.ProvinceDashboard.as_view(),
        name="province_dashboard",
    ),
    path(
        "dashboards/districts/<str:code>/",
        views.DistrictDashboard.as_view(),
        name="district_dashboard",
    ),
]
