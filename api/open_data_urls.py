from django.urls import path

from . import open_data

app_name = "open_data"

urlpatterns = [
    path("", open_data.index, name="index"),
    path("data-dictionary/", open_data.dictionary, name="dictionary"),
    path("<slug:name>.csv", open_data.csv_file, name="csv"),
    path("ntm-open-data.jsonl", open_data.jsonl_file, name="jsonl"),
]
