"""The dashboard runs a fixed number of queries: rendered for one commune and for many, each
with several assessments, recognitions, targets and villages, the count is the same literal
number (see reports.dashboard): 13, of which three (session, user, membership) decide
who is asking and one reads the province's report version (reports.cache). These are cache
misses (tests/reports/test_dashboard_cache.py counts the hits). 13: one query reads every
public assessment of the area, from which the sets' counts, the latest assessments and the
trend come (reports.dashboard.area_assessments)."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from communes.enums import AssessmentStatus, Role
from criteria.enums import Title
from tests.factories import (
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_recognition,
    make_target,
    make_user,
    make_village,
)

pytestmark = pytest.mark.django_db

MANY = 12


@pytest.fixture
def client(client):
    """A national admin reading in English (dashboards are for logged-in users)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.ADMIN))
    return client


def populate(n_communes):
    district = make_district()
    sets = [make_criteria_set(n_criteria=6), make_criteria_set(n_criteria=4, title=Title.NTMNC)]
    for _ in range(n_communes):
        commune = make_commune(district=district)
        for criteria_set in sets:
            for year, status in [
                (2022, AssessmentStatus.APPROVED),
                (2023, AssessmentStatus.VERIFIED),
                (2024, AssessmentStatus.DRAFT),
            ]:
                make_assessment(
                    unit=commune,
                    criteria_set=criteria_set,
                    met=[1, 2],
                    basically_met=[3],
                    status=status,
                    assessed_on=datetime.date(year, 6, 1),
                )
        make_recognition(unit=commune, title=Title.NTM, decided_on=datetime.date(2021, 1, 1))
        make_recognition(unit=commune, title=Title.MODEL, revoked_on=datetime.date(2024, 1, 1))
        make_target(unit=commune, title=Title.NTM, planned_year=2026)
        make_recognition(unit=make_village(commune=commune), title=Title.VILLAGE_NTM)
    return district, sets


@pytest.mark.parametrize("n_communes", [1, MANY])
def test_dashboard_query_count_is_constant(client, django_assert_num_queries, n_communes):
    district, _ = populate(n_communes)
    url = reverse("reports:district_dashboard", args=[district.code])

    with django_assert_num_queries(13):
        response = client.get(url, {"as_of": "2025-01-01"})

    assert response.content.decode().count('<td class="cell cell--met"') == 2 * n_communes
    # Each commune is recognised NTM and assessed after the decision without meeting all.
    assert response.content.decode().count('class="regression"') == n_communes


@pytest.mark.parametrize("n_communes", [1, MANY])
def test_dashboard_query_count_with_chosen_set_and_kind(
    client, django_assert_num_queries, n_communes
):
    district, sets = populate(n_communes)
    url = reverse("reports:district_dashboard", args=[district.code])

    with django_assert_num_queries(13):
        response = client.get(url, {"set": sets[1].code, "kind": "xa", "as_of": "2023-01-01"})

    assert response.content.decode().count('<td class="cell cell--met"') == 2 * n_communes


def test_dashboard_query_count_for_a_district_without_communes(client, django_assert_num_queries):
    district = make_district()

    with django_assert_num_queries(13):
        response = client.get(reverse("reports:district_dashboard", args=[district.code]))

    assert response.status_code == 200
