"""The import says what it will do: the portal's own template and a dashboard export
re-import cleanly, blank cells change nothing, the preview shows each row's unit, date, set,
status and marks, and a refused file's preview never reads as if something were created."""

import datetime
import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import Commune, District, Province
from criteria.imports import services
from criteria.imports.errors import MissingDateError
from criteria.imports.forms import AssessmentImportForm
from criteria.imports.services import ImportOptions
from criteria.models import Assessment, CriteriaSet, IndicatorValue
from tests.factories import legacy_unit

from .workbooks import marks, summary_sheet, table, to_bytes

pytestmark = pytest.mark.django_db

UPLOAD = reverse("imports:upload")
HATINH_SET = "HATINH_NTM_XA_2017_2020"
NTMNC = "NTMNC_XA_2021_2025"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin():
    return get_user_model().objects.get(username="admin")


def as_admin(client, language="en"):
    client.cookies["django_language"] = language
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def upload(client, data, *, criteria_set, name="file.xlsx", **fields):
    form = {
        "file": SimpleUploadedFile(name, data),
        "fmt": "matrix",
        "criteria_set": CriteriaSet.objects.get(code=criteria_set).pk,
        "status": AssessmentStatus.APPROVED,
        "province": "",
        **fields,
    }
    return client.post(UPLOAD, form)


def template_bytes(client, criteria_set, district):
    response = client.get(
        reverse("imports:template", args=["matrix"]),
        {"criteria_set": criteria_set, "district": district.pk},
    )
    assert response.status_code == 200
    return response.content


def fill(data: bytes, cells: dict[str, object]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ref, value in cells.items():
        wb.active[ref] = value
    return to_bytes(wb)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# -- The portal's own template ------------------------------------------------------------


def test_own_template_with_an_empty_date_asks_for_the_date_in_the_form(client):
    as_admin(client)
    ky_anh = District.objects.get(code="447")
    data = template_bytes(client, NTMNC, ky_anh)
    data = fill(data, {"D4": "Đ", "E4": "CĐ"})  # marks on the first commune, no date

    response = upload(client, data, criteria_set=NTMNC)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "assessed_on" in errors and "date is missing" in errors["assessed_on"][0]
    assert "file" not in errors


def test_own_template_untouched_changes_nothing(client, admin):
    as_admin(client)
    ky_anh = District.objects.get(code="447")
    data = template_bytes(client, HATINH_SET, ky_anh)
    opts = ImportOptions(
        criteria_set_id=CriteriaSet.objects.get(code=HATINH_SET).pk,
        status=AssessmentStatus.APPROVED,
        assessed_on=datetime.date(2020, 6, 30),
    )

    preview = services.dry_run(user=admin, data=data, file_name="t.xlsx", options=opts)

    assert preview.errors == []
    assert {r.action for r in preview.rows} == {"blank"}
    assert preview.blank_count == Commune.objects.filter(district=ky_anh).count()
    assert not preview.can_apply


def test_own_template_blank_cells_leave_existing_results_alone(client, admin):
    """Lâm Hợp's 2020 assessment (16/20, criteria 1, 2, 17 and 20 not met): a template
    giving only criterion 1 as Đ changes criterion 1 and nothing else."""
    lam_hop = Assessment.objects.get(commune__code="18838", criteria_set__code=HATINH_SET)
    # Imported history (an assessment in the workflow is not an import's to change).
    Assessment.objects.filter(pk=lam_hop.pk).update(status=AssessmentStatus.APPROVED)
    day = lam_hop.assessed_on.strftime("%d/%m/%Y")
    as_admin(client)
    data = template_bytes(client, HATINH_SET, lam_hop.commune.district)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "18838")
    ws.cell(row, 3, day)
    ws.cell(row, 4, "Đ")  # criterion 1

    opts = ImportOptions(criteria_set_id=lam_hop.criteria_set_id, status=AssessmentStatus.DRAFT)
    preview = services.dry_run(user=admin, data=to_bytes(wb), file_name="t.xlsx", options=opts)

    (changed,) = [r for r in preview.rows if r.action != "blank"]
    assert changed.action == "update", changed.reason
    assert changed.values == ["1: Đ"]
    assert changed.changes == ["criterion 1: CĐ → Đ"]


def test_blank_cells_never_become_not_met(admin):
    """No "Đ → CĐ" for a blank: the row writes only its marks."""
    tan_binh = legacy_unit(Commune, "28078")
    wb = summary_sheet([("28078", tan_binh.name, marks(met=[1])[:1] + [None] * 18, 1)])
    opts = ImportOptions(
        criteria_set_id=CriteriaSet.objects.get(code=NTMNC).pk, status=AssessmentStatus.DRAFT
    )

    preview = services.dry_run(user=admin, data=to_bytes(wb), file_name="t.xlsx", options=opts)

    (row,) = preview.rows
    assert row.values == ["1: Đ"]
    assert all("→ CĐ" not in change for change in row.changes)


# -- A dashboard export re-imported -------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
def test_dashboard_export_reimports_as_no_changes(client, language):
    as_admin(client, language)
    export = client.get(
        reverse("reports:district_dashboard_xlsx", args=["447"]),
        {"as_of": "2025-06-01", "set": HATINH_SET},
    )
    before = Assessment.objects.count()

    response = upload(client, export.content, criteria_set=HATINH_SET)
    assert response.status_code == 302, response.context["form"].errors
    preview = client.get(response.url)

    result = preview.context["preview"]
    assert result.errors == []
    assert not result.can_apply
    assert {r.action for r in result.rows} == {"skip", "blank"}
    assert result.count("skip") == 2  # Lâm Hợp and Kỳ Lạc
    if language == "en":
        assert "No changes" in text(preview)
    assert Assessment.objects.count() == before


def test_as_of_line_used_as_the_date_is_said(admin):
    wb = summary_sheet([("28078", "Xã Tân Bình", marks(met=[1]), 1)])
    opts = ImportOptions(
        criteria_set_id=CriteriaSet.objects.get(code=NTMNC).pk, status=AssessmentStatus.DRAFT
    )

    preview = services.dry_run(user=admin, data=to_bytes(wb), file_name="t.xlsx", options=opts)

    (notice,) = preview.notices
    assert "08/05/2024" in notice and "Số liệu tính đến ngày 08/5/2024" in notice


# -- What the preview shows ---------------------------------------------------------------


def test_preview_rows_show_unit_date_set_status_and_marks(client):
    as_admin(client)
    wb = summary_sheet([("28078", "Xã Tân Bình", marks(met=[1, 2], basically=[3]), 2)])

    response = upload(client, to_bytes(wb), criteria_set=NTMNC)
    page = client.get(response.url)

    (row,) = page.context["preview"].rows
    assert (row.unit, row.code, row.district, row.province) == (
        "Xã Tân Bình",
        "28078",
        "Huyện Tân Trụ",
        "Tỉnh Long An",
    )
    assert row.assessed_on == datetime.date(2024, 5, 8)
    assert row.values[:4] == ["1: Đ", "2: Đ", "3: CBĐ", "4: CĐ"]
    body = text(page)
    assert "28078 · Huyện Tân Trụ · Tỉnh Long An" in body
    assert "08/05/2024" in body
    assert "1: Đ, 2: Đ, 3: CBĐ, 4: CĐ" in body
    assert CriteriaSet.objects.get(code=NTMNC).display_name in body
    assert "Approved historical data" in body or "Approved" in body
    assert "will be created" in body and "Will be created" in body


@pytest.mark.parametrize("language", ["en", "vi"])
def test_refused_preview_says_nothing_created(client, language):
    as_admin(client, language)
    wb = summary_sheet(
        [
            ("28078", "Xã Tân Bình", marks(met=[1]), 1),
            ("28087", "Xã Lạc Tấn", ["Đ", "??", *marks()[2:]], 1),
        ]
    )

    response = upload(client, to_bytes(wb), criteria_set=NTMNC)
    page = client.get(response.url)

    assert page.context["preview"].errors
    body = text(page).lower()
    for word in ("created", "creat", "tạo mới", "đã tạo", "sẽ tạo", "will be updated", "cập nhật"):
        assert word not in body, word
    assert "xã lạc tấn" in body  # the refused row is listed


def test_error_value_is_the_value_of_the_cell_it_points_at(admin):
    """A commune refused by the plan (its set is not in force on the date), named in a
    sheet without a code column: the error points at the name cell and shows the name."""
    wb = summary_sheet(
        [("", "Xã Tân Bình", marks(met=[1]), 1)],
        with_codes=False,
        as_of="(Số liệu tính đến ngày 08/5/2019)",
    )
    tan_tru = District.objects.get(code="805")
    opts = ImportOptions(
        criteria_set_id=CriteriaSet.objects.get(code=NTMNC).pk,
        status=AssessmentStatus.DRAFT,
        district_id=tan_tru.pk,
    )

    preview = services.dry_run(user=admin, data=to_bytes(wb), file_name="t.xlsx", options=opts)

    (error,) = preview.errors
    assert error.cell == "C8"
    assert error.shown_value == "Xã Tân Bình"
    (row,) = preview.rows
    assert row.action == "invalid" and row.reason == error.message


def test_name_outside_the_chosen_district_names_the_district(admin):
    wb = summary_sheet([("", "Xã Lâm Hợp", marks(met=[1]), 1)], with_codes=False)
    tan_tru = District.objects.get(code="805")
    opts = ImportOptions(
        criteria_set_id=CriteriaSet.objects.get(code=NTMNC).pk,
        status=AssessmentStatus.DRAFT,
        district_id=tan_tru.pk,
    )

    preview = services.dry_run(user=admin, data=to_bytes(wb), file_name="t.xlsx", options=opts)

    (error,) = preview.errors
    assert "Huyện Tân Trụ (Tỉnh Long An)" in error.message
    assert "province" not in error.message


def test_district_chooser_names_the_province_and_groups_by_it(admin):
    form = AssessmentImportForm(user=admin)
    html = str(form["district"])

    assert '<optgroup label="Tỉnh Long An (' in html
    assert ">Huyện Tân Trụ (Long An)</option>" in html
    assert ">Huyện Kỳ Anh (Hà Tĩnh)</option>" in html


def _duplicates(labels):
    return sorted({label for label in labels if labels.count(label) > 1})


def test_every_unit_chooser_label_is_unique_across_the_country(admin):
    """The whole country, both eras: ~700 districts (ten "Huyện Châu Thành") and the 63
    provinces before 01/07/2025 beside the 34 after it (Hà Tĩnh twice)."""
    call_command("load_admin_units", verbosity=0)
    with translation.override("vi"):
        form = AssessmentImportForm(user=admin)
        groups = form.fields["district"].choices[1:]
        districts = [label for _, options in groups for _, label in options]
        provinces = [str(label) for _, label in form.fields["province"].choices][1:]
    assert len(districts) == District.objects.count() > 600
    assert _duplicates(districts) == []
    assert sum(label.startswith("Huyện Châu Thành (") for label in districts) >= 5
    assert "Huyện Châu Thành (Tiền Giang)" in districts
    assert _duplicates([name for name, _ in groups]) == []
    assert len(provinces) == Province.objects.count() > 63
    assert _duplicates(provinces) == []
    ha_tinh = [label for label in provinces if label.startswith("Tỉnh Hà Tĩnh")]
    assert set(ha_tinh) == {
        "Tỉnh Hà Tĩnh (hiệu lực đến 30/06/2025)",
        "Tỉnh Hà Tĩnh (hiệu lực từ 01/07/2025)",
    }


# -- Long lists ---------------------------------------------------------------------------

LONG_HEADER = ["Mã ĐVHC", "Đơn vị", "Ngày đánh giá", "Tiêu chí", "Mã chỉ tiêu", "Giá trị"]


def test_long_list_without_a_result_column_does_not_store_not_met(admin):
    ntm = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    indicator = ntm.criteria.get(number=1).indicators.order_by("code").first()
    rows = [("28078", "Xã Tân Bình", "30/06/2024", 1, indicator.code, "Có")]
    data = to_bytes(table(rows, header=LONG_HEADER))
    opts = ImportOptions(criteria_set_id=ntm.pk, status=AssessmentStatus.DRAFT, fmt="long")

    preview = services.dry_run(user=admin, data=data, file_name="l.xlsx", options=opts)
    assert any("Kết quả" in notice for notice in preview.notices)
    services.apply_import(
        user=admin, data=data, file_name="l.xlsx", options=opts, fingerprint=preview.fingerprint
    )

    value = IndicatorValue.objects.get(assessment__commune__code="28078", indicator=indicator)
    assert value.is_met is None  # not "not met"


def test_long_list_commune_whose_first_row_is_refused_stays_in_the_table(admin):
    ntm = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    header = ["Mã ĐVHC", "Đơn vị", "Ngày đánh giá", "Tiêu chí", "Kết quả"]
    rows = [
        ("28078", "Xã Tân Bình", "30/06/2024", 1, "??"),
        ("28078", "Xã Tân Bình", "30/06/2024", 2, "Đ"),
        ("28087", "Xã Lạc Tấn", "30/06/2024", 1, "Đ"),
    ]
    opts = ImportOptions(criteria_set_id=ntm.pk, status=AssessmentStatus.DRAFT, fmt="long")

    preview = services.dry_run(
        user=admin, data=to_bytes(table(rows, header=header)), file_name="l.xlsx", options=opts
    )

    units = [(r.sheet_row, r.unit, r.action) for r in preview.rows]
    assert (2, "28078 Xã Tân Bình", "invalid") in units
    assert any(u[1] == "Xã Lạc Tấn" for u in units)


def test_missing_date_in_a_long_list_is_the_forms_question(admin):
    ntm = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    header = ["Mã ĐVHC", "Đơn vị", "Tiêu chí", "Kết quả"]
    data = to_bytes(table([("28078", "Xã Tân Bình", 1, "Đ")], header=header))
    opts = ImportOptions(criteria_set_id=ntm.pk, status=AssessmentStatus.DRAFT, fmt="long")

    with pytest.raises(MissingDateError):
        services.dry_run(user=admin, data=data, file_name="l.xlsx", options=opts)


def test_results_are_untouched_by_a_blank_reimport(admin):
    """Sanity: applying a file with one mark writes exactly that mark."""
    tan_binh = legacy_unit(Commune, "28078")
    wb = summary_sheet([("28078", tan_binh.name, ["Đ"] + [None] * 18, None)], with_total=False)
    ntmnc = CriteriaSet.objects.get(code=NTMNC)
    opts = ImportOptions(criteria_set_id=ntmnc.pk, status=AssessmentStatus.DRAFT)
    data = to_bytes(wb)
    preview = services.dry_run(user=admin, data=data, file_name="t.xlsx", options=opts)
    services.apply_import(
        user=admin, data=data, file_name="t.xlsx", options=opts, fingerprint=preview.fingerprint
    )

    assessment = Assessment.objects.get(commune=tan_binh, criteria_set=ntmnc)
    assert list(assessment.results.values_list("criterion__number", "status")) == [
        (1, ResultStatus.MET)
    ]
    assert Province.objects.filter(code="80").exists()
