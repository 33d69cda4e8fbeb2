"""Each overview page is built from a fixed number of queries: rendered for one commune and
for many, the count is the same literal number (see reports.selectors)."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from communes.enums import AssessmentStatus
from communes.models import LEGACY_VALID_TO, MERGER_DATE, Commune, CommuneSuccession
from criteria.enums import Title
from tests.factories import (
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_province,
    make_recognition,
    make_statistic,
    make_target,
    make_village,
)

pytestmark = pytest.mark.django_db

MANY = 15


@pytest.fixture
def client(client):
    # English, so the figures can be found whatever the Vietnamese catalogue says.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def shown(response, text):
    return response.content.decode().count(f">{text}<")


def populate(*, n_communes, district=None, province=None):
    """n communes, each assessed three times against two sets (one draft), recognised,
    with a target, a statistic and a recognised village."""
    sets = [
        make_criteria_set(n_criteria=5, indicators_per_criterion=2),
        make_criteria_set(n_criteria=4, title=Title.NTMNC),
    ]
    communes = []
    for _ in range(n_communes):
        commune = make_commune(district=district, province=province)
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
                    indicators_met=3,
                    status=status,
                    assessed_on=datetime.date(year, 6, 1),
                )
        make_recognition(unit=commune, title=Title.NTM)
        make_recognition(unit=commune, title=Title.MODEL, revoked_on=datetime.date(2024, 1, 1))
        make_target(unit=commune, title=Title.NTMNC, planned_year=2026)
        make_statistic(commune=commune)
        make_recognition(unit=make_village(commune=commune), title=Title.VILLAGE_NTM)
        communes.append(commune)
    return communes


@pytest.mark.parametrize("n_communes", [1, MANY])
def test_home_query_count_is_constant(client, django_assert_num_queries, n_communes):
    for _ in range(3 if n_communes > 1 else 1):
        populate(n_communes=n_communes // 3 or 1, district=make_district())

    with django_assert_num_queries(1):
        response = client.get(reverse("reports:home"))
    assert response.status_code == 200


@pytest.mark.parametrize("n_communes", [1, MANY])
def test_province_query_count_is_constant(client, django_assert_num_queries, n_communes):
    province = make_province()
    populate(n_communes=n_communes, district=make_district(province=province))
    populate(n_communes=n_communes, province=province)  # communes without a district

    # + 2 for the lineage (links both ways, other units with the code).
    with django_assert_num_queries(9):
        response = client.get(reverse("reports:province", args=[province.code]))
    assert response.status_code == 200
    assert shown(response, "2/5 criteria") == n_communes


@pytest.mark.parametrize("n_communes", [1, MANY])
def test_district_query_count_is_constant(client, django_assert_num_queries, n_communes):
    district = make_district()
    populate(n_communes=n_communes, district=district)
    make_assessment(unit=district, criteria_set=make_criteria_set(n_criteria=9), met=[1])
    make_recognition(unit=district, title=Title.DISTRICT_NTM)

    # + 1 for the lineage (other units with the code; districts have no successors).
    with django_assert_num_queries(9):
        response = client.get(reverse("reports:district", args=[district.code]))
    assert response.status_code == 200
    assert shown(response, "2/5 criteria") == n_communes


@pytest.mark.parametrize("extra_sets", [0, 5])
def test_commune_query_count_is_constant(client, django_assert_num_queries, extra_sets):
    (commune,) = populate(n_communes=1, district=make_district())
    for _ in range(extra_sets):
        extra_set = make_criteria_set(n_criteria=19, indicators_per_criterion=3)
        for year in (2021, 2022, 2023):
            make_assessment(
                unit=commune, criteria_set=extra_set, assessed_on=datetime.date(year, 1, 1)
            )

    # + 2 for the lineage (links both ways, other units with the code).
    with django_assert_num_queries(9):
        response = client.get(reverse("reports:commune", args=[commune.code]))
    assert response.status_code == 200
    assert response.content.decode().count('class="set-card"') == 2 + extra_sets


def test_commune_query_count_without_assessments(client, django_assert_num_queries):
    commune = make_commune()

    with django_assert_num_queries(9):
        response = client.get(reverse("reports:commune", args=[commune.code]))
    assert response.status_code == 200


@pytest.mark.parametrize("n_predecessors", [2, 6])
def test_merged_commune_query_count_is_constant(client, django_assert_num_queries, n_predecessors):
    """A commune formed by the merger reads its predecessors' assessments and recognitions
    in two more queries, however many predecessors it has."""
    province = make_province()
    successor = make_commune(province=province, valid_from=MERGER_DATE)
    for _ in range(n_predecessors):
        (old,) = populate(n_communes=1, district=make_district(province=province))
        Commune.objects.filter(pk=old.pk).update(valid_to=LEGACY_VALID_TO)
        make_recognition(unit=old, title=Title.NTM, decided_on=datetime.date(2020, 1, 1))
        CommuneSuccession.objects.create(predecessor=old, successor=successor)

    with django_assert_num_queries(11):
        response = client.get(reverse("reports:commune", args=[successor.code]))
    assert response.status_code == 200
    assert response.content.decode().count("data-predecessor=") == n_predecessors
