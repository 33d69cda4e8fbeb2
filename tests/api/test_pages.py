"""The open-data page, its data dictionary, the API's documentation page and schema."""

import json

import pytest
from django.conf import settings
from django.test import Client

from tests.security.test_csp_pages import inline_content

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/open-data/", "/open-data/data-dictionary/", "/api/v1/docs/"])
def test_pages_run_under_the_strict_csp(client, url):
    response = client.get(url)
    assert response.status_code == 200
    found = inline_content(response.content.decode())
    assert not (found.scripts or found.styles), found.scripts + found.styles
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy


def test_the_docs_page_needs_no_cdn(client):
    """Swagger UI's files are served by the portal (drf-spectacular-sidecar), so the page
    works offline; its settings script too (no inline script)."""
    html = client.get("/api/v1/docs/").content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in ("swagger-ui-bundle.", "swagger-ui-standalone-preset.", "swagger-ui."):
        assert f"/static/drf_spectacular_sidecar/swagger-ui-dist/{asset}" in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "/api/v1/schema/" in script.content.decode()


def test_the_open_data_page_is_vietnamese_with_english_by_the_switch(client):
    page = client.get("/open-data/").content.decode()
    assert "<h1>Dữ liệu mở</h1>" in page
    assert settings.OPEN_DATA_LICENCE in page
    for link in ("assessments.csv", "results.csv", "recognitions.csv", "ntm-open-data.jsonl"):
        assert f'href="/open-data/{link}"' in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "<h1>Open data</h1>" in client.get("/open-data/").content.decode()


def test_the_footer_links_to_the_open_data(client):
    page = client.get("/").content.decode()
    assert 'href="/open-data/"' in page and 'href="/api/v1/docs/"' in page


def test_the_data_dictionary_lists_every_column(client):
    from api import bulk

    page = client.get("/open-data/data-dictionary/").content.decode()
    for columns in (bulk.ASSESSMENT_COLUMNS, bulk.RESULT_COLUMNS, bulk.RECOGNITION_COLUMNS):
        for column in columns:
            assert f"<code>{column.name}</code>" in page
    assert "Ngày quyết định (năm-tháng-ngày)." in page


def test_the_schema_is_openapi_3_and_lists_every_endpoint():
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in (
        "/api/v1/provinces/",
        "/api/v1/communes/{code}/",
        "/api/v1/criteria-sets/{code}/",
        "/api/v1/assessments/",
        "/api/v1/recognitions/",
        "/api/v1/targets/",
        "/api/v1/dashboards/provinces/{code}/",
        "/api/v1/dashboards/districts/{code}/",
    ):
        assert path in paths
    # Read-only: nothing but GET.
    assert {m for item in schema["paths"].values() for m in item} <= {"get", "parameters"}
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"


def test_every_verification_tag_has_an_api_value():
    from api.serializers import VERIFICATION
    from criteria.enums import Verification

    assert set(VERIFICATION) == set(Verification)
    assert len(set(VERIFICATION.values())) == len(Verification)


def test_the_licence_is_a_setting_the_owner_decides(client, settings):
    """The default is CC BY 4.0; the data owner names another in the settings and the pages
    and the files follow."""
    assert settings.OPEN_DATA_LICENCE == "CC BY 4.0"
    assert settings.OPEN_DATA_LICENCE_URL == "https://creativecommons.org/licenses/by/4.0/"
    settings.OPEN_DATA_LICENCE = "ODC-BY 1.0"
    settings.OPEN_DATA_LICENCE_URL = "https://opendatacommons.org/licenses/by/1-0/"
    for url in ("/open-data/", "/open-data/data-dictionary/"):
        page = client.get(url).content.decode()
        assert '<a href="https://opendatacommons.org/licenses/by/1-0/" rel="license">' in page
        assert "ODC-BY 1.0" in page and "CC BY" not in page
    response = client.get("/open-data/recognitions.csv")
    assert response.headers["X-Content-Licence"] == "ODC-BY 1.0"
