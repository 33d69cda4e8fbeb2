"""Upload → preview → confirm through the pages, and who may do it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes.enums import AssessmentStatus, Role
from communes.models import Province
from criteria.models import Assessment, CriteriaSet
from tests.factories import legacy_unit, make_user

from .workbooks import TAN_TRU

pytestmark = pytest.mark.django_db

UPLOAD = reverse("imports:upload")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def client(client, settings):
    """Pages in English (the language switch's cookie), so assertions use the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def login(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    return client


def post_file(client, *, data=None, name=TAN_TRU.name, province=None, **fields):
    form = {
        "file": SimpleUploadedFile(name, data if data is not None else TAN_TRU.read_bytes()),
        "fmt": "matrix",
        "criteria_set": CriteriaSet.objects.get(code="NTMNC_XA_2021_2025").pk,
        "status": AssessmentStatus.DRAFT,
        "province": province.pk if province else "",
        **fields,
    }
    return client.post(UPLOAD, form)


def test_anonymous_is_sent_to_login(client):
    response = client.get(UPLOAD)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("username", ["hatinh", "kyanh", "lamhop"])
def test_non_admin_gets_403_with_an_explanation(client, username):
    response = login(client, username).get(UPLOAD)

    assert response.status_code == 403
    assert "Only administrators import data" in response.content.decode()


def test_admin_uploads_previews_and_confirms(client):
    login(client, "admin")

    response = post_file(client)
    assert response.status_code == 302
    preview = client.get(response.url)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Xã Tân Phước Tây" in html and "Tổng cộng" in html
    assert Assessment.objects.filter(commune__code="28093").count() == 0

    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    done = client.post(reverse("imports:confirm", args=[token]), follow=True)

    # The demo's reported Tân Trụ figures (never verified) give way to the office's sheet.
    assert "7 created, 2 updated, 0 unchanged" in done.content.decode()
    imported = Assessment.objects.get(commune__code="28093")
    assert imported.status == AssessmentStatus.DRAFT and imported.import_source == TAN_TRU.name


def test_bad_file_shows_the_message_on_the_form(client):
    response = post_file(login(client, "admin"), data=b"%PDF-1.4", name="bao-cao.pdf")

    assert response.status_code == 400
    assert "Only .xlsx and .csv files can be imported" in response.content.decode()


def test_an_empty_post_is_refused_with_the_fields_errors(client):
    response = login(client, "admin").post(UPLOAD, {})

    assert response.status_code == 400
    assert response.content.decode().count("This field is required.") >= 2


def test_errors_page_links_the_highlighted_workbook(client):
    import openpyxl

    from .workbooks import to_bytes

    wb = openpyxl.load_workbook(TAN_TRU)
    wb.active["E8"] = "??"
    response = post_file(login(client, "admin"), data=to_bytes(wb))
    page = client.get(response.url).content.decode()
    token = response.url.rstrip("/").rsplit("/", 1)[-1]

    assert "E8" in page and "not a result" in page
    download = client.get(reverse("imports:error_file", args=[token]))
    assert download.status_code == 200
    assert download["Content-Disposition"].endswith('-errors.xlsx"')
    assert client.post(reverse("imports:confirm", args=[token])).status_code == 302
    assert not Assessment.objects.filter(commune__code="28078").exists()


def test_province_admin_imports_in_their_province_only(client):
    long_an = legacy_unit(Province, "80")
    user = make_user(role=Role.ADMIN, unit=long_an)
    client.force_login(user)

    inside = post_file(client, province=long_an)
    outside = post_file(client, province=legacy_unit(Province, "42"))

    assert inside.status_code == 302
    # Another province is not even a choice for them.
    assert outside.status_code == 400 and "province" in outside.context["form"].errors


def test_province_admin_of_another_province_finds_no_communes(client):
    ha_tinh = legacy_unit(Province, "42")
    client.force_login(make_user(role=Role.ADMIN, unit=ha_tinh))

    response = post_file(client, province=ha_tinh)
    page = client.get(response.url).content.decode()

    assert "No commune with code 28078" in page


def test_someone_elses_preview_is_404(client):
    response = post_file(login(client, "admin"))
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    other = make_user(role=Role.ADMIN)
    client.force_login(other)

    assert client.get(reverse("imports:preview", args=[token])).status_code == 404
    assert client.post(reverse("imports:confirm", args=[token])).status_code == 404


def test_preview_queries_do_not_grow_with_rejected_rows(client):
    """Rows matched by name cost one query for the name index, whatever their number; rows
    rejected while parsing are free."""
    from .workbooks import marks, summary_sheet, to_bytes

    login(client, "admin")

    def queries(n_rows):
        rows = [("28078", "Xã Tân Bình", marks(met=[1]), 1)]
        rows += [("", f"Xã Thử {i}", marks(), 0) for i in range(n_rows - 1)]
        response = post_file(client, data=to_bytes(summary_sheet(rows)))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(response.url).status_code == 200
        return len(ctx.captured_queries)

    assert queries(2) == queries(30)


def test_matrix_layout_needs_a_criteria_set(client):
    response = post_file(login(client, "admin"), criteria_set="")

    assert response.status_code == 400
    assert "criteria_set" in response.context["form"].errors


def test_long_list_names_its_set_in_a_column(client):
    import openpyxl

    from .workbooks import to_bytes

    wb = openpyxl.Workbook()
    wb.active.append(["Mã ĐVHC", "Mã bộ tiêu chí", "Ngày", "Tiêu chí", "Kết quả"])
    wb.active.append(["28078", "NTMNC_XA_2021_2025", "08/05/2024", 1, "Đ"])
    login(client, "admin")

    response = post_file(client, data=to_bytes(wb), name="ds.xlsx", fmt="long", criteria_set="")
    page = client.get(response.url).content.decode()

    assert response.status_code == 302
    assert "Xã Tân Bình" in page and "Đ 1 · CBĐ 0 · CĐ 0" in page


# -- Downloads ------------------------------------------------------------------------------


def _sheet(response):
    import io

    import openpyxl

    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)


def test_admin_exports_a_set_in_both_formats(client):
    login(client, "admin")
    url = reverse("imports:export", args=["NTMNC_XA_2021_2025"])

    matrix = client.get(url)
    long = client.get(url, {"fmt": "long"})

    assert matrix["Content-Disposition"].endswith('NTMNC_XA_2021_2025-matrix.xlsx"')
    assert any(row[0] == "28084" for row in _sheet(matrix))  # Quê Mỹ Thạnh, demo data
    rows = _sheet(long)
    assert rows[2][:5] == ("Mã ĐVHC", "Đơn vị", "Mã bộ tiêu chí", "Ngày đánh giá", "Tiêu chí")
    assert any(row[0] == "28084" and row[6] in ("Đ", "CĐ", "CBĐ") for row in rows[3:])


@pytest.mark.parametrize("username", ["hatinh", "kyanh", "lamhop"])
def test_non_admins_cannot_download_exports_or_templates(client, username):
    login(client, username)

    assert client.get(reverse("imports:export", args=["NTMNC_XA_2021_2025"])).status_code == 403
    assert client.get(reverse("imports:template", args=["long"])).status_code == 403


def test_province_admin_exports_only_their_province_and_not_other_variants(client):
    long_an = legacy_unit(Province, "80")
    client.force_login(make_user(role=Role.ADMIN, unit=long_an))

    own = _sheet(client.get(reverse("imports:export", args=["NTM_XA_2021_2025"])))
    other_variant = client.get(reverse("imports:export", args=["HATINH_NTM_XA_2017_2020"]))

    assert all(str(row[0]).startswith("2") for row in own[3:] if row[0])  # Long An: 27xxx-28xxx
    assert other_variant.status_code == 404


def test_matrix_template_has_the_sets_criteria_and_the_districts_communes(client):
    from communes.models import District

    tan_tru = legacy_unit(District, "805")
    login(client, "admin")

    response = client.get(
        reverse("imports:template", args=["matrix"]),
        {"criteria_set": "NTMNC_XA_2021_2025", "district": tan_tru.pk},
    )

    rows = _sheet(response)
    assert rows[2][:4] == ("Mã ĐVHC", "Đơn vị", "Ngày đánh giá", "1")
    assert rows[2][-2:] == ("19", "Số tiêu chí đạt")
    assert {r[0] for r in rows[3:]} == set(tan_tru.communes.values_list("code", flat=True))


def test_rows_rejected_while_reading_are_in_the_row_by_row_table(client):
    from .workbooks import marks, summary_sheet, to_bytes

    rows = [("28078", "Xã Tân Bình", marks(met=[1]), 1), ("", "Xã Không Có", marks(), 0)]
    response = post_file(login(client, "admin"), data=to_bytes(summary_sheet(rows)))
    preview = client.get(response.url)

    rejected = [r for r in preview.context["preview"].rows if r.action == "invalid"]
    assert [r.unit for r in rejected] == ["Xã Không Có"]
    assert "No commune" in rejected[0].reason
    table = preview.content.decode().split("Row by row")[1]
    assert "Xã Không Có" in table and "refused" in table and "No commune" in table


def test_confirm_after_switching_language_applies_the_preview(client, settings):
    # An update's change list is worded in the page's language ("criterion 9: …").
    que_my_thanh = Assessment.objects.get(commune__code="28084")
    que_my_thanh.status = AssessmentStatus.APPROVED
    que_my_thanh.save()
    que_my_thanh.results.filter(criterion__number=9).update(status="met")
    login(client, "admin")
    response = post_file(client, status=AssessmentStatus.APPROVED)
    assert "criterion 9" in client.get(response.url).content.decode()
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"  # the user switches language
    client.post(reverse("imports:confirm", args=[token]))

    assert Assessment.objects.filter(commune__code="28093").count() == 1
    assert que_my_thanh.results.get(criterion__number=9).status == "not_met"
