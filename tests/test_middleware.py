"""ntm_portal.middleware.CompressPagesMiddleware: pages and text go out gzip-compressed to
browsers that accept it; files compressed already go out as they are."""

import gzip
import io

import pytest
from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from communes.enums import Role
from ntm_portal.middleware import CompressPagesMiddleware, PrivatePagesMiddleware
from tests.factories import make_user

BROWSER = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}
PAGE = ("<tr><td>Xã Lâm Hợp</td><td>✓</td></tr>\n" * 200).encode()


def compressed(response, **headers):
    request = RequestFactory().get("/", **headers)
    return CompressPagesMiddleware(lambda _: response)(request)


@pytest.mark.parametrize(
    "content_type",
    ["text/html; charset=utf-8", "text/csv", "application/json", "image/svg+xml"],
)
def test_text_is_compressed_for_a_browser_that_accepts_gzip(content_type):
    response = compressed(HttpResponse(PAGE, content_type=content_type), **BROWSER)
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content) == PAGE
    assert len(response.content) < len(PAGE) / 10


def test_text_is_sent_as_it_is_to_a_client_that_does_not_accept_gzip():
    response = compressed(HttpResponse(PAGE, content_type="text/html"))
    assert not response.has_header("Content-Encoding")
    assert response.content == PAGE


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/pdf",
        "image/jpeg",
    ],
)
def test_files_compressed_already_are_sent_as_they_are(content_type):
    response = compressed(
        FileResponse(io.BytesIO(PAGE), content_type=content_type, as_attachment=True), **BROWSER
    )
    assert not response.has_header("Content-Encoding")
    assert b"".join(response.streaming_content) == PAGE


@pytest.mark.django_db
def test_a_dashboard_reaches_the_browser_compressed_and_its_export_does_not(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.ADMIN))
    url = reverse("reports:district_dashboard", args=["447"])
    before_merger = {"as_of": "2025-06-30"}  # districts exist only until then

    response = client.get(url, before_merger, **BROWSER)

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    page = gzip.decompress(response.content).decode()
    assert "Xã Lâm Hợp" in page and page.rstrip().endswith("</html>")
    assert len(response.content) < len(page.encode()) / 4

    export = client.get(
        reverse("reports:district_dashboard_xlsx", args=["447"]), before_merger, **BROWSER
    )
    assert export.status_code == 200
    assert not export.has_header("Content-Encoding")
    assert export.content[:2] == b"PK"


# -- PrivatePagesMiddleware -------------------------------------------------------------------


def private(response, cookies=None):
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies or {})
    return PrivatePagesMiddleware(lambda _: response)(request)


def test_a_page_for_a_session_is_private_and_never_stored_even_if_the_view_said_public():
    response = HttpResponse("dossier")
    response["Cache-Control"] = "public, max-age=600"
    answer = private(response, {settings.SESSION_COOKIE_NAME: "abc"})
    assert answer["Cache-Control"] == "private, no-store"


def test_a_response_that_starts_a_session_is_private():
    response = HttpResponse(status=302)
    response.set_cookie(settings.SESSION_COOKIE_NAME, "new")
    assert private(response)["Cache-Control"] == "private, no-store"


def test_an_anonymous_page_keeps_its_caching():
    response = HttpResponse("public overview")
    response["Cache-Control"] = "max-age=60"
    assert private(response)["Cache-Control"] == "max-age=60"


@pytest.mark.django_db
def test_logging_in_answers_private_no_store(client):
    make_user("canbo", password="Mat-khau-du-dai-2025")
    response = client.post(
        reverse("login"), {"username": "canbo", "password": "Mat-khau-du-dai-2025"}
    )
    assert response.status_code == 302
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
