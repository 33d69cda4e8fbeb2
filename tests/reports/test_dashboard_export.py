"""The dashboard's Excel export, opened with openpyxl and read cell by cell."""

import datetime
from io import BytesIO

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from communes.enums import Role
from criteria.models import Assessment
from reports.export import neutralise
from tests.factories import (
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """A national admin reading in English (dashboards are for logged-in users)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.ADMIN))
    return client


def workbook(client, code, **params):
    response = client.get(reverse("reports:district_dashboard_xlsx", args=[code]), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(BytesIO(response.content)).active


def test_export_ky_anh_matrix_cell_by_cell(client):
    sheet = workbook(client, "447", as_of="2025-06-01", set="HATINH_NTM_XA_2017_2020")

    # The area, the set and the date, one title line each.
    assert sheet["A1"].value == "Huyện Kỳ Anh, Tỉnh Hà Tĩnh"
    assert sheet["A2"].value == (
        "Bộ tiêu chí xã nông thôn mới tỉnh Hà Tĩnh (20 tiêu chí) (HATINH_NTM_XA_2017_2020)"
    )
    assert sheet["A3"].value == "As of 01/06/2025"
    assert [c.value for c in sheet[4]][:4] == ["Code", "Commune", 1, 2]
    assert sheet.cell(row=4, column=22).value == 20
    assert [c.value for c in sheet[4]][22:] == ["Number of criteria met", "Assessment date"]
    rows = {r[1].value: [c.value for c in r] for r in sheet.iter_rows(min_row=5)}
    lam_hop = rows["Xã Lâm Hợp"]
    assert lam_hop[0] == "18838"
    marks = lam_hop[2:22]
    assert [i + 1 for i, m in enumerate(marks) if m == "CĐ"] == [1, 2, 17, 20]
    assert marks.count("Đ") == 16
    assert lam_hop[22] == 16
    # The date of the assessment the marks come from: re-imported, the row changes nothing.
    assessed_on = Assessment.objects.get(
        commune__code="18838", criteria_set__code="HATINH_NTM_XA_2017_2020"
    ).assessed_on
    assert lam_hop[23].date() == assessed_on
    assert rows["Xã Kỳ Lạc"][22] == 10
    # Not assessed: blank marks and no count.
    assert rows["Xã Kỳ Xuân"][2:24] == [None] * 22
    totals = [c.value for c in list(sheet.iter_rows())[-1]]
    assert totals[2:4] == [0, 0] and totals[4] == 2 and totals[22] == 26


def test_export_neutralises_formula_like_text(client):
    district = make_district(name="+Huyện")
    criteria_set = make_criteria_set(n_criteria=2)
    commune = make_commune(district=district, name="=cmd()")
    make_assessment(unit=commune, criteria_set=criteria_set, met=[1], basically_met=[2])
    make_commune(district=district, name="@SUM(A1)")

    sheet = workbook(client, district.code, as_of="2025-01-01")

    assert sheet["A1"].value.startswith("'+Huyện")
    names = [r[1].value for r in sheet.iter_rows(min_row=5, max_row=6)]
    assert names == ["'=cmd()", "'@SUM(A1)"]
    assert [c.value for c in sheet[5]][2:5] == ["Đ", "CBĐ", 1]
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_neutralise_prefixes_a_quote(value):
    assert neutralise(value) == "'" + value


def test_neutralise_leaves_plain_values():
    assert neutralise("Xã Lâm Hợp") == "Xã Lâm Hợp"
    assert neutralise(-1) == -1


def test_export_bad_filter_is_400(client):
    url = reverse("reports:district_dashboard_xlsx", args=["447"])
    assert client.get(url, {"as_of": "yesterday"}).status_code == 400


def test_dashboard_links_the_export_with_its_filters(client):
    html = client.get(
        reverse("reports:district_dashboard", args=["447"]), {"as_of": "2024-01-02"}
    ).content.decode()

    # The default set is the one in force on the date.
    assert "/d/447/dashboard.xlsx?set=NTM_XA_2021_2025&amp;as_of=2024-01-02" in html


@pytest.mark.parametrize("n_communes", [1, 10])
def test_export_query_count_is_constant(client, django_assert_num_queries, n_communes):
    district = make_district()
    criteria_set = make_criteria_set(n_criteria=4)
    for _ in range(n_communes):
        commune = make_commune(district=district)
        make_assessment(unit=commune, criteria_set=criteria_set, met=[1])
        make_assessment(
            unit=commune,
            criteria_set=criteria_set,
            met=[1, 2],
            assessed_on=datetime.date(2024, 12, 1),
        )  # noqa: E501

    # 12: one query reads every public assessment of the area (see reports.dashboard).
    with django_assert_num_queries(12):
        sheet = workbook(client, district.code, as_of="2025-01-01")

    assert [r[6].value for r in sheet.iter_rows(min_row=5)][:-1] == [2] * n_communes


def test_export_is_laid_out_for_print(client):
    """Colours for the marks, fitted widths, frozen header, a legend sheet, A4 landscape."""
    response = client.get(
        reverse("reports:district_dashboard_xlsx", args=["447"]),
        {"as_of": "2025-06-01", "set": "HATINH_NTM_XA_2017_2020"},
    )
    book = load_workbook(BytesIO(response.content))
    sheet = book.active

    assert book.sheetnames == ["Matrix", "Communes", "Legend"]
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=5)}
    lam_hop = rows["Xã Lâm Hợp"]
    fills = {c.value: c.fill.start_color.rgb for c in lam_hop[2:22]}
    assert fills["Đ"] != fills["CĐ"] and len(set(fills.values())) == 2
    assert sheet.freeze_panes == "C5"
    assert sheet.print_title_rows == "$1:$4"
    assert sheet.page_setup.orientation == "landscape"
    # The commune column fits "Xã Lâm Hợp"; the mark columns stay narrow.
    assert sheet.column_dimensions["B"].width >= len("Xã Lâm Hợp")
    assert sheet.column_dimensions["C"].width < 10
    legend = [[c.value for c in r] for r in book["Legend"].iter_rows()]
    assert ["Đ", "met"] in legend and ["CĐ", "not met"] in legend
    assert ["CBĐ", "basically met"] in legend
