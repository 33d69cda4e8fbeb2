"""Dashboards by date: the as-of date chooses the map of units (before 01/07/2025 the old
provinces, districts and communes; since, the 34 provinces and their communes with no district
tier), a new province's trend goes back through the merger by the lineage, and the national
ranking ranks the provinces of that date."""

import datetime

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from communes.enums import Role
from communes.models import (
    LEGACY_VALID_TO,
    MERGER_DATE,
    CommuneSuccession,
    District,
    Province,
    ProvinceSuccession,
)
from criteria.enums import Title
from reports import cache
from reports.dashboard import national_ranking, province_dashboard
from tests.factories import (
    legacy_unit,
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_province,
    make_recognition,
    make_user,
    new_unit,
)

pytestmark = pytest.mark.django_db

AFTER = datetime.date(2026, 1, 10)


@pytest.fixture
def client(client):
    """A national admin reading in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.ADMIN))
    return client


def get(client, name, code, **params):
    return client.get(reverse(name, args=[code]), params)


# -- The district tier ------------------------------------------------------------------------


def test_district_dashboard_before_the_merger_is_the_district(client):
    response = get(client, "reports:district_dashboard", "447", as_of="2025-06-30")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dashboard: Huyện Kỳ Anh" in html
    assert 'id="matrix"' in html


def test_district_dashboard_after_the_merger_says_the_district_is_gone(client):
    response = get(client, "reports:district_dashboard", "447", as_of=AFTER.isoformat())

    html = response.content.decode()
    assert response.status_code == 200
    assert "existed until 30/06/2025" in html
    assert "no longer exists" in html
    assert 'id="matrix"' not in html
    # The province that took its communes (Hà Tĩnh, 42, on the new map), on the same date.
    assert f"/p/42/dashboard/?as_of={AFTER.isoformat()}" in html
    # And the district's own last day.
    assert "/d/447/dashboard/?as_of=2025-06-30" in html


def test_district_dashboard_today_says_the_district_is_gone_in_vietnamese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

    html = get(client, "reports:district_dashboard", "447").content.decode()

    assert "không còn tồn tại" in html


def test_district_export_after_the_merger_is_the_same_explanation(client):
    response = get(client, "reports:district_dashboard_xlsx", "447", as_of=AFTER.isoformat())

    assert response["Content-Type"].startswith("text/html")
    assert "no longer exists" in response.content.decode()


def test_gone_district_links_the_district_office_to_the_public_province_page(client):
    office = make_user(role=Role.DISTRICT_OFFICE, unit=legacy_unit(District, "447"))
    client.force_login(office)

    html = get(client, "reports:district_dashboard", "447", as_of=AFTER.isoformat())
    html = html.content.decode()

    # A district office may not open the new province's dashboard: the public page instead.
    assert "/p/42/dashboard/" not in html
    assert 'href="/p/42/"' in html


def test_province_dashboard_before_the_merger_has_its_districts(client):
    html = get(client, "reports:province_dashboard", "42", as_of="2025-06-30").content.decode()

    assert 'id="districts"' in html
    assert "Huyện Kỳ Anh" in html


def test_province_dashboard_after_the_merger_has_no_district_tier(client):
    board = province_dashboard(new_unit(Province, "42"), as_of=AFTER)
    html = get(client, "reports:province_dashboard", "42", as_of=AFTER.isoformat())
    html = html.content.decode()

    assert board.districts == []
    assert board.rows and all(r.commune.district_id is None for r in board.rows)
    assert 'id="districts"' not in html
    assert "Communes without a district" not in html


def test_merged_away_province_after_the_merger_points_to_its_successor(client):
    old = make_province(name="Tỉnh Cũ", valid_to=LEGACY_VALID_TO)
    new = make_province(name="Tỉnh Mới", valid_from=MERGER_DATE)
    ProvinceSuccession.objects.create(predecessor=old, successor=new)

    html = get(client, "reports:province_dashboard", old.code, as_of=AFTER.isoformat())
    html = html.content.decode()

    assert "Tỉnh Cũ, a province of the former map, existed until 30/06/2025" in html
    assert f"/p/{new.code}/dashboard/?as_of={AFTER.isoformat()}" in html


# -- The national ranking ---------------------------------------------------------------------


def test_national_ranking_ranks_the_provinces_of_the_date():
    call_command("load_admin_units", verbosity=0)  # the whole country, both maps
    provinces = Province.objects.all()

    before = national_ranking(provinces, LEGACY_VALID_TO)
    after = national_ranking(provinces, AFTER)

    assert len(before) == 63
    assert len(after) == 34
    assert all(r.province.valid_to == LEGACY_VALID_TO for r in before)
    assert all(r.province.valid_from == MERGER_DATE for r in after)


def test_national_page_names_the_map_of_its_date(client):
    before = client.get(reverse("reports:national_dashboard"), {"as_of": "2025-06-30"})
    after = client.get(reverse("reports:national_dashboard"), {"as_of": AFTER.isoformat()})

    before, after = before.content.decode(), after.content.decode()
    assert "Tỉnh Long An" in before and "Tỉnh Long An" not in after
    assert "Tỉnh Tây Ninh" in after
    assert "former map" in before
    assert "two-level map" in after
    # Each province links to its dashboard on the ranking's date.
    assert f"/p/80/dashboard/?as_of={AFTER.isoformat()}" in after


# -- A new province's trend through the merger ------------------------------------------------


@pytest.fixture
def merged():
    """An old province with three communes a, b, c closed on 30/06/2025; a new province whose
    commune n was formed from a and b, and m from c; a 2021–2025 set of six criteria."""
    criteria_set = make_criteria_set(
        n_criteria=6, valid_from=datetime.date(2021, 1, 1), valid_to=datetime.date(2025, 12, 31)
    )
    old = make_province(name="Tỉnh Cũ", valid_to=LEGACY_VALID_TO)
    district = make_district(province=old, valid_to=LEGACY_VALID_TO)
    a, b, c = (make_commune(district=district, valid_to=LEGACY_VALID_TO) for _ in range(3))
    new = make_province(name="Tỉnh Mới", valid_from=MERGER_DATE)
    ProvinceSuccession.objects.create(predecessor=old, successor=new)
    n = make_commune(province=new, valid_from=MERGER_DATE, name="Xã Mới N")
    m = make_commune(province=new, valid_from=MERGER_DATE, name="Xã Mới M")
    for predecessor, successor in [(a, n), (b, n), (c, m)]:
        CommuneSuccession.objects.create(predecessor=predecessor, successor=successor)

    def assess(unit, year, met, month=6):
        make_assessment(
            unit=unit,
            criteria_set=criteria_set,
            met=range(1, met + 1),
            assessed_on=datetime.date(year, month, 1),
        )

    assess(a, 2021, 4)  # b not assessed in 2021: n does not count that year
    assess(a, 2022, 6)
    assess(b, 2022, 3)  # n in 2022: the fewest, 3
    assess(b, 2023, 6)  # n in 2023: 6 (both met all)
    assess(c, 2023, 2)
    assess(m, 2025, 5, month=9)  # m's own assessment after the merger replaces c's
    return new, criteria_set, (a, b, c, n, m)


def test_new_province_trend_maps_predecessors_forward(merged):
    new, criteria_set, (a, b, c, n, m) = merged

    board = province_dashboard(new, set_code=criteria_set.code, as_of=AFTER)

    by_year = {p.year: p for p in board.trend}
    assert list(by_year) == [2021, 2022, 2023, 2024, 2025]
    assert (by_year[2021].met, by_year[2021].mapped) == ([], 0)
    assert (by_year[2022].met, by_year[2022].mapped) == ([3], 1)
    assert (sorted(by_year[2023].met), by_year[2023].mapped) == ([2, 6], 2)
    assert by_year[2023].all_met == 1
    # 2025: m's own assessment (5), n still its predecessors' (6).
    assert (sorted(by_year[2025].met), by_year[2025].mapped) == ([5, 6], 1)
    assert board.mapped_years == [2022, 2023, 2024, 2025]


def test_new_province_page_says_which_years_are_mapped(client, merged):
    new, criteria_set, _ = merged

    html = get(
        client, "reports:province_dashboard", new.code, set=criteria_set.code, as_of="2026-01-10"
    ).content.decode()

    assert "(2022, 2023, 2024, 2025)" in html
    assert "only when every predecessor was assessed" in html
    assert "2022<span" in html  # the year is marked


def test_new_province_keeps_the_old_set_on_its_filter(merged):
    new, criteria_set, _ = merged

    board = province_dashboard(new, as_of=AFTER)

    counts = {s.code: s.commune_count for s in board.sets}
    # n and m, through their predecessors.
    assert counts[criteria_set.code] == 2


def test_predecessor_assessments_after_the_merger_are_not_mapped(merged):
    new, criteria_set, (a, *_rest) = merged
    # A late entry on a closed commune is not the new commune's figure.
    make_assessment(
        unit=a, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2025, 8, 1)
    )

    board = province_dashboard(new, set_code=criteria_set.code, as_of=AFTER)

    assert sorted(next(p for p in board.trend if p.year == 2025).met) == [5, 6]


def test_old_province_trend_is_its_own(merged):
    new, criteria_set, (a, *_rest) = merged

    board = province_dashboard(a.province, set_code=criteria_set.code, as_of=LEGACY_VALID_TO)

    assert not board.mapped_years
    assert {p.year: sorted(p.met) for p in board.trend}[2023] == [2, 6, 6]


@pytest.mark.parametrize("n_predecessors", [1, 6])
def test_new_province_query_count_is_constant(
    client, django_assert_num_queries, merged, n_predecessors
):
    new, criteria_set, (a, *_rest) = merged
    for _ in range(n_predecessors):
        extra = make_commune(district=a.district, valid_to=LEGACY_VALID_TO)
        successor = make_commune(province=new, valid_from=MERGER_DATE)
        CommuneSuccession.objects.create(predecessor=extra, successor=successor)
        make_assessment(unit=extra, criteria_set=criteria_set, met=[1, 2])
        make_recognition(unit=extra, title=Title.NTM, decided_on=datetime.date(2022, 1, 1))

    # As for any province: 15 on a cache miss (tests/reports/test_dashboard_province.py).
    with django_assert_num_queries(15):
        response = get(client, "reports:province_dashboard", new.code, as_of=AFTER.isoformat())

    assert response.status_code == 200


# -- The cache --------------------------------------------------------------------------------


def test_a_write_on_a_predecessor_changes_the_new_province_version(merged):
    new, criteria_set, (a, *_rest) = merged
    before = cache.report_version(new.pk)

    make_assessment(
        unit=a, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2024, 1, 1)
    )

    assert cache.report_version(new.pk) != before


def test_new_province_page_shows_a_predecessor_write(client, merged):
    new, criteria_set, (a, b, *_rest) = merged
    params = {"set": criteria_set.code, "as_of": "2026-01-10"}
    first = get(client, "reports:province_dashboard", new.code, **params).content.decode()
    assert "(2022, 2023, 2024, 2025)" in first

    # a assessed in 2021, b now too: n counts in 2021 from now on.
    make_assessment(
        unit=b, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2021, 3, 1)
    )

    second = get(client, "reports:province_dashboard", new.code, **params).content.decode()
    assert "(2021, 2022, 2023, 2024, 2025)" in second


def test_national_page_for_an_office_of_the_former_map_offers_its_days(client):
    hatinh = legacy_unit(Province, "42")
    client.force_login(make_user(role=Role.PROVINCE_OFFICE, unit=hatinh))

    response = client.get(reverse("reports:national_dashboard"), {"as_of": AFTER.isoformat()})

    html = response.content.decode()
    assert response.status_code == 200
    assert "did not exist on this date" in html
    assert "?as_of=2025-06-30" in html
