"""Built to be polled: conditional requests (304 without building the body), cursor pages
stable under inserts, and rate limits with a clear 429."""

import datetime

import pytest
from django.test import Client
from django.utils.http import http_date

from communes.models import Commune, District
from criteria.enums import Title
from criteria.models import CriteriaSet
from tests.factories import legacy_unit, make_assessment, make_recognition

from .conftest import FAR_COMMUNE, HA_TINH, HATINH_SET, KY_ANH, LAM_HOP

pytestmark = pytest.mark.django_db

DASHBOARD = f"/api/v1/dashboards/districts/{KY_ANH}/"


@pytest.fixture
def office(users):
    client = Client()
    client.force_login(users["district"])
    return client


def test_an_unchanged_area_is_a_304_without_its_body(office, django_assert_num_queries):
    first = office.get(DASHBOARD, {"as_of": "2024-12-31"})
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    # Session, user, membership, the district (access), the report version: no dashboard.
    with django_assert_num_queries(5):
        again = office.get(DASHBOARD, {"as_of": "2024-12-31"}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag


def test_a_write_in_the_province_changes_the_etag(office):
    etag = office.get(DASHBOARD).headers["ETag"]
    make_assessment(
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        met=range(1, 21),
        assessed_on=datetime.date(2021, 3, 1),
    )
    changed = office.get(DASHBOARD, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_write_in_another_province_keeps_the_etag(office):
    etag = office.get(DASHBOARD).headers["ETag"]
    make_recognition(unit=legacy_unit(Commune, FAR_COMMUNE))
    assert office.get(DASHBOARD, headers={"If-None-Match": etag}).status_code == 304


def test_a_write_on_a_predecessor_changes_the_new_provinces_etag(users):
    """The new Hà Tĩnh (42 since 01/07/2025) shows its predecessors' history in its trend: a
    write on Lâm Hợp, a commune of the old Hà Tĩnh, changes its ETag, as it changes the key of
    the page's cached body (reports.cache.report_changes)."""
    admin = Client()
    admin.force_login(users["admin"])
    url = f"/api/v1/dashboards/provinces/{HA_TINH}/"
    first = admin.get(url, {"as_of": "2026-01-10"})
    assert first.json()["area"]["name"] == "Tỉnh Hà Tĩnh"
    etag = first.headers["ETag"]
    assert (
        admin.get(url, {"as_of": "2026-01-10"}, headers={"If-None-Match": etag}).status_code == 304
    )
    make_assessment(
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code="NTM_XA_2021_2025"),
        met=range(1, 20),
        assessed_on=datetime.date(2024, 3, 1),
    )
    again = admin.get(url, {"as_of": "2026-01-10"}, headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag


def test_other_filters_have_another_etag(office):
    one = office.get(DASHBOARD, {"as_of": "2024-12-31"}).headers["ETag"]
    other = office.get(DASHBOARD, {"as_of": "2023-12-31"}).headers["ETag"]
    assert one != other
    assert (
        office.get(DASHBOARD, {"as_of": "2023-12-31"}, headers={"If-None-Match": one}).status_code
        == 200
    )


def test_if_modified_since(office):
    first = office.get(DASHBOARD)
    since = first.headers["Last-Modified"]
    assert office.get(DASHBOARD, headers={"If-Modified-Since": since}).status_code == 304
    old = http_date(0)
    assert office.get(DASHBOARD, headers={"If-Modified-Since": old}).status_code == 200


def test_a_304_never_answers_an_outsider(users):
    """The access check comes first: an outsider with a stolen ETag still gets the 404."""
    office = Client()
    office.force_login(users["district"])
    etag = office.get(DASHBOARD).headers["ETag"]
    outsider = Client()
    outsider.force_login(users["other_commune"])
    assert outsider.get(DASHBOARD, headers={"If-None-Match": etag}).status_code == 403
    assert Client().get(DASHBOARD, headers={"If-None-Match": etag}).status_code == 401


def test_public_lists_are_conditional_for_anonymous_callers(client):
    # The Hà Tĩnh of the pre-2025 map, where Lâm Hợp lies (a code names a unit with a date).
    url = f"/api/v1/recognitions/?province={HA_TINH}&as_of=2025-06-30"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    make_recognition(unit=legacy_unit(Commune, LAM_HOP))
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_signed_in_lists_are_never_conditional(office):
    """A signed-in answer may hold drafts, which not every write dates (api.conditional)."""
    response = office.get("/api/v1/assessments/")
    assert "ETag" not in response.headers


def test_a_bad_filter_is_a_400_not_a_304(client):
    response = client.get("/api/v1/assessments/?as_of=2024-13-01", headers={"If-None-Match": "*"})
    assert response.status_code == 400


# -- Pagination ------------------------------------------------------------------------------


def _follow(client, url, seen, pages=1):
    """Read ``pages`` pages from ``url``, appending the ids to ``seen``; the next URL."""
    for _ in range(pages):
        data = client.get(url).json()
        seen += [row["id"] for row in data["results"]]
        url = data["next"]
        if url is None:
            break
    return url


def test_cursor_pages_are_stable_under_inserts(client):
    district = legacy_unit(District, KY_ANH)
    communes = list(Commune.objects.filter(district=district).order_by("code")[:6])
    for commune in communes:
        make_recognition(unit=commune, title=Title.NTM)
    url = f"/api/v1/recognitions/?district={KY_ANH}&page_size=2"
    seen = []
    next_url = _follow(client, url, seen, pages=1)
    assert len(seen) == 2
    # New rows arrive while the client reads: they come after the ones already read, and
    # no row is skipped or read twice.
    added = [make_recognition(unit=c, title=Title.NTMNC).pk for c in communes[:3]]
    while next_url:
        next_url = _follow(client, next_url, seen, pages=1)
    assert len(seen) == len(set(seen)) == 6 + 3
    assert seen[-3:] == added
    assert seen == sorted(seen)


def test_page_size_is_bounded(client):
    response = client.get("/api/v1/communes/?page_size=5000")
    assert len(response.json()["results"]) == 1000


def test_a_broken_cursor_is_a_404_not_a_500(client):
    response = client.get("/api/v1/communes/?cursor=bz14")
    assert response.status_code == 404


# -- Rate limits -----------------------------------------------------------------------------


def set_rates(settings, **rates):
    """The rates of the settings (api.throttling reads them at each request)."""
    current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**current, **rates},
    }


@pytest.fixture
def low_limits(settings):
    set_rates(settings, address="3/minute", token="2/minute")


def test_an_address_over_its_limit_gets_a_clear_429(client, low_limits):
    for _ in range(3):
        assert client.get("/api/v1/provinces/").status_code == 200
    refused = client.get("/api/v1/provinces/")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Quá nhiều yêu cầu" in refused.json()["detail"]
    # Another address has its own count.
    assert client.get("/api/v1/provinces/", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_a_token_over_its_limit_gets_a_429_whatever_its_address(clients, low_limits):
    token = clients["token"]
    assert token.get("/api/v1/provinces/").status_code == 200
    assert token.get("/api/v1/provinces/", REMOTE_ADDR="10.0.0.8").status_code == 200
    assert token.get("/api/v1/provinces/", REMOTE_ADDR="10.0.0.7").status_code == 429
    # The address limit does not apply to a token holder, nor the token's to the address.
    assert Client().get("/api/v1/provinces/").status_code == 200


# -- The figures' cache ----------------------------------------------------------------------


def test_figures_are_built_once_for_every_caller_until_a_write(
    users, clients, django_assert_max_num_queries
):
    """The figures are cached as the page's body is (reports.cache): a second caller who may
    read the area gets the same bytes without the dashboard's queries; a write in the
    province changes the key, so the next answer has the new figures."""
    office, token = clients["district"], clients["token"]
    first = office.get(DASHBOARD, {"as_of": "2024-12-31"})
    assert first.status_code == 200
    # The token's account, the district, the report version twice (ETag, cache key): none of
    # the dashboard's own queries.
    with django_assert_max_num_queries(6):
        second = token.get(DASHBOARD, {"as_of": "2024-12-31"})
    assert second.content == first.content
    assert second.headers["Content-Type"] == "application/json"
    lam_hop = legacy_unit(Commune, LAM_HOP)
    ntm = first.json()["headline"]["ntm"]
    was_ntm = any(r["code"] == LAM_HOP and r["recognitions"] for r in first.json()["communes"])
    make_recognition(unit=lam_hop, title=Title.NTM, decided_on=datetime.date(2024, 6, 1))
    third = office.get(DASHBOARD, {"as_of": "2024-12-31"}).json()
    assert third["headline"]["ntm"] == ntm + (0 if was_ntm else 1)
    row = next(r for r in third["communes"] if r["code"] == LAM_HOP)
    assert {"title": "ntm", "decided_on": "2024-06-01"} in row["recognitions"]
