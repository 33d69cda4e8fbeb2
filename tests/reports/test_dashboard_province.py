"""The province dashboard (districts as rows, communes without a district) and the national
ranking of provinces: figures on the seed data and on factory data, access, query counts."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from communes.enums import AssessmentStatus, Role
from communes.models import Province
from criteria.enums import Title
from reports.dashboard import national_ranking, province_dashboard
from tests.factories import (
    legacy_unit,
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_province,
    make_recognition,
    make_target,
    make_user,
    make_village,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 1)


@pytest.fixture
def client(client):
    """A national admin reading in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.ADMIN))
    return client


@pytest.fixture
def area():
    """A province with two districts (two and one communes) and one commune without a
    district, assessed against a 4-criterion set."""
    province = make_province()
    north = make_district(province=province, name="Huyện Bắc")
    south = make_district(province=province, name="Huyện Nam")
    criteria_set = make_criteria_set(n_criteria=4)
    a = make_commune(district=north, name="Xã A")
    b = make_commune(district=north, name="Xã B")
    c = make_commune(district=south, name="Xã C")
    d = make_commune(province=province, name="Xã D")
    make_assessment(unit=a, criteria_set=criteria_set, met=[1, 2, 3, 4])
    make_assessment(unit=b, criteria_set=criteria_set, met=[1, 2])
    make_assessment(unit=d, criteria_set=criteria_set, met=[1])
    make_recognition(unit=a, title=Title.NTM, decided_on=datetime.date(2024, 8, 1))
    make_recognition(unit=d, title=Title.MODEL, decided_on=datetime.date(2024, 8, 1))
    return province, (north, south), criteria_set, (a, b, c, d)


def test_province_dashboard_rolls_up_every_commune(area):
    province, _, criteria_set, communes = area

    board = province_dashboard(province, as_of=TODAY)

    assert board.criteria_set == criteria_set
    assert [r.commune.pk for r in board.rows] == [c.pk for c in communes]
    assert (board.headline.ntm, board.headline.model, board.headline.rural_communes) == (2, 1, 4)
    # Criterion 1 is met by all three assessed communes, 3 and 4 by one.
    assert [(s.criterion.number, s.met) for s in board.hardest] == [(3, 1), (4, 1), (2, 2), (1, 3)]
    assert [r.commune.name for r in board.closest] == ["Xã B", "Xã D"]


def test_province_dashboard_district_rows(area):
    province, (north, south), _, _ = area

    board = province_dashboard(province, as_of=TODAY)

    rows = {s.district: s for s in board.districts}
    assert list(rows) == [north, south]
    assert (rows[north].headline.communes, rows[north].headline.ntm) == (2, 1)
    assert rows[north].assessed == 2
    assert rows[north].average_met == 3.0
    assert (rows[south].headline.communes, rows[south].assessed) == (1, 0)
    assert rows[south].average_met is None


def test_province_dashboard_lists_communes_without_a_district(area):
    province, _, _, communes = area

    board = province_dashboard(province, as_of=TODAY)

    assert [r.commune.pk for r in board.direct_rows] == [communes[3].pk]


def test_province_dashboard_page(client, area):
    province, (north, _), criteria_set, _ = area

    response = client.get(
        reverse("reports:province_dashboard", args=[province.code]), {"as_of": "2025-06-01"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Dashboard: {province.name}" in html
    districts = html[html.index('id="districts"') : html.index('id="progress"')]
    # Each district links to its own dashboard with the same filters.
    assert f"/d/{north.code}/dashboard/?set={criteria_set.code}&amp;as_of=2025-06-01" in districts
    assert "3.0/4 (2 communes assessed)" in districts
    assert "Xã D" in html[html.index('id="progress"') : html.index('id="matrix"')]


def test_province_dashboard_hatinh_counts_ky_anh_row():
    board = province_dashboard(legacy_unit(Province, "42"), as_of=TODAY)

    ky_anh = next(s for s in board.districts if s.district.code == "447")
    assert ky_anh.headline.communes == len(
        [r for r in board.rows if r.commune.district_id == ky_anh.district.pk]
    )
    assert board.headline.communes == sum(s.headline.communes for s in board.districts) + len(
        board.direct_rows
    )


def test_province_dashboard_export_has_every_commune(client, area):
    from io import BytesIO

    from openpyxl import load_workbook

    province, _, _, communes = area
    response = client.get(
        reverse("reports:province_dashboard_xlsx", args=[province.code]), {"as_of": "2025-06-01"}
    )

    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert sheet["A1"].value == province.name
    names = [r[1].value for r in sheet.iter_rows(min_row=5)][:-1]
    assert names == [c.name for c in communes]


# -- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["reports:province_dashboard", "reports:province_dashboard_xlsx"])
def test_province_dashboard_access(client, view):
    from communes.models import Commune, District

    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse(view, args=["42"])
    assert client.get(url).status_code == 302

    client.force_login(make_user(role=Role.PROVINCE_OFFICE, unit=legacy_unit(Province, "42")))
    assert client.get(url).status_code == 200

    client.force_login(make_user(role=Role.PROVINCE_OFFICE, unit=legacy_unit(Province, "38")))
    assert client.get(url).status_code == 404

    client.force_login(make_user(role=Role.DISTRICT_OFFICE, unit=legacy_unit(District, "447")))
    response = client.get(url)
    assert response.status_code == 403
    assert "covers only part of Tỉnh Hà Tĩnh" in response.content.decode()

    client.force_login(make_user(role=Role.COMMUNE_OFFICIAL, unit=legacy_unit(Commune, "18838")))
    assert client.get(url).status_code == 403


def test_province_page_links_to_its_dashboard(client):
    html = client.get(reverse("reports:province", args=["42"])).content.decode()

    assert 'href="/p/42/dashboard/"' in html


# -- National ranking -------------------------------------------------------------------------


def test_national_ranking_by_share_of_xa_recognised():
    high, low = make_province(name="Tỉnh Cao"), make_province(name="Tỉnh Thấp")
    for province, recognised in [(low, 1), (high, 2)]:
        communes = [make_commune(province=province) for _ in range(3)]
        for commune in communes[:recognised]:
            make_recognition(unit=commune, title=Title.NTM)
    # A ward does not count: wards cannot hold the NTM title.
    make_commune(province=high, kind="phuong")
    make_recognition(unit=communes[0], title=Title.MODEL, revoked_on=datetime.date(2024, 1, 1))

    ranking = national_ranking(Province.objects.filter(pk__in=[high.pk, low.pk]), TODAY)

    assert [(r.province, r.ntm, r.rural_communes, r.percent) for r in ranking] == [
        (high, 2, 3, 67),
        (low, 1, 3, 33),
    ]
    assert ranking[1].model == 0


def test_national_ranking_as_of_a_date_before_the_decisions():
    province = make_province()
    make_recognition(unit=make_commune(province=province), decided_on=datetime.date(2024, 1, 1))

    (rank,) = national_ranking(Province.objects.filter(pk=province.pk), datetime.date(2023, 1, 1))

    assert rank.ntm == 0


def test_national_dashboard_admin_sees_every_province(client):
    # Long An is a province of the former map (since 01/07/2025 part of Tây Ninh).
    html = client.get(reverse("reports:national_dashboard"), {"as_of": "2025-06-30"})
    html = html.content.decode()

    assert html.count('<td class="num">') >= 4 * 3
    for name in ["Tỉnh Thanh Hóa", "Tỉnh Hà Tĩnh", "Tỉnh Long An"]:
        assert name in html


def test_national_dashboard_bad_date_is_400_not_today(client):
    response = client.get(reverse("reports:national_dashboard"), {"as_of": "31/02/2024"})

    assert response.status_code == 400
    assert "Tỉnh Hà Tĩnh" not in response.content.decode()


def test_national_dashboard_province_office_sees_only_its_province(client):
    client.force_login(make_user(role=Role.PROVINCE_OFFICE, unit=legacy_unit(Province, "42")))

    response = client.get(reverse("reports:national_dashboard"), {"as_of": "2025-06-30"})
    html = response.content.decode()

    assert "Tỉnh Hà Tĩnh" in html
    assert "Tỉnh Thanh Hóa" not in html


def test_national_dashboard_below_province_level_is_404(client):
    from communes.models import District

    client.force_login(make_user(role=Role.DISTRICT_OFFICE, unit=legacy_unit(District, "447")))

    assert client.get(reverse("reports:national_dashboard")).status_code == 404


def test_national_dashboard_anonymous_is_sent_to_login(client):
    client.logout()

    assert client.get(reverse("reports:national_dashboard")).status_code == 302


# -- Query counts -----------------------------------------------------------------------------


def populate(n_districts, n_communes):
    province = make_province()
    criteria_set = make_criteria_set(n_criteria=5)
    for _ in range(n_districts):
        district = make_district(province=province)
        for _ in range(n_communes):
            commune = make_commune(district=district)
            for year in (2022, 2023):
                make_assessment(
                    unit=commune,
                    criteria_set=criteria_set,
                    met=[1, 2],
                    assessed_on=datetime.date(year, 6, 1),
                )
            make_assessment(unit=commune, criteria_set=criteria_set, status=AssessmentStatus.DRAFT)
            make_recognition(unit=commune, title=Title.NTM)
            make_target(unit=commune, title=Title.NTM, planned_year=2026)
            make_recognition(unit=make_village(commune=commune), title=Title.VILLAGE_NTM)
    make_assessment(unit=make_commune(province=province), criteria_set=criteria_set, met=[1])
    return province


@pytest.mark.parametrize(("n_districts", "n_communes"), [(1, 1), (4, 5)])
def test_province_dashboard_query_count_is_constant(
    client, django_assert_num_queries, n_districts, n_communes
):
    province = populate(n_districts, n_communes)
    url = reverse("reports:province_dashboard", args=[province.code])

    # A cache miss: the report version (reports.cache) is one query more; one query reads
    # every public assessment of the province (reports.dashboard.area_assessments), one the
    # lineage of its communes (read on the former map too, where it is empty).
    with django_assert_num_queries(15):
        response = client.get(url, {"as_of": "2025-01-01"})

    cells = response.content.decode().count('<td class="cell cell--met"')
    assert cells == 2 * n_districts * n_communes + 1


@pytest.mark.parametrize(("n_districts", "n_communes"), [(1, 1), (4, 5)])
def test_province_export_query_count_is_constant(
    client, django_assert_num_queries, n_districts, n_communes
):
    province = populate(n_districts, n_communes)
    url = reverse("reports:province_dashboard_xlsx", args=[province.code])

    # 14: one query reads every public assessment of the province, one the lineage of its
    # communes (see reports.dashboard).
    with django_assert_num_queries(14):
        response = client.get(url, {"as_of": "2025-01-01"})

    assert response.status_code == 200


@pytest.mark.parametrize("n_provinces", [1, 6])
def test_national_dashboard_query_count_is_constant(client, django_assert_num_queries, n_provinces):
    for _ in range(n_provinces):
        province = make_province()
        make_recognition(unit=make_commune(province=province))

    with django_assert_num_queries(4):
        response = client.get(reverse("reports:national_dashboard"))

    assert response.status_code == 200


# -- Trend ------------------------------------------------------------------------------------


def test_trend_counts_each_commune_with_its_latest_assessment_by_each_year():
    from reports.dashboard import trend

    history = [
        (1, datetime.date(2021, 5, 1), 10, 2),
        (2, datetime.date(2022, 3, 1), 11, 4),
        (1, datetime.date(2023, 7, 1), 12, 4),
    ]

    points = trend(history, 4, datetime.date(2024, 2, 1))

    assert [(p.year, p.met) for p in points] == [
        (2021, [2]),
        (2022, [2, 4]),
        (2023, [4, 4]),
        (2024, [4, 4]),
    ]
    assert (points[1].average, points[1].fewest, points[1].most, points[1].all_met) == (3, 2, 4, 1)


def test_trend_chart_on_the_page_respects_as_of(client, area):
    province, _, criteria_set, (a, _, _, _) = area
    make_assessment(
        unit=a, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2025, 3, 1)
    )
    url = reverse("reports:province_dashboard", args=[province.code])

    html = client.get(url, {"as_of": "2024-12-31"}).content.decode()
    trend_html = html[html.index('id="trend"') : html.index('id="closest"')]
    assert (
        "<title>2024: 2.3 of 4 criteria met on average (3 communes assessed)</title>" in trend_html
    )
    assert ">2025<" not in trend_html

    html = client.get(url, {"as_of": "2025-06-01"}).content.decode()
    trend_html = html[html.index('id="trend"') : html.index('id="closest"')]
    assert (
        "<title>2025: 1.3 of 4 criteria met on average (3 communes assessed)</title>" in trend_html
    )


# -- Every set per commune --------------------------------------------------------------------


@pytest.fixture
def two_sets(area):
    province, (north, _), first, (a, b, _, _) = area
    second = make_criteria_set(n_criteria=3, title=Title.NTMNC, short_name="Nâng cao thử")
    make_assessment(unit=a, criteria_set=second, met=[1, 2], assessed_on=datetime.date(2024, 9, 1))
    make_assessment(unit=a, criteria_set=second, met=[1], assessed_on=datetime.date(2025, 9, 1))
    return north, first, second, a, b


def test_dashboard_rows_carry_every_set_the_commune_is_tracked_on(two_sets):
    from reports.dashboard import district_dashboard

    north, first, second, a, b = two_sets

    board = district_dashboard(north, as_of=TODAY)

    row_a = next(r for r in board.rows if r.commune.pk == a.pk)
    assert [(x.criteria_set, x.criteria_met, x.criteria_total) for x in row_a.all_sets] == [
        (first, 4, 4),
        (second, 2, 3),  # the 2025-09 assessment is after the as-of date
    ]
    assert board.table_sets == [first, second]


def test_dashboard_table_shows_a_progress_bar_per_set(client, two_sets):
    north, first, second, a, _ = two_sets

    html = client.get(
        reverse("reports:district_dashboard", args=[north.code]), {"as_of": "2025-06-01"}
    ).content.decode()

    table = html[html.index('id="progress"') : html.index('id="matrix"')]
    assert table.count("<meter") == 3
    assert "Nâng cao thử · 01/09/2024" in table
    assert "2/3 criteria" in table


def test_export_second_sheet_lists_every_set_per_commune(client, two_sets):
    from io import BytesIO

    from openpyxl import load_workbook

    north, first, second, a, b = two_sets
    response = client.get(
        reverse("reports:district_dashboard_xlsx", args=[north.code]), {"as_of": "2025-06-01"}
    )

    sheet = load_workbook(BytesIO(response.content)).worksheets[1]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][0] == f"{north.name}: Criteria met per set"
    assert rows[2][:6] == [
        "Code",
        "Commune",
        f"{first.short_name} (/4)",
        f"{first.short_name}: date",
        "Nâng cao thử (/3)",
        "Nâng cao thử: date",
    ]
    assert rows[3][:6] == [
        a.code,
        a.name,
        4,
        datetime.datetime(2024, 6, 30),
        2,
        datetime.datetime(2024, 9, 1),
    ]
    assert rows[4][:6] == [b.code, b.name, 2, datetime.datetime(2024, 6, 30), None, None]
