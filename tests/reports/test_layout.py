"""The shared page frame: language switching without JavaScript, login and logout, and no
inline script or style (so a strict Content-Security-Policy can apply)."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.factories import (
    PASSWORD,
    make_assessment,
    make_commune,
    make_criteria_set,
    make_recognition,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_home_renders_in_vietnamese_by_default(client):
    html = client.get(reverse("reports:home")).content.decode()

    assert '<html lang="vi">' in html
    with translation.override("vi"):
        assert translation.gettext("New Rural Area tracking portal") in html


def test_home_renders_in_english_after_switching_language(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("reports:home")}
    )
    assert response.status_code == 302
    assert response.url == reverse("reports:home")

    html = client.get(reverse("reports:home")).content.decode()

    assert '<html lang="en">' in html
    assert "New Rural Area tracking portal" in html
    assert "Communes, wards and towns" in html


def test_commune_renders_in_english_with_language_cookie(client):
    commune = make_commune()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("reports:commune", args=[commune.code])).content.decode()

    assert '<html lang="en">' in html
    assert "This commune has no public assessment yet." in html


def test_language_form_posts_without_javascript(client):
    html = client.get(reverse("reports:home")).content.decode()

    form = re.search(r'<form class="language-form".*?</form>', html, re.S).group(0)
    assert f'action="{reverse("set_language")}"' in form and 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'type="submit" name="language" value="en"' in form
    assert 'type="submit" name="language" value="vi"' in form


def test_pages_have_no_inline_script_or_style(client):
    commune = make_commune()
    criteria_set = make_criteria_set(n_criteria=4, indicators_per_criterion=1)
    make_assessment(unit=commune, criteria_set=criteria_set, met=[1, 2], indicators_met=2)
    make_recognition(unit=commune)
    urls = [
        reverse("reports:home"),
        reverse("reports:province", args=[commune.province.code]),
        reverse("reports:district", args=[commune.district.code]),
        reverse("reports:commune", args=[commune.code]),
        reverse("login"),
    ]
    for url in urls:
        html = client.get(url).content.decode()

        assert "<script" not in html, url
        assert "<style" not in html, url
        assert " style=" not in html, url
        assert not re.search(r" on[a-z]+=", html), url


def test_anonymous_visitor_sees_login_link(client):
    html = client.get(reverse("reports:home")).content.decode()

    assert f'href="{reverse("login")}?next=/"' in html
    assert reverse("logout") not in html


def test_logged_in_user_logs_out_with_a_post_form(client):
    user = make_user()
    client.force_login(user)

    html = client.get(reverse("reports:home")).content.decode()

    assert re.search(rf'<form[^>]*method="post"[^>]*action="{reverse("logout")}"', html)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_page_renders_form_and_logs_in(client):
    make_user("alice")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("login")).content.decode()

    assert 'name="username"' in html and 'name="password"' in html
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("reports:home")


def test_login_page_shows_error_for_wrong_password(client):
    make_user("bob")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(reverse("login"), {"username": "bob", "password": "wrong"})

    assert response.status_code == 400  # a refused form, like every form of the portal
    assert 'role="alert"' in response.content.decode()
