"""What the district dashboard shows. Figures are checked on the seed data (Hậu Lộc, Kỳ Anh,
Tân Trụ) and on factory data; pages are read in English so the assertions do not depend on
the Vietnamese catalogue."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse

from communes.enums import AssessmentStatus, CommuneKind, Role
from communes.models import Commune, District
from criteria.enums import Title
from criteria.models import CriteriaSet
from criteria.services import record_assessment
from reports.dashboard import (
    TargetState,
    area_assessments,
    area_sets,
    district_communes,
    district_dashboard,
)
from tests.factories import (
    legacy_unit,
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

TODAY = datetime.date(2025, 6, 1)


@pytest.fixture
def client(client):
    """A national admin reading in English (dashboards are for logged-in users)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.ADMIN))
    return client


def board(code, **filters):
    filters.setdefault("as_of", TODAY)
    return district_dashboard(legacy_unit(District, code), **filters)


def row_named(dashboard, name):
    return next(r for r in dashboard.rows if r.commune.name == name)


def page(client, code, **params):
    # Districts exist only before 01/07/2025 (after, the page says the district is gone:
    # tests/reports/test_dashboard_eras.py).
    params.setdefault("as_of", TODAY.isoformat())
    response = client.get(reverse("reports:district_dashboard", args=[code]), params)
    assert response.status_code == 200
    return response.content.decode()


def section(html, section_id):
    start = html.index(f'id="{section_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


# -- Headline ---------------------------------------------------------------------------------


def test_dashboard_hau_loc_headline_counts():
    headline = board("400").headline

    assert (headline.ntm, headline.rural_communes) == (21, 21)
    assert headline.model == 1
    assert headline.ntmnc == 3
    assert headline.villages_ntm == 111
    assert headline.villages_model == 14
    # The township (thị trấn) holds no commune title.
    assert (headline.unrecognised, headline.communes) == (1, 22)


def test_dashboard_hau_loc_page_shows_headline_figures(client):
    html = page(client, "400")

    figures = re.findall(r"<dd>(\d+)", section(html, "headline"))
    assert figures == ["21", "3", "1", "1", "111", "14"]
    assert "/21 " in section(html, "headline")


def test_dashboard_headline_before_the_decisions_counts_nothing():
    headline = board("400", as_of=datetime.date(2023, 12, 30)).headline

    assert (headline.ntm, headline.ntmnc, headline.model) == (0, 0, 0)
    assert (headline.villages_ntm, headline.villages_model) == (0, 0)
    assert headline.unrecognised == 22


# -- Set choice, matrix, hardest, closest (seed data) -------------------------------------------


HATINH_SET = "HATINH_NTM_XA_2017_2020"


def test_dashboard_default_set_is_the_one_in_force_on_the_as_of_date():
    # 2020: Hà Tĩnh's own set, in force then (before the national 2016-2020 set).
    assert board("447", as_of=datetime.date(2020, 12, 31)).criteria_set.code == HATINH_SET
    # 2025: Hà Tĩnh's set expired with 2020; none of the sets in force has an assessment in
    # Kỳ Anh, so the base set (not NTM nâng cao), newest first.
    assert board("447").criteria_set.code == "NTM_XA_2021_2025"
    # 04/12/2026: only the 2026-2030 set is in force.
    assert board("447", as_of=datetime.date(2026, 12, 4)).criteria_set.code == "NTM_XA_2026_2030"
    # Tân Trụ: of the sets in force, the one most communes are assessed on.
    assert board("805").criteria_set.code == "NTMNC_XA_2021_2025"
    # No set in force yet (before 2016): the most assessed set, as before.
    assert board("805", as_of=datetime.date(2015, 1, 1)).criteria_set is None


def test_dashboard_trend_stays_within_the_sets_period():
    """Hà Tĩnh's 2017-2020 set ended with 2020: no flat repeats of its figures to 2026."""
    trend = board("447", as_of=datetime.date(2026, 12, 4), set_code=HATINH_SET).trend
    assert [p.year for p in trend] == [2020]


def test_dashboard_set_choice_counts_communes_not_assessments():
    # One commune assessed many times must not outweigh several communes assessed once.
    ntm = CriteriaSet.objects.get(code="NTM_XA_2016_2020")
    ky_tay = legacy_unit(Commune, "18793")
    for day in range(1, 6):
        record_assessment(
            unit=ky_tay,
            criteria_set=ntm,
            assessed_on=datetime.date(2019, 1, day),
            results={},
            status=AssessmentStatus.VERIFIED,
        )
    sets = {
        s.code: s.commune_count
        for s in area_sets(
            area_assessments(
                district_communes(legacy_unit(District, "447")), datetime.date(2024, 1, 1)
            )
        )
    }
    assert sets["NTM_XA_2016_2020"] == 1
    assert sets["HATINH_NTM_XA_2017_2020"] == 2
    assert board("447", as_of=datetime.date(2020, 12, 31)).criteria_set.code == HATINH_SET


def test_dashboard_ky_anh_matrix_cells_for_lam_hop_and_ky_lac():
    dashboard = board("447", set_code=HATINH_SET)
    numbers = [c.number for c in dashboard.criteria]
    assert numbers == list(range(1, 21))

    lam_hop = row_named(dashboard, "Xã Lâm Hợp")
    ky_lac = row_named(dashboard, "Xã Kỳ Lạc")
    assert [n for n, s in zip(numbers, lam_hop.cells, strict=True) if s != "met"] == [1, 2, 17, 20]
    assert set(lam_hop.cells) == {"met", "not_met"}
    assert [n for n, s in zip(numbers, ky_lac.cells, strict=True) if s == "not_met"] == [
        1,
        2,
        6,
        8,
        10,
        13,
        15,
        17,
        18,
        20,
    ]
    assert (lam_hop.met_count, ky_lac.met_count) == (16, 10)
    # Communes never assessed are rows of "not assessed" cells.
    others = [r for r in dashboard.rows if r.assessment is None]
    assert len(others) == 18
    assert all(set(r.cells) == {"none"} for r in others)


def test_dashboard_ky_anh_matrix_renders_symbol_and_class_per_cell(client):
    html = section(page(client, "447", set=HATINH_SET), "matrix")
    row = html[html.index("Xã Lâm Hợp") : html.index("</tr>", html.index("Xã Lâm Hợp"))]

    cells = re.findall(
        r'<td class="cell cell--(\w+)"[^>]*><span aria-hidden="true">(.)</span>', row
    )
    assert [c[0] for c in cells[:3]] == ["not_met", "not_met", "met"]
    assert {c for c in cells} == {("met", "✓"), ("not_met", "✗")}
    assert len(cells) == 20
    assert ">16/20<" in row
    # Column headers carry the criterion's full name; the printed legend lists them all.
    assert 'title="Quy hoạch"' in html
    assert '<li value="17">Môi trường' in html


def test_dashboard_ky_anh_hardest_criteria_first():
    hardest = board("447", set_code=HATINH_SET).hardest

    assert [s.criterion.number for s in hardest[:4]] == [1, 2, 17, 20]
    assert [s.criterion.name for s in hardest[:3]] == [
        "Quy hoạch",
        "Giao thông",
        "Môi trường và an toàn thực phẩm",
    ]
    assert [(s.met, s.assessed) for s in hardest[:5]] == [(0, 2)] * 4 + [(1, 2)]
    assert (hardest[-1].met, hardest[-1].percent) == (2, 100)


def test_dashboard_tan_tru_closest_to_recognition(client):
    closest = board("805").closest

    assert [r.commune.name for r in closest] == ["Xã Quê Mỹ Thạnh", "Xã Bình Trinh Đông"]
    # The criteria the article names as unmet (quy hoạch, thu nhập, tổ chức sản xuất, y tế).
    assert [c.number for c in closest[0].missing] == [1, 10, 13, 14]
    # "Basically met" (criterion 4) is not yet met.
    assert [c.number for c in closest[1].missing] == [1, 4, 10, 13, 14, 17]

    html = section(page(client, "805", as_of="2025-06-01"), "closest")
    assert html.index("Xã Quê Mỹ Thạnh") < html.index("Xã Bình Trinh Đông")
    assert "4 criteria missing" in html and "6 criteria missing" in html


def test_dashboard_tan_tru_targets_past_their_year_are_overdue():
    dashboard = board("805")
    que_my_thanh = row_named(dashboard, "Xã Quê Mỹ Thạnh")

    assert que_my_thanh.target.planned_year == 2024
    assert que_my_thanh.target_state == TargetState.OVERDUE
    in_2024 = row_named(board("805", as_of=datetime.date(2024, 12, 31)), "Xã Quê Mỹ Thạnh")
    assert in_2024.target_state == TargetState.MISSING


# -- As-of date, regressions, kind (factory data) ----------------------------------------------


@pytest.fixture
def area():
    district = make_district(name="Huyện Bảng")
    criteria_set = make_criteria_set(n_criteria=5, short_name="Bộ bảng")
    return district, criteria_set


def test_dashboard_as_of_uses_only_assessments_dated_by_then(area):
    district, criteria_set = area
    commune = make_commune(district=district, name="Xã Sớm")
    make_assessment(
        unit=commune, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2022, 1, 1)
    )
    make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1, 2, 3],
        assessed_on=datetime.date(2023, 1, 1),
    )
    make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1, 2, 3, 4, 5],
        status=AssessmentStatus.DRAFT,
        assessed_on=datetime.date(2023, 6, 1),
    )

    def met(day):
        return district_dashboard(district, as_of=day).rows[0].met_count

    assert met(datetime.date(2022, 6, 1)) == 1
    assert met(datetime.date(2024, 1, 1)) == 3  # the draft is not public
    # Before any assessment: the set in force by default, and no commune assessed.
    early = district_dashboard(district, as_of=datetime.date(2021, 1, 1))
    assert early.rows[0].assessment is None


def test_dashboard_as_of_ignores_revoked_and_later_recognitions(area):
    district, _ = area
    commune = make_commune(district=district)
    make_recognition(
        unit=commune,
        title=Title.NTM,
        decided_on=datetime.date(2020, 1, 1),
        revoked_on=datetime.date(2022, 1, 1),
    )
    make_recognition(unit=commune, title=Title.NTMNC, decided_on=datetime.date(2024, 1, 1))

    def headline(day):
        h = district_dashboard(district, as_of=day).headline
        return h.ntm, h.ntmnc, h.unrecognised

    assert headline(datetime.date(2021, 1, 1)) == (1, 0, 0)
    assert headline(datetime.date(2023, 1, 1)) == (0, 0, 1)
    assert headline(datetime.date(2024, 1, 1)) == (1, 1, 0)


def test_dashboard_flags_recognised_commune_whose_later_assessment_misses_a_criterion(client, area):
    district, criteria_set = area
    fallen = make_commune(district=district, name="Xã Tụt Hạng")
    make_recognition(unit=fallen, title=Title.NTM, decided_on=datetime.date(2021, 1, 1))
    make_assessment(
        unit=fallen,
        criteria_set=criteria_set,
        met=[1, 2, 3, 5],
        assessed_on=datetime.date(2024, 1, 1),
    )
    kept = make_commune(district=district, name="Xã Giữ Chuẩn")
    make_recognition(unit=kept, title=Title.NTM, decided_on=datetime.date(2021, 1, 1))
    make_assessment(
        unit=kept,
        criteria_set=criteria_set,
        met=[1, 2, 3, 4, 5],
        assessed_on=datetime.date(2024, 1, 1),
    )
    # Assessed below the standard before its decision: the decision supersedes it.
    earlier = make_commune(district=district, name="Xã Trước Quyết Định")
    make_recognition(unit=earlier, title=Title.NTM, decided_on=datetime.date(2024, 6, 1))
    make_assessment(
        unit=earlier, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2024, 1, 1)
    )
    # Another title than the set's: not a regression of this set.
    other = make_commune(district=district, name="Xã Danh Hiệu Khác")
    make_recognition(unit=other, title=Title.NTMNC, decided_on=datetime.date(2021, 1, 1))
    make_assessment(
        unit=other, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2024, 1, 1)
    )

    regressions = district_dashboard(district, as_of=TODAY).regressions

    assert [r.row.commune.name for r in regressions] == ["Xã Tụt Hạng"]
    assert [c.number for c in regressions[0].row.missing] == [4]
    html = section(page(client, district.code, as_of="2025-06-01"), "regressions")
    assert "Xã Tụt Hạng" in html and "4. Tiêu chí 4" in html
    assert "Xã Giữ Chuẩn" not in html and "Xã Trước Quyết Định" not in html


def test_dashboard_no_regression_once_the_recognition_is_revoked(area):
    district, criteria_set = area
    commune = make_commune(district=district)
    make_recognition(
        unit=commune, decided_on=datetime.date(2021, 1, 1), revoked_on=datetime.date(2024, 3, 1)
    )
    make_assessment(
        unit=commune, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2024, 1, 1)
    )

    assert len(district_dashboard(district, as_of=datetime.date(2024, 2, 1)).regressions) == 1
    assert district_dashboard(district, as_of=TODAY).regressions == []


def test_dashboard_kind_filter_keeps_only_that_kind(client, area):
    district, criteria_set = area
    make_commune(district=district, name="Xã Nông Thôn")
    make_commune(district=district, name="Thị trấn Huyện Lỵ", kind=CommuneKind.TOWNSHIP)

    html = page(client, district.code, kind="thi_tran")

    assert "Thị trấn Huyện Lỵ" in html
    assert "Xã Nông Thôn" not in html
    assert [r.commune.name for r in district_dashboard(district, as_of=TODAY, kind="xa").rows] == [
        "Xã Nông Thôn"
    ]


def test_dashboard_set_filter_switches_the_matrix(client, area):
    district, criteria_set = area
    other = make_criteria_set(n_criteria=3, short_name="Bộ khác", title=Title.NTMNC)
    commune = make_commune(district=district, name="Xã Hai Bộ")
    make_assessment(unit=commune, criteria_set=criteria_set, met=[1, 2])
    make_assessment(unit=make_commune(district=district), criteria_set=criteria_set, met=[1])
    make_assessment(unit=commune, criteria_set=other, met=[1, 2, 3])

    default = district_dashboard(district, as_of=TODAY)
    switched = district_dashboard(district, as_of=TODAY, set_code=other.code)

    assert (default.criteria_set, len(default.criteria)) == (criteria_set, 5)
    assert (switched.criteria_set, len(switched.criteria)) == (other, 3)
    assert row_named(switched, "Xã Hai Bộ").is_reached
    html = page(client, district.code, set=other.code)
    assert f'<option value="{other.code}" selected>' in html


def test_dashboard_target_state_facts(area):
    district, criteria_set = area
    reached = make_commune(district=district, name="Xã Đã Đạt")
    make_assessment(unit=reached, criteria_set=criteria_set, met=[1, 2, 3, 4, 5])
    late = make_commune(district=district, name="Xã Quá Hạn")
    make_assessment(unit=late, criteria_set=criteria_set, met=[1, 2, 3])
    make_target(unit=late, title=Title.NTM, planned_year=2024)
    pending = make_commune(district=district, name="Xã Đang Làm")
    make_assessment(unit=pending, criteria_set=criteria_set, met=[1])
    make_target(unit=pending, title=Title.NTM, planned_year=2026)
    make_commune(district=district, name="Xã Chưa Đánh Giá")
    make_village(commune=reached)

    rows = {r.commune.name: r for r in district_dashboard(district, as_of=TODAY).rows}

    assert rows["Xã Đã Đạt"].target_state == TargetState.REACHED
    assert (rows["Xã Quá Hạn"].target_state, len(rows["Xã Quá Hạn"].missing)) == ("overdue", 2)
    assert (rows["Xã Đang Làm"].target_state, len(rows["Xã Đang Làm"].missing)) == ("missing", 4)
    assert rows["Xã Chưa Đánh Giá"].target_state == TargetState.NOT_ASSESSED


# -- Filters and links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"as_of": "31/12/2024"}, "As of"),
        ({"as_of": "2024-02-30"}, "As of"),
        ({"kind": "huyen"}, "Kind of commune"),
        ({"set": "NO_SUCH_SET"}, "Criteria set"),
        ({"set": "NTM_HUYEN_2021_2025"}, "Criteria set"),  # a district-level set
        ({"set": "bad code!"}, "Criteria set"),
    ],
)
def test_dashboard_bad_filter_is_400_naming_the_filter(client, params, field):
    params = {"as_of": TODAY.isoformat(), **params}
    response = client.get(reverse("reports:district_dashboard", args=["447"]), params)

    assert response.status_code == 400
    html = response.content.decode()
    assert f"<li>{field}: " in html
    assert 'class="matrix' not in html


def test_dashboard_unknown_district_is_404(client):
    assert client.get(reverse("reports:district_dashboard", args=["99999999"])).status_code == 404


def test_district_page_links_to_its_dashboard(client):
    html = client.get(reverse("reports:district", args=["447"])).content.decode()

    # Kỳ Anh closed on 30/06/2025: its dashboard opens on its last day.
    dashboard = reverse("reports:district_dashboard", args=["447"])
    assert f'href="{dashboard}?as_of=2025-06-30"' in html
    open_ended = make_district()
    html = client.get(reverse("reports:district", args=[open_ended.code])).content.decode()
    assert f'href="{reverse("reports:district_dashboard", args=[open_ended.code])}"' in html


# -- Charts -----------------------------------------------------------------------------------


def test_dashboard_ky_anh_hardest_chart_draws_one_labelled_bar_per_criterion(client):
    html = section(page(client, "447", set=HATINH_SET), "hardest")
    svg = html[html.index("<svg") : html.index("</svg>")]

    assert svg.count('class="chart__bar"') == 20
    labels = re.findall(r'<text class="chart__label"[^>]*>([^<]+)</text>', svg)
    assert labels[:3] == ["1. Quy hoạch", "2. Giao thông", "17. Môi trường và an toàn thực phẩm"]
    assert re.findall(r'class="chart__bar"[^>]*width="(\d+)"', svg)[:5] == ["0"] * 4 + ["120"]
    assert "<title>1. Quy hoạch: 0 of 2 (0%)</title>" in svg


def test_dashboard_distribution_chart_counts_communes_per_criteria_met(client):
    html = section(page(client, "447", set=HATINH_SET), "distribution")

    values = re.findall(r'<text class="chart__value"[^>]*>([^<]+)</text>', html)
    assert len(values) == 21  # 20 criteria met down to none
    assert values[20 - 16] == "1/2 (50%)" and values[20 - 10] == "1/2 (50%)"
    assert values.count("0/2 (0%)") == 19


def test_dashboard_page_has_no_inline_style_or_script(client):
    html = page(client, "447")

    assert "style=" not in html and "<style" not in html and "<script" not in html


def test_dashboard_print_stylesheet_is_a4_landscape_with_the_legend():
    css = (settings.BASE_DIR / "static" / "css" / "portal.css").read_text()

    assert "@page { size: A4 landscape;" in css
    print_rules = css[css.rindex("@media print") :]
    assert ".print-only { display: block; }" in print_rules
    assert ".filters, .dashboard-links { display: none !important; }" in print_rules
