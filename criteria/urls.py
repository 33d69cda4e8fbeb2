from django.urls import path

from . import views

app_name = "criteria"

urlpatterns = [
    path("", views.set_list, name="set_list"),
    path("<slug:code>/", views.set_detail, name="set_detail"),
]
