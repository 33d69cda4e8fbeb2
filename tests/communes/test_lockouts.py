"""Login locks in the admin (communes.lockouts): each administrator sees and lifts the locks of
the accounts it manages, and the admin's log says who lifted which."""

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from communes.enums import Role
from communes.models import Commune, Province
from tests.factories import PASSWORD, legacy_unit, make_user

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:axes_accessattempt_changelist"
OFFICE = "203.0.113.30"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hatinh_admin():
    user = make_user(
        "hatinh-admin", role=Role.ADMIN, unit=legacy_unit(Province, "42"), is_staff=True
    )
    user.user_permissions.set(Permission.objects.all())
    client = Client()
    client.force_login(user)
    return client


def lock(username, address=OFFICE):
    """Five failed logins of ``username`` from ``address``, as axes records them."""
    for _ in range(5):
        response = Client().post(
            reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=address
        )
    assert response.status_code == 429
    return AccessAttempt.objects.get(username=username, ip_address=address)


def test_province_admin_sees_only_the_locks_of_its_accounts(hatinh_admin):
    official = make_user(role=Role.COMMUNE_OFFICIAL, unit=legacy_unit(Commune, "18838"))
    far = make_user(role=Role.COMMUNE_OFFICIAL, unit=legacy_unit(Commune, "28084"))
    mine = lock(official.username, "203.0.113.31")
    others = [
        lock(far.username, "203.0.113.32"),
        lock("admin", "203.0.113.33"),
        lock("no-such-account", "203.0.113.34"),
    ]
    response = hatinh_admin.get(reverse(CHANGELIST))
    assert response.status_code == 200
    listed = {row.pk for row in response.context["cl"].result_list}
    assert listed == {mine.pk}
    national = Client()
    national.force_login(get_user_model().objects.get(username="admin"))
    listed = {row.pk for row in national.get(reverse(CHANGELIST)).context["cl"].result_list}
    assert listed >= {mine.pk} | {row.pk for row in others}


def test_province_admin_lifts_a_lock_with_a_line_in_the_admin_log(hatinh_admin):
    official = make_user(role=Role.COMMUNE_OFFICIAL, unit=legacy_unit(Commune, "18838"))
    attempt = lock(official.username)
    assert (
        Client()
        .post(
            reverse("login"),
            {"username": official.username, "password": PASSWORD},
            REMOTE_ADDR=OFFICE,
        )
        .status_code
        == 429
    )
    response = hatinh_admin.post(
        reverse(CHANGELIST), {"action": "lift_locks", "_selected_action": [attempt.pk]}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    entry = LogEntry.objects.get(object_id=str(attempt.pk), action_flag=DELETION)
    assert entry.user.username == "hatinh-admin"
    assert entry.object_repr == f"{official.username} @ {OFFICE}"
    assert (
        Client()
        .post(
            reverse("login"),
            {"username": official.username, "password": PASSWORD},
            REMOTE_ADDR=OFFICE,
        )
        .status_code
        == 302
    )


def test_province_admin_cannot_lift_a_lock_outside_its_accounts(hatinh_admin):
    attempts = [lock("admin", "203.0.113.35"), lock("no-such-account", "203.0.113.36")]
    for attempt in attempts:
        response = hatinh_admin.post(
            reverse(CHANGELIST), {"action": "lift_locks", "_selected_action": [attempt.pk]}
        )
        assert response.status_code == 302  # "no items selected": nothing it may see
        delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
        assert hatinh_admin.post(delete, {"post": "yes"}).status_code == 404
    assert AccessAttempt.objects.filter(pk__in=[a.pk for a in attempts]).count() == 2
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_the_admin_names_both_apps_in_the_portals_words():
    from django.apps import apps
    from django.utils import translation

    # A second AppConfig in communes/apps.py made Django fall back to a bare "Communes".
    with translation.override("en"):
        assert str(apps.get_app_config("communes").verbose_name) == "Administrative units"
        assert str(apps.get_app_config("axes").verbose_name) == "Login locks"
    with translation.override("vi"):
        assert str(apps.get_app_config("axes").verbose_name) == "Khóa đăng nhập"


@pytest.mark.parametrize("rows", [1, 12])
def test_lock_list_query_count_does_not_grow(hatinh_admin, django_assert_num_queries, rows):
    lam_hop = legacy_unit(Commune, "18838")
    for n in range(rows):
        official = make_user(role=Role.COMMUNE_OFFICIAL, unit=lam_hop, password=None)
        AccessAttempt.objects.create(
            username=official.username,
            ip_address=f"203.0.113.{100 + n}",
            user_agent="test",
            failures_since_start=5,
        )
    url = reverse(CHANGELIST)
    hatinh_admin.get(url)  # warm the session and content-type caches
    # Session, user, its two permission lists, its membership, the filtered and the total
    # count, and one query for the rows with their address totals (a subquery).
    with django_assert_num_queries(8):
        response = hatinh_admin.get(url)
    assert len(response.context["cl"].result_list) == rows
