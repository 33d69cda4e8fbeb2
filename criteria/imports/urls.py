from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("assessments/", views.upload, name="upload"),
    path("assessments/<str:token>/", views.preview, name="preview"),
    path("assessments/<str:token>/confirm/", views.confirm, name="confirm"),
    path("assessments/<str:token>/errors.xlsx", views.error_file, name="error_file"),
]
