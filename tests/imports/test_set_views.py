"""The criteria-set import pages (upload → preview → confirm), the matrix template form and
who may use them: admins only, a province's admin only for their own provincial variant."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communes.enums import Role
from communes.models import District, Province
from criteria.imports.exports import set_workbook
from criteria.models import CriteriaSet, Criterion, Threshold
from tests.factories import legacy_unit, make_assessment, make_commune, make_criteria_set, make_user

from .workbooks import to_bytes

pytestmark = pytest.mark.django_db

SET_UPLOAD = reverse("imports:set_upload")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def admin(client):
    user = get_user_model().objects.get(username="admin")
    client.force_login(user)
    return user


def province_admin(client, code):
    user = make_user(role=Role.ADMIN, unit=legacy_unit(Province, code))
    client.force_login(user)
    return user


def workbook_of(criteria_set, *, code=None):
    wb = openpyxl.load_workbook(io.BytesIO(set_workbook(criteria_set)))
    if code:
        wb["set"]["A2"] = code
    return wb


def upload(client, wb, name="bo-tieu-chi.xlsx"):
    return client.post(SET_UPLOAD, {"file": SimpleUploadedFile(name, to_bytes(wb))})


def token_of(response):
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def test_an_empty_post_is_refused_with_the_fields_errors(client, admin):
    response = client.post(SET_UPLOAD, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


# -- Who may ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in (SET_UPLOAD, reverse("imports:set_preview", args=["x"])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(reverse("imports:set_confirm", args=["x"]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("username", ["hatinh", "kyanh", "lamhop"])
def test_non_admin_gets_403_with_an_explanation(client, username):
    client.force_login(get_user_model().objects.get(username=username))

    for response in (
        client.get(SET_UPLOAD),
        client.get(reverse("imports:set_preview", args=["x"])),
        client.post(reverse("imports:set_confirm", args=["x"])),
    ):
        assert response.status_code == 403
        assert "Only administrators import data" in response.content.decode()


def test_province_admin_gets_404_for_a_set_outside_their_province(client):
    province_admin(client, "80")

    national = client.get(SET_UPLOAD, {"set": "NTM_XA_2021_2025"})
    other_variant = client.get(SET_UPLOAD, {"set": "HATINH_NTM_XA_2017_2020"})

    assert national.status_code == 404 and other_variant.status_code == 404


def test_province_admin_opens_their_own_variant(client):
    province_admin(client, "42")

    response = client.get(SET_UPLOAD, {"set": "HATINH_NTM_XA_2017_2020"})

    assert response.status_code == 200
    assert reverse("imports:set_workbook", args=["HATINH_NTM_XA_2017_2020"]) in (
        response.content.decode()
    )


def test_province_admin_cannot_upload_another_provinces_set(client):
    other = make_criteria_set(n_criteria=1, province=legacy_unit(Province, "42"))
    make_assessment(unit=make_commune(), criteria_set=other)
    province_admin(client, "80")

    response = upload(client, workbook_of(other))

    page = response.content.decode()
    assert response.status_code == 400 and "your own province" in page
    assert "used by" not in page  # nothing about another province's set leaks


def test_someone_elses_preview_is_404(client, admin):
    token = token_of(upload(client, workbook_of(make_criteria_set(n_criteria=1), code="T_V2")))
    client.force_login(make_user(role=Role.ADMIN))

    assert client.get(reverse("imports:set_preview", args=[token])).status_code == 404
    assert client.post(reverse("imports:set_confirm", args=[token])).status_code == 404
    assert not CriteriaSet.objects.filter(code="T_V2").exists()


@pytest.mark.parametrize(
    ("username", "code", "shown"),
    [
        ("admin", "NTM_XA_2021_2025", True),
        ("hatinh", "HATINH_NTM_XA_2017_2020", False),
        ("ha-tinh-admin", "HATINH_NTM_XA_2017_2020", True),
        ("ha-tinh-admin", "NTM_XA_2021_2025", False),
    ],
)
def test_set_page_links_the_import_for_admins_who_may(client, username, code, shown):
    if username == "ha-tinh-admin":
        province_admin(client, "42")
    else:
        client.force_login(get_user_model().objects.get(username=username))

    page = client.get(reverse("criteria:set_detail", args=[code])).content.decode()

    assert (f"{SET_UPLOAD}?set={code}" in page) is shown


# -- Upload, preview, confirm ------------------------------------------------------------------


def test_admin_previews_counts_and_rows_then_confirms(client, admin):
    source = make_criteria_set(n_criteria=2, indicators_per_criterion=1)
    wb = workbook_of(source, code="WARD_V2")

    response = upload(client, wb)
    page = client.get(response.url).content.decode()

    assert "set “WARD_V2”" in page and "Nothing has been written yet" in page
    assert "criterion 2" in page and "indicator 1.1" in page
    assert not CriteriaSet.objects.filter(code="WARD_V2").exists()
    preview = client.get(response.url).context
    assert dict(preview["by_kind"])["criterion"]["new"] == 2
    assert dict(preview["by_kind"])["indicator"]["new"] == 2

    done = client.post(reverse("imports:set_confirm", args=[token_of(response)]))

    assert done.url == reverse("criteria:set_detail", args=["WARD_V2"])
    assert CriteriaSet.objects.get(code="WARD_V2").criteria.count() == 2


def test_update_lists_the_changed_fields(client, admin):
    target = make_criteria_set(n_criteria=2)
    wb = workbook_of(target)
    wb["criteria"]["B2"] = "Tên đã sửa"

    page = client.get(upload(client, wb).url).content.decode()

    assert "updated" in page and "name" in page


def test_set_in_use_is_refused_with_the_new_version_hint(client, admin):
    used = make_criteria_set(n_criteria=1)
    make_assessment(unit=make_commune(), criteria_set=used)

    response = upload(client, workbook_of(used))

    assert response.status_code == 400
    assert f"new version “{used.code}_V2”" in response.content.decode()
    assert not CriteriaSet.objects.filter(code=f"{used.code}_V2").exists()


def test_set_in_use_becomes_a_new_version_through_preview_and_confirm(client, admin, settings):
    used = make_criteria_set(n_criteria=1)
    make_assessment(unit=make_commune(), criteria_set=used)
    wb = workbook_of(used)
    wb["criteria"]["B2"] = "Tên đã sửa"

    response = client.post(
        SET_UPLOAD,
        {"file": SimpleUploadedFile("bo.xlsx", to_bytes(wb)), "new_version": "on"},
    )
    assert response.status_code == 302
    page = client.get(response.url)
    assert f"new version “{used.code}_V2”" in page.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vietnamese = client.get(response.url).content.decode()
    assert f"phiên bản mới “{used.code}_V2”" in vietnamese
    assert not CriteriaSet.objects.filter(code=f"{used.code}_V2").exists()

    done = client.post(reverse("imports:set_confirm", args=[token_of(response)]))

    new = CriteriaSet.objects.get(code=f"{used.code}_V2")
    assert done["Location"] == reverse("criteria:set_detail", args=[new.code])
    assert new.previous_version == used
    assert new.criteria.get().name == "Tên đã sửa"
    assert used.criteria.get().name == "Tiêu chí 1"


def test_rejected_cells_show_sheet_row_column_value_and_no_confirm(client, admin):
    target = make_criteria_set(n_criteria=1, indicators_per_criterion=1)
    wb = workbook_of(target)
    wb["thresholds"].append([1, "9.9", "national", "", "", "", 2025, "5", "", "", "QĐ 1", ""])

    page = client.get(upload(client, wb).url).content.decode()

    assert "thresholds" in page and "B2" in page and "9.9" in page
    assert "No indicator with this code" in page
    assert "Import this set" not in page
    # The rejected row is in the row-by-row table too, with its message.
    assert page.count("No indicator with this code") == 2


def test_confirm_applies_exactly_the_preview(client, admin):
    """The data moved between preview and confirm: nothing is written, the user is sent back
    to the new preview."""
    wb = workbook_of(make_criteria_set(n_criteria=2), code="MOVED_V2")
    response = upload(client, wb)
    moved = make_criteria_set(n_criteria=1, code="MOVED_V2")

    done = client.post(reverse("imports:set_confirm", args=[token_of(response)]), follow=True)

    assert "The data changed since the preview" in done.content.decode()
    assert Criterion.objects.filter(criteria_set=moved).count() == 1


def test_confirm_refuses_a_stored_file_that_changed(client, admin):
    response = upload(client, workbook_of(make_criteria_set(n_criteria=1), code="TAMPERED"))
    record = client.session["set_imports"][token_of(response)]
    with default_storage.open(record["path"], "wb") as handle:
        handle.write(b"other bytes")

    done = client.post(reverse("imports:set_confirm", args=[token_of(response)]), follow=True)

    assert "The stored file changed since the preview" in done.content.decode()
    assert not CriteriaSet.objects.filter(code="TAMPERED").exists()


def test_set_preview_queries_do_not_grow_with_rejected_rows(
    client, admin, django_assert_num_queries
):
    target = make_criteria_set(n_criteria=1, indicators_per_criterion=1)

    def preview_url(n_rows):
        wb = workbook_of(target)
        for i in range(n_rows):
            wb["thresholds"].append(
                [1, "1.1", "national", "", "", "", 2000 + i, "5", "", "", "", ""]
            )
        return upload(client, wb).url

    one, many = preview_url(1), preview_url(30)
    with django_assert_num_queries(14):
        assert client.get(one).status_code == 200
    with django_assert_num_queries(14):
        assert client.get(many).status_code == 200
    assert not Threshold.objects.filter(indicator__criterion__criteria_set=target).exists()


# -- The matrix template form ------------------------------------------------------------------


def test_upload_page_offers_the_matrix_template_form(client, admin):
    page = client.get(reverse("imports:upload")).content.decode()

    assert f'action="{reverse("imports:template", args=["matrix"])}"' in page
    assert 'name="criteria_set"' in page and 'value="NTMNC_XA_2021_2025"' in page
    assert reverse("imports:set_upload") in page


def test_matrix_template_form_lists_only_the_province_admins_units(client):
    province_admin(client, "80")

    form = client.get(reverse("imports:upload")).context["template_form"]

    assert {p.code for p in form.fields["province"].queryset} == {"80"}
    assert {d.province.code for d in form.fields["district"].queryset} == {"80"}
    assert not form.fields["criteria_set"].queryset.filter(code="HATINH_NTM_XA_2017_2020").exists()


def test_matrix_template_for_a_district_outside_scope_is_404(client):
    province_admin(client, "80")
    ky_anh = District.objects.filter(province__code="42").first()

    response = client.get(
        reverse("imports:template", args=["matrix"]),
        {"criteria_set": "NTMNC_XA_2021_2025", "district": ky_anh.pk},
    )

    assert response.status_code == 404
