"""What the public overview pages show. Pages are read in English (language cookie) so the
assertions do not depend on the Vietnamese catalogue; figures, names and dates are the same
in both languages."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from communes.enums import AssessmentStatus, CommuneKind, ResultStatus, StatisticKind
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


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def district():
    return make_district(province=make_province(name="Tỉnh Thử Nghiệm"), name="Huyện Thử")


@pytest.fixture
def ntm_set():
    return make_criteria_set(n_criteria=20, short_name="NTM thử 2021–2025")


def row_of(html, text):
    """The table row that contains ``text``."""
    at = html.index(text)
    return html[html.rindex("<tr", 0, at) : html.index("</tr>", at)]


def get(client, name, code):
    response = client.get(reverse(f"reports:{name}", args=[code]))
    assert response.status_code == 200
    return response.content.decode()


# -- Home -------------------------------------------------------------------------------------


def test_home_lists_province_with_commune_and_recognised_counts(client):
    province = make_province(name="Tỉnh Trang Chủ")
    district = make_district(province=province)
    recognised, _ = make_commune(district=district), make_commune(district=district)
    make_commune(province=province)  # no district: still one of the province's communes
    # A ward counts among the units, not in the NTM share's denominator (xã, as on the
    # national ranking).
    make_commune(district=district, kind=CommuneKind.WARD)
    make_recognition(unit=recognised, title=Title.NTM)

    html = client.get(reverse("reports:home")).content.decode()

    assert "Tỉnh Trang Chủ" in html
    assert reverse("reports:province", args=[province.code]) in html
    row = row_of(html, "Tỉnh Trang Chủ")
    assert "1 of 3 xã (33%)" in row
    assert '<td class="num">4</td>' in row


def test_home_revoked_recognition_is_not_counted(client):
    province = make_province(name="Tỉnh Thu Hồi")
    commune = make_commune(district=make_district(province=province))
    make_recognition(unit=commune, revoked_on=datetime.date(2023, 1, 1))

    html = client.get(reverse("reports:home")).content.decode()

    assert "0 of 1 xã (0%)" in row_of(html, "Tỉnh Thu Hồi")


# -- Province ---------------------------------------------------------------------------------


def test_province_lists_districts_with_counts_per_title(client, district):
    other = make_district(province=district.province, name="Thị xã Khác")
    communes = [make_commune(district=district) for _ in range(3)]
    make_commune(district=other)
    make_recognition(unit=communes[0], title=Title.NTM)
    make_recognition(unit=communes[1], title=Title.NTM)
    make_recognition(unit=communes[1], title=Title.MODEL)
    make_recognition(unit=communes[2], title=Title.NTM, revoked_on=datetime.date(2024, 1, 1))

    html = get(client, "province", district.province.code)

    assert "Huyện Thử" in html and "Thị xã Khác" in html
    assert reverse("reports:district", args=[district.code]) in html
    row = row_of(html, "Huyện Thử")
    # 3 communes; 2 NTM (the revoked one does not count), 0 advanced, 1 model.
    assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]] == [
        "3",
        "2",
        "0",
        "1",
    ]


def test_province_lists_communes_without_district_directly(client, ntm_set):
    province = make_province()
    commune = make_commune(province=province, name="Xã Trực Thuộc")
    make_assessment(unit=commune, criteria_set=ntm_set, met=range(1, 15))

    html = get(client, "province", province.code)

    assert "Communes directly under the province" in html
    assert "Xã Trực Thuộc" in html
    assert "14/20 criteria" in html


def test_province_unknown_code_is_404(client):
    assert client.get(reverse("reports:province", args=["nope"])).status_code == 404


# -- District ---------------------------------------------------------------------------------


def test_district_shows_latest_public_progress_per_set(client, district, ntm_set):
    advanced = make_criteria_set(n_criteria=19, indicators_per_criterion=4, short_name="NC thử")
    commune = make_commune(district=district, name="Xã Tiến Bộ", kind=CommuneKind.TOWNSHIP)
    make_assessment(
        unit=commune, criteria_set=ntm_set, met=range(1, 11), assessed_on=datetime.date(2022, 5, 1)
    )
    make_assessment(
        unit=commune, criteria_set=ntm_set, met=range(1, 17), assessed_on=datetime.date(2024, 6, 30)
    )
    make_assessment(
        unit=commune,
        criteria_set=advanced,
        met=range(1, 20),
        indicators_met=76,
        status=AssessmentStatus.APPRAISED,
        assessed_on=datetime.date(2025, 3, 2),
    )

    html = get(client, "district", district.code)

    assert "Xã Tiến Bộ" in html and commune.code in html and "Township" in html
    assert "NTM thử 2021–2025" in html and "NC thử" in html
    assert "16/20 criteria" in html and "30/06/2024" in html
    assert "10/20 criteria" not in html  # an older assessment of the same set
    assert "19/19 criteria" in html and "76/76 indicators" in html and "02/03/2025" in html
    assert "/20 indicators" not in html  # the NTM set has no indicators


@pytest.mark.parametrize("status", [AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED])
def test_district_never_shows_unpublished_assessment(client, district, ntm_set, status):
    commune = make_commune(district=district)
    make_assessment(
        unit=commune, criteria_set=ntm_set, met=range(1, 13), assessed_on=datetime.date(2023, 1, 1)
    )
    make_assessment(
        unit=commune,
        criteria_set=ntm_set,
        met=range(1, 19),
        status=status,
        assessed_on=datetime.date(2024, 1, 1),
    )
    only_unpublished = make_commune(district=district)
    make_assessment(unit=only_unpublished, criteria_set=ntm_set, met=range(1, 20), status=status)

    html = get(client, "district", district.code)

    assert "12/20 criteria" in html
    assert "18/20 criteria" not in html and "19/20 criteria" not in html
    assert "no public assessment" in html


def test_district_shows_verified_assessment(client, district, ntm_set):
    commune = make_commune(district=district)
    make_assessment(
        unit=commune, criteria_set=ntm_set, met=range(1, 8), status=AssessmentStatus.VERIFIED
    )

    html = get(client, "district", district.code)

    assert "7/20 criteria" in html


def test_district_recognitions_targets_and_village_counts(client, district):
    commune = make_commune(district=district)
    make_recognition(
        unit=commune,
        title=Title.NTM,
        decided_on=datetime.date(2019, 12, 5),
        decision_number="77/QĐ",
    )
    make_recognition(
        unit=commune,
        title=Title.MODEL,
        decision_number="88/QĐ",
        revoked_on=datetime.date(2024, 2, 2),
    )
    make_target(unit=commune, title=Title.NTMNC, planned_year=2026)
    villages = [make_village(commune=commune) for _ in range(4)]
    for village in villages[:3]:
        make_recognition(unit=village, title=Title.VILLAGE_NTM)
    make_recognition(unit=villages[3], title=Title.VILLAGE_MODEL)
    make_recognition(
        unit=villages[3], title=Title.VILLAGE_NTM, revoked_on=datetime.date(2024, 1, 1)
    )

    html = get(client, "district", district.code)

    assert "NTM standard 2019" in html and "77/QĐ" in html
    # A revoked recognition is neither listed nor counted.
    assert "88/QĐ" not in html and "Model NTM" not in html
    assert "Advanced NTM by 2026" in html
    assert "3 villages meet the NTM standard, 1 model NTM village." in html


def test_district_shows_its_own_assessment_and_recognition(client, district):
    district_set = make_criteria_set(n_criteria=9, short_name="Huyện NTM thử")
    make_assessment(unit=district, criteria_set=district_set, met=range(1, 9))
    make_recognition(unit=district, title=Title.DISTRICT_NTM, decision_number="1012/QĐ-TTg")

    html = get(client, "district", district.code)

    assert "The district as a whole" in html
    # An English page names the set in English (criteria.names): "Huyện NTM" is "District NTM".
    assert "District NTM thử" in html and "8/9 criteria" in html
    assert "1012/QĐ-TTg" in html


def test_district_unknown_code_is_404(client):
    assert client.get(reverse("reports:district", args=["nope"])).status_code == 404


# -- Commune ----------------------------------------------------------------------------------


def test_commune_lists_public_assessments_newest_first(client, district, ntm_set):
    commune = make_commune(district=district, name="Xã Lịch Sử")
    for day, met in [(datetime.date(2021, 3, 4), 9), (datetime.date(2023, 7, 8), 15)]:
        make_assessment(unit=commune, criteria_set=ntm_set, met=range(1, met + 1), assessed_on=day)
    make_assessment(
        unit=commune,
        criteria_set=ntm_set,
        met=range(1, 21),
        status=AssessmentStatus.DRAFT,
        assessed_on=datetime.date(2024, 1, 1),
    )

    html = get(client, "commune", commune.code)

    assert "Xã Lịch Sử" in html and "NTM thử 2021–2025" in html
    assert html.index("08/07/2023") < html.index("04/03/2021")
    assert "15/20" in html and "9/20" in html
    assert "20/20" not in html and "01/01/2024" not in html
    assert "Verified by the district" in html


def test_commune_lists_criteria_of_latest_assessment_in_words(client, district):
    criteria_set = make_criteria_set(n_criteria=4)
    commune = make_commune(district=district)
    make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1, 2, 3, 4],
        assessed_on=datetime.date(2020, 1, 1),
    )
    make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1],
        basically_met=[2],
        others=None,
        assessed_on=datetime.date(2024, 1, 1),
    )
    make_assessment(  # later, but a draft: the criteria list must not come from it
        unit=commune,
        criteria_set=criteria_set,
        met=[],
        others=ResultStatus.NOT_MET,
        status=AssessmentStatus.DRAFT,
        assessed_on=datetime.date(2025, 1, 1),
    )

    html = get(client, "commune", commune.code)

    start = html.index('class="criteria-list"')
    criteria = html[start : html.index("</ol>", start)]
    assert criteria.count("✓") == 1 and "Met" in criteria
    assert criteria.count("◐") == 1 and "Basically met" in criteria
    assert criteria.count("Not assessed") == 2
    assert "Not met" not in criteria


def test_commune_shows_revoked_recognition_as_revoked(client, district):
    commune = make_commune(district=district)
    make_recognition(
        unit=commune,
        title=Title.NTM,
        decision_number="12/QĐ-UBND",
        decided_on=datetime.date(2018, 1, 5),
        revoked_on=datetime.date(2022, 3, 1),
        revocation_reason="Không duy trì tiêu chí Môi trường",
    )

    html = get(client, "commune", commune.code)

    assert "Decision 12/QĐ-UBND of 05/01/2018" in html
    assert "Revoked on 01/03/2022" in html
    assert "Không duy trì tiêu chí Môi trường" in html
    assert "recognition--revoked" in html


def test_commune_shows_targets_and_statistics(client, district):
    commune = make_commune(district=district)
    make_target(unit=commune, title=Title.NTM, planned_year=2027)
    make_statistic(
        commune=commune,
        year=2024,
        kind=StatisticKind.INCOME_PER_CAPITA,
        value="62.50",
        source="Chi cục Thống kê",
    )
    make_statistic(commune=commune, year=2024, kind=StatisticKind.POPULATION, value=12345)

    html = get(client, "commune", commune.code)

    assert "NTM standard by 2027" in html
    assert "Average income per person (million VND)" in html and "Chi cục Thống kê" in html
    assert "62.5" in html and "12,345" in html


def test_commune_without_assessment_says_so(client, district):
    commune = make_commune(district=district)

    html = get(client, "commune", commune.code)

    assert "This commune has no public assessment yet." in html


def test_commune_unknown_code_is_404(client):
    assert client.get(reverse("reports:commune", args=["nope"])).status_code == 404
