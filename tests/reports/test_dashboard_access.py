"""Who sees which dashboard (reports.access): the office that covers the area and the offices
above it; an outsider gets 404, a user covering only part of the area a 403 that says why,
an anonymous visitor the login page. Exports obey the same rule. Demo units: Huyện Kỳ Anh
(447) in Hà Tĩnh (42), Xã Lâm Hợp (18838) in Kỳ Anh; Huyện Hậu Lộc (400) in Thanh Hóa."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from communes.enums import Role
from communes.models import Commune, District, Province
from tests.factories import legacy_unit, make_user

pytestmark = pytest.mark.django_db

VIEWS = ["reports:district_dashboard", "reports:district_dashboard_xlsx"]


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def login(client, role, unit=None):
    client.force_login(make_user(role=role, unit=unit))
    return client


@pytest.mark.parametrize("view", VIEWS)
def test_district_dashboard_owner_office_sees_it(client, view):
    login(client, Role.DISTRICT_OFFICE, legacy_unit(District, "447"))

    response = client.get(reverse(view, args=["447"]), {"as_of": "2025-06-30"})

    assert response.status_code == 200
    if view == "reports:district_dashboard":
        assert "Dashboard: Huyện Kỳ Anh" in response.content.decode()


@pytest.mark.parametrize("view", VIEWS)
def test_district_dashboard_province_office_above_sees_it(client, view):
    login(client, Role.PROVINCE_OFFICE, legacy_unit(Province, "42"))

    assert client.get(reverse(view, args=["447"])).status_code == 200


@pytest.mark.parametrize("view", VIEWS)
def test_district_dashboard_province_admin_above_sees_it(client, view):
    login(client, Role.ADMIN, legacy_unit(Province, "42"))

    assert client.get(reverse(view, args=["447"])).status_code == 200


@pytest.mark.parametrize("view", VIEWS)
def test_district_dashboard_other_district_office_gets_404(client, view):
    login(client, Role.DISTRICT_OFFICE, legacy_unit(District, "400"))

    assert client.get(reverse(view, args=["447"])).status_code == 404


@pytest.mark.parametrize("view", VIEWS)
def test_district_dashboard_other_province_office_gets_404(client, view):
    login(client, Role.PROVINCE_OFFICE, legacy_unit(Province, "38"))

    assert client.get(reverse(view, args=["447"])).status_code == 404


@pytest.mark.parametrize("view", VIEWS)
def test_district_dashboard_commune_official_inside_gets_403_with_reason(client, view):
    login(client, Role.COMMUNE_OFFICIAL, legacy_unit(Commune, "18838"))

    response = client.get(reverse(view, args=["447"]))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Dashboard not available" in html
    assert "covers only part of Huyện Kỳ Anh" in html


def test_district_dashboard_commune_official_elsewhere_gets_404(client):
    login(client, Role.COMMUNE_OFFICIAL, legacy_unit(Commune, "18838"))

    assert client.get(reverse("reports:district_dashboard", args=["400"])).status_code == 404


def test_district_dashboard_user_without_membership_gets_404(client):
    client.force_login(make_user())

    assert client.get(reverse("reports:district_dashboard", args=["447"])).status_code == 404


@pytest.mark.parametrize("view", VIEWS)
def test_district_dashboard_anonymous_is_sent_to_login(client, view):
    url = reverse(view, args=["447"])

    response = client.get(url, {"as_of": "2024-01-01"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert "/d/447/dashboard" in response["Location"]


def test_district_dashboard_demo_district_office_sees_ky_anh(client):
    client.force_login(get_user_model().objects.get(username="kyanh"))

    assert client.get(reverse("reports:district_dashboard", args=["447"])).status_code == 200
    assert client.get(reverse("reports:district_dashboard", args=["400"])).status_code == 404


def test_public_district_page_stays_public(client):
    assert client.get(reverse("reports:district", args=["447"])).status_code == 200
