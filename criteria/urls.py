from django.urls import path

from . import views

app_name = "criteria"

# The workflow routes come before the sets' catch-all slug.
urlpatterns = [
    path("", views.set_list, name="set_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("assessments/new/<str:code>/", views.assessment_start, name="assessment_start"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/evidence/", views.evidence_add, name="evidence_add"),
    path("assessments/<int:pk>/audit/", views.assessment_audit, name="assessment_audit"),
    path(
        "assessments/<int:pk>/conditions/",
        views.assessment_conditions,
        name="assessment_conditions",
    ),
    path(
        "assessments/<int:pk>/<slug:action>/",
        views.assessment_action,
        name="assessment_action",
    ),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("recognitions/<int:pk>/revoke/", views.recognition_revoke, name="recognition_revoke"),
    path("c/<str:code>/history/", views.commune_history, name="commune_history"),
    path("sets/<slug:code>/", views.set_detail, name="set_detail"),
]
