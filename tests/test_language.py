"""Vietnamese by default, English only by choice."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_browser_language_does_not_switch_the_portal_to_english(client):
    body = client.get(reverse("criteria:set_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="vi">' in body.content.decode()


def test_language_switch_turns_the_portal_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("criteria:set_list")).content.decode()
    assert '<html lang="en">' in body
    assert "Criteria sets" in body


def test_criterion_level_assessment_shows_no_indicator_count(client):
    # Thuận Lộc was assessed item by item; an indicator count of "0/9" would mislead.
    body = client.get(reverse("reports:commune", args=["18130"])).content.decode()
    # The reported 12/17 leaned on 3 placeholder items: 9 are counted, the 3 said apart.
    assert "9/17" in body and "data-placeholder-note" in body
    assert "0/9" not in body


def test_commune_heading_does_not_repeat_the_kind(client):
    body = client.get(reverse("reports:commune", args=["20128"])).content.decode()
    assert "<h1>Xã Lộc Bổn</h1>" in body
    client.cookies["django_language"] = "en"
    english = client.get(reverse("reports:commune", args=["20128"])).content.decode()
    assert '<h1>Xã Lộc Bổn <span class="unit-kind">Commune (xã)</span></h1>' in english
