"""Each user lands where their work is, and the header names them and shows only the links
they may follow (ntm_portal.navigation)."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from communes.enums import Role
from communes.models import Province
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import legacy_unit, make_criteria_set, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "ntm-demo-2025"

# username -> (landing URL, the header's role and unit, the menu's links after the public ones)
ROLES = {
    "lamhop": ("/criteria/inbox/", "Commune official · Xã Lâm Hợp", ["Inbox"]),
    # Offices of units that ended on 30/06/2025 land on their dashboard's last day.
    "kyanh": (
        "/d/447/dashboard/?as_of=2025-06-30",
        "District coordination office · Huyện Kỳ Anh",
        ["Dashboard", "Inbox"],
    ),
    "hatinh": (
        "/p/42/dashboard/?as_of=2025-06-30",
        "Provincial coordination office · Tỉnh Hà Tĩnh",
        ["Dashboard", "Inbox"],
    ),
    "kylac2026": ("/criteria/inbox/", "Commune official · Xã Kỳ Lạc", ["Inbox"]),
    "hatinh2026": (
        "/p/42/dashboard/",
        "Provincial coordination office · Tỉnh Hà Tĩnh",
        ["Dashboard", "Inbox"],
    ),
    "admin": (
        "/imports/",
        "Administrator · the whole country",
        ["Import and export", "Dashboard", "Inbox", "Administration"],
    ),
}


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def menu(body: str) -> list[str]:
    nav = body.split('aria-label="Main menu"')[1].split("</nav>")[0]
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<a [^>]*>.*?</a>", nav)]


@pytest.mark.parametrize("username", ROLES)
def test_login_lands_each_role_where_its_work_is(client, username):
    landing, who, links = ROLES[username]

    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == landing
    page = client.get(landing)
    assert page.status_code == 200
    body = page.content.decode()
    assert who in re.sub(r"\s+", " ", body)
    assert menu(body) == ["Overview", "Criteria sets", *links]


@pytest.mark.parametrize(
    ("username", "notice"),
    [
        ("kyanh", "Huyện Kỳ Anh existed until 30/06/2025: since 01/07/2025 there are no"),
        ("hatinh", "Tỉnh Hà Tĩnh of the former map existed until 30/06/2025."),
    ],
)
def test_an_office_of_an_ended_unit_lands_on_its_last_day_with_its_successor(
    client, username, notice
):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    page = client.get(response.url)

    assert page.status_code == 200
    assert page.context["unit"].valid_to.isoformat() == "2025-06-30"
    body = re.sub(r"\s+", " ", page.content.decode())
    assert "data-dashboard-ended" in body and notice in body
    assert 'Its communes now belong to: <a href="/p/42/">Tỉnh Hà Tĩnh</a>.' in body
    assert "no longer exists" not in body


def test_the_new_province_office_lands_on_todays_map_without_districts(client):
    response = client.post(reverse("login"), {"username": "hatinh2026", "password": PASSWORD})
    page = client.get(response.url)
    assert page.context["unit"].valid_from.isoformat() == "2025-07-01"
    assert "data-dashboard-ended" not in page.content.decode()
    assert "/d/447/" not in page.content.decode()


def test_login_with_next_goes_there(client):
    response = client.post(
        reverse("login") + "?next=/c/18838/", {"username": "kyanh", "password": PASSWORD}
    )
    assert response.url == "/c/18838/"


def test_user_without_a_role_lands_on_the_overview(client):
    user = make_user("nobody")
    response = client.post(
        reverse("login"), {"username": user.username, "password": FACTORY_PASSWORD}
    )
    assert response.url == "/"
    body = client.get("/").content.decode()
    assert menu(body) == ["Overview", "Criteria sets"]
    assert "no role" in body


def test_anonymous_menu_has_no_private_link(client):
    body = client.get("/").content.decode()
    assert menu(body) == ["Overview", "Criteria sets", "Log in"]


@pytest.mark.parametrize(
    ("username", "province_link", "district_link"),
    [
        (None, False, False),
        ("lamhop", False, False),
        ("kyanh", False, True),
        ("hatinh", True, True),
        ("admin", True, True),
    ],
)
def test_overview_pages_link_a_dashboard_only_to_those_it_opens_to(
    client, username, province_link, district_link
):
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    province = client.get("/p/42/").content.decode()
    district = client.get("/d/447/").content.decode()

    assert ("/p/42/dashboard/" in province) is province_link
    assert ("/d/447/dashboard/" in district) is district_link
    # Whatever the link shows, it leads where it says.
    if province_link:
        assert client.get("/p/42/dashboard/").status_code == 200
    if district_link:
        assert client.get("/d/447/dashboard/").status_code == 200


def test_province_admin_lands_on_the_import_home_and_sees_its_province_dashboard(client):
    ha_tinh = legacy_unit(Province, "42")
    user = make_user(role=Role.ADMIN, unit=ha_tinh)
    client.force_login(user)

    body = client.get("/imports/").content.decode()

    assert "Administrator · Tỉnh Hà Tĩnh" in re.sub(r"\s+", " ", body)
    assert 'href="/p/42/dashboard/?as_of=2025-06-30"' in body  # its province's last day
    assert "Administration" not in menu(body)  # not staff


@pytest.mark.parametrize("username", ["lamhop", "kyanh", "hatinh"])
def test_import_home_is_for_administrators(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    assert client.get("/imports/").status_code == 403


def test_import_home_links_import_export_templates_sets_and_admin(client):
    client.force_login(get_user_model().objects.get(username="admin"))
    body = client.get("/imports/").content.decode()

    for url in (
        "/imports/assessments/",
        "/imports/sets/",
        "/imports/templates/long.xlsx",
        "/imports/sets/NTM_XA_2021_2025/assessments.xlsx",
        "/imports/sets/NTM_XA_2021_2025/workbook.xlsx",
        "/criteria/",
        "/admin/",
        "/dashboard/",
    ):
        assert f'href="{url}' in body, url


@pytest.mark.parametrize("extra_sets", [0, 5])
def test_import_home_query_count_is_constant(client, django_assert_num_queries, extra_sets):
    client.force_login(get_user_model().objects.get(username="admin"))
    for _ in range(extra_sets):
        make_criteria_set(n_criteria=1)

    # session, user, membership (scope and header), the sets.
    with django_assert_num_queries(4):
        response = client.get("/imports/")
    assert response.status_code == 200
