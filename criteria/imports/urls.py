from django.urls import path

from . import group_views, views

app_name = "imports"

urlpatterns = [
    path("", views.home, name="home"),
    path("assessments/", views.upload, name="upload"),
    path("assessments/<str:token>/", views.preview, name="preview"),
    path("assessments/<str:token>/confirm/", views.confirm, name="confirm"),
    path("assessments/<str:token>/errors.xlsx", views.error_file, name="error_file"),
    path("jobs/<uuid:pk>/", views.job, name="job"),
    path("jobs/<uuid:pk>/retry/", views.job_retry, name="job_retry"),
    path("sets/", views.set_upload, name="set_upload"),
    path("sets/<str:token>/", views.set_preview, name="set_preview"),
    path("sets/<str:token>/confirm/", views.set_confirm, name="set_confirm"),
    path("sets/<str:code>/assessments.xlsx", views.export_assessments, name="export"),
    path("sets/<str:code>/workbook.xlsx", views.set_workbook, name="set_workbook"),
    path("templates/<str:kind>.xlsx", views.template_file, name="template"),
    path("groups/", group_views.group_upload, name="group_upload"),
    path("groups/<str:token>/", group_views.group_preview, name="group_preview"),
    path("groups/<str:token>/confirm/", group_views.group_confirm, name="group_confirm"),
]
