"""The API's area figures are the dashboard's: for every demo area (the provinces and the
districts holding demo data), the JSON carries the numbers of the Dashboard that the page
renders, read from the same builder (reports.dashboard), for the default filters and for a
chosen set, kind and date."""

import datetime

import pytest
from django.db.models import Q
from django.test import Client

from communes.models import District, Province
from criteria.models import Assessment, Recognition
from reports import dashboard
from tests.factories import legacy_unit

pytestmark = pytest.mark.django_db

DEMO_PROVINCES = ["38", "42", "46", "80"]


def demo_districts():
    with_assessments = Assessment.objects.public().values("commune__district")
    with_recognitions = Recognition.objects.values("commune__district")
    return list(
        District.objects.filter(Q(pk__in=with_assessments) | Q(pk__in=with_recognitions))
        .distinct()
        .order_by("code")
    )


def _expected(board):
    """The figures, read off the Dashboard object attribute by attribute."""
    h = board.headline
    return {
        "criteria_set": board.criteria_set.code if board.criteria_set else None,
        "as_of": board.as_of.isoformat(),
        "headline": [
            h.communes,
            h.rural_communes,
            h.ntm,
            h.ntmnc,
            h.model,
            h.unrecognised,
            h.villages_ntm,
            h.villages_model,
        ],
        "sets": [(s.code, s.commune_count) for s in board.sets],
        "criteria": [c.number for c in board.criteria],
        "hardest": [(s.criterion.number, s.met, s.assessed) for s in board.hardest],
        "closest": [r.commune.code for r in board.closest],
        "distribution": [list(p) for p in board.distribution],
        "trend": [(p.year, p.assessed, p.fewest, p.most, p.all_met) for p in board.trend],
        "rows": [
            (r.commune.code, r.cells, r.met_count if r.assessment else None, r.target_state)
            for r in board.rows
        ],
    }


def _got(data):
    h = data["headline"]
    return {
        "criteria_set": data["criteria_set"],
        "as_of": data["as_of"],
        "headline": [
            h["communes"],
            h["rural_communes"],
            h["ntm"],
            h["ntmnc"],
            h["model"],
            h["unrecognised"],
            h["villages_ntm"],
            h["villages_model"],
        ],
        "sets": [(s["code"], s["communes_assessed"]) for s in data["sets"]],
        "criteria": [c["number"] for c in data["criteria"]],
        "hardest": [(s["criterion"], s["met"], s["assessed"]) for s in data["hardest_criteria"]],
        "closest": data["closest_to_recognition"],
        "distribution": [[p["met"], p["communes"]] for p in data["met_distribution"]],
        "trend": [
            (p["year"], p["assessed"], p["fewest_met"], p["most_met"], p["all_met"])
            for p in data["trend"]
        ],
        "rows": [
            (r["code"], r["results"], r["criteria_met"], r["target_state"])
            for r in data["communes"]
        ],
    }


@pytest.fixture
def admin_api(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


FILTERS = [
    {"as_of": "2025-06-30"},
    {"as_of": "2021-01-01", "kind": "xa"},
    {"as_of": "2024-12-31", "set": "NTM_XA_2021_2025"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "-".join(f.values()))
def test_province_figures_equal_the_dashboard(admin_api, filters):
    for code in DEMO_PROVINCES:
        province = legacy_unit(Province, code)
        board = dashboard.province_dashboard(
            province,
            set_code=filters.get("set", ""),
            as_of=datetime.date.fromisoformat(filters["as_of"]),
            kind=filters.get("kind", ""),
        )
        response = admin_api.get(f"/api/v1/dashboards/provinces/{code}/", filters)
        assert response.status_code == 200
        data = response.json()
        assert _got(data) == _expected(board), code
        assert [d["code"] for d in data["districts"]] == [d.district.code for d in board.districts]
        for got, summary in zip(data["districts"], board.districts, strict=True):
            assert got["assessed"] == summary.assessed
            assert got["headline"]["ntm"] == summary.headline.ntm


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "-".join(f.values()))
def test_district_figures_equal_the_dashboard(admin_api, filters):
    districts = demo_districts()
    assert len(districts) >= 3
    for district in districts:
        board = dashboard.district_dashboard(
            district,
            set_code=filters.get("set", ""),
            as_of=datetime.date.fromisoformat(filters["as_of"]),
            kind=filters.get("kind", ""),
        )
        response = admin_api.get(f"/api/v1/dashboards/districts/{district.code}/", filters)
        assert response.status_code == 200
        assert _got(response.json()) == _expected(board), district.code


def test_hau_loc_headline_is_the_articles(admin_api):
    """The seed article's figures: Hậu Lộc's 21/21 communes NTM, 111 NTM villages."""
    data = admin_api.get("/api/v1/dashboards/districts/400/", {"as_of": "2024-01-01"}).json()
    assert data["headline"]["ntm"] == 21
    assert data["headline"]["villages_ntm"] == 111
    assert data["headline"]["villages_model"] == 14


def test_the_page_shows_the_same_headline(admin_api):
    """The page and the API side by side, for Kỳ Anh: the API's counts are in the page."""
    page = admin_api.get("/d/447/dashboard/", {"as_of": "2020-12-31"})
    data = admin_api.get("/api/v1/dashboards/districts/447/", {"as_of": "2020-12-31"}).json()
    text = page.content.decode()
    for row in data["communes"]:
        if row["criteria_met"] is not None:
            assert f"{row['criteria_met']}/{len(data['criteria'])}" in text


def test_a_bad_filter_is_a_400_that_names_it(admin_api):
    response = admin_api.get("/api/v1/dashboards/districts/447/", {"as_of": "31/12/2024"})
    assert response.status_code == 400
    assert "as_of" in response.json()
    response = admin_api.get("/api/v1/dashboards/districts/447/", {"set": "NO_SUCH"})
    assert response.status_code == 400
    assert "set" in response.json()


def test_the_filter_forms_as_of_chooses_the_area(admin_api):
    """42 is the old Hà Tĩnh until 30/06/2025 and the new one since: the form's ``as_of``
    (default today) names the area, as on the page."""
    url = "/api/v1/dashboards/provinces/42/"
    old = admin_api.get(url, {"as_of": "2025-06-30"}).json()
    new = admin_api.get(url, {"as_of": "2025-07-01"}).json()
    today = admin_api.get(url).json()
    names = {row["code"]: row["name"] for row in old["communes"]}
    assert names["18838"] == "Xã Lâm Hợp" and old["districts"]
    names = {row["code"]: row["name"] for row in new["communes"]}
    assert names["18838"] == "Xã Kỳ Lạc"
    assert not new["districts"]  # no district tier since 01/07/2025
    assert [row["code"] for row in today["communes"]] == [row["code"] for row in new["communes"]]
