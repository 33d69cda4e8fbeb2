"""Login throttling (django-axes) and session expiry."""

import datetime
import io

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communes.enums import Role
from tests.factories import PASSWORD, make_commune, make_user

pytestmark = pytest.mark.django_db
LOCKED = "Logging in from your address failed 5 times"
HOME, AWAY = "203.0.113.10", "198.51.100.20"  # documentation addresses: no traffic is sent


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Each refused attempt still hashes the password; a slow hasher only slows the tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def official():
    return make_user("canbo", role=Role.COMMUNE_OFFICIAL, unit=make_commune())


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def log_in(client, password, username="canbo", url=None, address=HOME):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_four_wrong_passwords_only_show_the_form_error(client, official):
    for _ in range(4):
        response = log_in(client, "wrong")
        assert response.status_code == 400  # a refused form, like every form of the portal
        assert "registration/login.html" in [t.name for t in response.templates]
    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_fifth_wrong_password_locks_the_account_with_a_message(client, official):
    for _ in range(4):
        log_in(client, "wrong")
    response = log_in(client, "wrong")
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert LOCKED in response.content.decode()
    assert "ask an administrator of the portal to lift the lock" in response.content.decode()


def test_correct_password_is_refused_while_locked(client, official):
    for _ in range(5):
        log_in(client, "wrong")
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    # The admin's login page goes through the same check.
    response = log_in(client, PASSWORD, url=reverse("admin:login"))
    assert response.status_code == 429
    assert not logged_in(client)


def test_reset_by_an_admin_unlocks(client, official):
    for _ in range(5):
        log_in(client, "wrong")
    call_command("axes_reset_username", "canbo", stdout=io.StringIO())
    assert not AccessAttempt.objects.filter(username="canbo").exists()
    response = log_in(client, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_lock_expires_after_the_cool_off(client, official):
    for _ in range(5):
        log_in(client, "wrong")
    AccessAttempt.objects.filter(username="canbo").update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(minutes=1)
    )
    assert log_in(client, PASSWORD).status_code == 302


def test_password_spraying_from_one_address_is_locked_too(client):
    # Five usernames, one wrong password each, from the same address.
    for n in range(5):
        response = log_in(client, "Mùa-xuân-2025", username=f"guess{n}")
    assert response.status_code == 429
    make_user("guess9")
    assert log_in(client, PASSWORD, username="guess9").status_code == 429


def test_a_stranger_cannot_lock_an_official_out_from_elsewhere(client, official, settings):
    # Five wrong passwords for the official's username from a stranger's address ...
    for _ in range(5):
        response = log_in(client, "wrong", address=AWAY)
    assert response.status_code == 429
    # ... lock that address, not the official, who logs in from the office.
    assert log_in(Client(), PASSWORD, address=HOME).status_code == 302
    # The stranger's address stays locked, whatever the username.
    assert log_in(Client(), PASSWORD, address=AWAY).status_code == 429


def test_a_successful_login_forgets_only_its_own_failures(client, official):
    # A sprayer holding one valid account: three guesses, one own mistake, then its own login.
    for n in range(3):
        log_in(client, "wrong", username=f"guess{n}")
    log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="canbo").exists()
    # The guesses still count for the address: two more lock it.
    other = Client()
    log_in(other, "wrong", username="guess3")
    assert log_in(other, "wrong", username="guess4").status_code == 429


def set_expiry(session_key, seconds_from_now):
    Session.objects.filter(pk=session_key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=seconds_from_now)
    )


def expiry(session_key):
    return Session.objects.get(pk=session_key).expire_date


def test_a_request_renews_the_session_expiry(client, official):
    client.force_login(official)
    key = client.session.session_key
    # Last renewed five minutes ago: this request pushes the end back to a full age from now.
    set_expiry(key, settings.SESSION_COOKIE_AGE - 300)
    response = client.get(reverse("criteria:inbox"))
    assert response.status_code == 200
    expected = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs(expiry(key) - expected) < datetime.timedelta(seconds=5)
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == (
        settings.SESSION_COOKIE_AGE
    )


def test_a_recently_renewed_session_is_not_written_again(client, official):
    client.force_login(official)
    key = client.session.session_key
    set_expiry(key, settings.SESSION_COOKIE_AGE - 10)
    before = expiry(key)
    response = client.get(reverse("criteria:inbox"))
    assert response.status_code == 200
    assert expiry(key) == before
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_session_ends_after_the_inactivity_limit(client, official):
    client.force_login(official)
    key = client.session.session_key
    assert client.get(reverse("criteria:inbox")).status_code == 200
    set_expiry(key, -1)  # SESSION_COOKIE_AGE passed since the last renewing request
    response = client.get(reverse("criteria:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_ends_the_session_on_the_server(client, official):
    client.force_login(official)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(pk=key).exists()


def test_session_cookie_is_secure_httponly_and_samesite(client, official):
    response = log_in(client, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax")
