"""Each list endpoint runs the same number of queries for one row and for many (rows are
read with their related rows joined or prefetched, never one query per row)."""

import datetime

import pytest
from django.test import Client

from criteria.enums import Title
from tests.factories import (
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_recognition,
    make_target,
    make_village,
)

pytestmark = pytest.mark.django_db

MANY = 12


def populate(n):
    district = make_district()
    criteria_set = make_criteria_set(n_criteria=5, indicators_per_criterion=2)
    for _ in range(n):
        commune = make_commune(district=district)
        make_assessment(unit=commune, criteria_set=criteria_set, met=[1, 2], indicators_met=3)
        make_assessment(
            unit=make_village(commune=commune),
            criteria_set=criteria_set,
            met=[1],
            assessed_on=datetime.date(2023, 1, 1),
        )
        make_recognition(unit=commune, criteria_set=criteria_set)
        make_recognition(unit=make_village(commune=commune), title=Title.VILLAGE_NTM)
        make_target(unit=commune, criteria_set=criteria_set)
    return district


# Anonymous: the filter's unit, the report version (api.conditional), the rows, and the
# prefetches (results and indicator values for assessments; the links to predecessors and to
# successors for communes).
CASES = [
    ("/api/v1/assessments/", "district", 5, 2 * MANY),
    ("/api/v1/recognitions/", "district", 3, 2 * MANY),
    ("/api/v1/targets/", "district", 3, MANY),
    ("/api/v1/communes/", "district", 4, MANY),
]


@pytest.mark.parametrize("n", [1, MANY])
@pytest.mark.parametrize(("url", "param", "queries", "rows_for_many"), CASES)
def test_list_query_count_is_constant(
    client, django_assert_num_queries, n, url, param, queries, rows_for_many
):
    district = populate(n)
    with django_assert_num_queries(queries):
        response = client.get(url, {param: district.code})
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows_for_many * n // MANY


@pytest.mark.parametrize("n", [1, MANY])
def test_assessments_of_a_signed_in_user_query_count(django_assert_num_queries, n, admin_user):
    district = populate(n)
    client = Client()
    client.force_login(admin_user)
    # Session, user, membership, the district, the rows, results, indicator values.
    with django_assert_num_queries(7):
        response = client.get("/api/v1/assessments/", {"district": district.code})
    assert len(response.json()["results"]) == 2 * n


@pytest.mark.parametrize("n", [1, MANY])
def test_criteria_set_detail_query_count(client, django_assert_num_queries, n):
    criteria_set = make_criteria_set(n_criteria=n, indicators_per_criterion=3)
    # The set with its province and prerequisite, criteria, indicators, thresholds.
    with django_assert_num_queries(4):
        response = client.get(f"/api/v1/criteria-sets/{criteria_set.code}/")
    assert len(response.json()["criteria"]) == n
    assert response.json()["criteria"][0]["indicators"][0]["verification"] == (
        "verified_legal_text"
    )


def test_province_and_district_lists_query_count(client, django_assert_num_queries):
    # The version, the rows, the links to predecessors and to successors (districts: none).
    with django_assert_num_queries(4):
        client.get("/api/v1/provinces/")
    with django_assert_num_queries(2):
        client.get("/api/v1/districts/", {"province": "42"})


@pytest.mark.parametrize("n", [1, MANY])
def test_criteria_set_list_query_count(client, django_assert_num_queries, n):
    for _ in range(n):
        make_criteria_set(n_criteria=2, province=make_district().province)
    # One query: the sets with their counts, province and prerequisite (no report version:
    # thresholds are not in it, so this list carries no ETag).
    with django_assert_num_queries(1):
        response = client.get("/api/v1/criteria-sets/", {"page_size": 1000})
    assert len(response.json()["results"]) >= n
