"""Deployment hardening: Django's deployment checklist passes with production settings, and
every response carries the security headers."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

MANAGE = settings.BASE_DIR / "manage.py"
# 64 characters of many kinds: what `check --deploy` asks of a real key (this one guards nothing).
PRODUCTION_KEY = "prod-like-test-key-7f3a9c2e5b8d1f4a6c0e9b2d7a5f3c1e8b6d4a2f0c9e7b5d3"
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": PRODUCTION_KEY,
    "ALLOWED_HOSTS": "ntm.example.vn",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
}


def run_manage(*args, **env):
    # A fresh process (settings are read from the environment once, at import) with only the
    # variables given: nothing of the test run's own, e.g. the DJANGO_ALLOW_ASYNC_UNSAFE that
    # the browser tests set, which check --deploy rightly reports.
    environment = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_fails_without_https():
    # Proves the check above is real: the same settings without HTTPS/HSTS do fail it.
    env = {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


def test_security_settings_come_from_the_environment():
    probe = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_AGE, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(),"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    env = {
        **PRODUCTION_ENV,
        "SESSION_COOKIE_AGE": "600",
        "AXES_FAILURE_LIMIT": "3",
        "AXES_COOLOFF_MINUTES": "15",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "0",
        "SECURE_HSTS_PRELOAD": "0",
    }
    result = run_manage("shell", "--verbosity", "0", "-c", probe, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["600", "3", "900.0", "False", "False"]


def test_production_session_and_throttling_defaults():
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_ENGINE == "ntm_portal.sessions"
    assert settings.SESSION_RENEW_SECONDS == 60
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


@pytest.mark.parametrize("password", ["12345678", "password", "ntm", "lamhop2020"])
def test_weak_passwords_are_refused(password, django_user_model):
    user = django_user_model(username="lamhop2020")
    with pytest.raises(ValidationError):
        validate_password(password, user)


EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.django_db
def test_pages_send_the_strict_csp_and_security_headers(client):
    response = client.get(reverse("reports:home"))
    assert directives(response["Content-Security-Policy"]) == directives(EXPECTED_CSP)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_admin_alone_allows_inline_styles(admin_client):
    admin = directives(admin_client.get(reverse("admin:index"))["Content-Security-Policy"])
    assert admin["style-src"] == ["'self'", "'unsafe-inline'"]
    # One inline handler of django-import-export, by its hash (ntm_portal/urls.py).
    assert admin["script-src"][:2] == ["'self'", "'unsafe-hashes'"]
    assert len(admin["script-src"]) == 3
    login = directives(admin_client.get(reverse("login"))["Content-Security-Policy"])
    assert login["style-src"] == ["'self'"]


@pytest.mark.django_db
def test_cookies_are_secure_httponly_and_samesite(client):
    response = client.get(reverse("login"))
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    language = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (language["secure"], language["httponly"], language["samesite"]) == (True, True, "Lax")
