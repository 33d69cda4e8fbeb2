"""Administrative units through django-import-export: the resources, and the unit admins'
import (dry run, then confirm) and export, scoped to the admin's province."""

import io

import openpyxl
import pytest
import tablib
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communes.enums import Role
from communes.models import Commune, District, Province
from communes.resources import COLUMNS, CommuneResource, DistrictResource
from tests.factories import legacy_unit, make_commune, make_district, make_province, make_user

pytestmark = pytest.mark.django_db


def dataset(rows, headers=COLUMNS):
    return tablib.Dataset(*rows, headers=headers)


def commune_rows(district, names=("Xã Một", "Xã Hai")):
    return [
        (f"99{district.code}{i}", name, "xa", district.code, "DBSCL", 2, "2020-01-01", "")
        for i, name in enumerate(names)
    ]


def totals(result):
    return {k: v for k, v in result.totals.items() if v}


def test_reimporting_the_same_units_changes_nothing_and_a_new_name_updates():
    district = make_district()
    rows = commune_rows(district)

    created = CommuneResource().import_data(dataset(rows), dry_run=False)
    again = CommuneResource().import_data(dataset(rows), dry_run=False)
    rows[1] = (*rows[1][:1], "Xã Hai Mới", *rows[1][2:])
    renamed = CommuneResource().import_data(dataset(rows), dry_run=False)

    assert totals(created) == {"new": 2}
    assert totals(again) == {"skip": 2}
    assert totals(renamed) == {"update": 1, "skip": 1}
    commune = legacy_unit(Commune, rows[1][0])
    assert (commune.name, commune.district, commune.province) == (
        "Xã Hai Mới",
        district,
        district.province,
    )
    assert commune.valid_from.isoformat() == "2020-01-01" and commune.commune_group == 2


def test_commune_without_district_hangs_from_its_province_and_dates_read_day_first():
    province = make_province()
    rows = [("9912345", "Phường Mới", "phuong", province.code, "", "", "01/07/2025", "")]

    result = CommuneResource().import_data(dataset(rows), dry_run=False)

    assert not result.has_validation_errors()
    commune = Commune.objects.get(code="9912345")
    assert commune.district is None and commune.province == province
    assert commune.valid_from.isoformat() == "2025-07-01"


def test_bad_rows_are_validation_errors_and_nothing_is_written():
    district = make_district()
    rows = [
        *commune_rows(district, names=["Xã Tốt"]),
        ("9900001", "Xã Lạ", "thon", district.code, "", "", "", ""),  # not a commune kind
        ("9900002", "Xã Mồ Côi", "xa", "00000", "", "", "", ""),  # unknown parent
    ]

    result = CommuneResource().import_data(dataset(rows), dry_run=False)

    assert result.has_validation_errors()
    fields = [set(r.error_dict) for r in result.invalid_rows]
    assert fields[0] == {"kind"} and "parent_code" in fields[1]
    assert not Commune.objects.filter(code__in=["9900001", "9900002", rows[0][0]]).exists()


def test_province_admin_imports_only_inside_their_province():
    mine, other = make_district(), make_district()
    user = make_user(role=Role.ADMIN, unit=mine.province)
    outside = Commune.objects.create(
        code="9977777", name="Xã Ngoài", kind="xa", district=other, province=other.province
    )
    rows = [
        *commune_rows(mine, names=["Xã Trong"]),
        *commune_rows(other, names=["Xã Khác"]),
        (outside.code, "Xã Ngoài Đổi Tên", "xa", mine.code, "", "", "", ""),  # moved in
    ]

    result = CommuneResource(user=user).import_data(dataset(rows), dry_run=True)

    assert [r.number for r in result.invalid_rows] == [2, 3]
    assert all("outside your province" in str(r.error) for r in result.invalid_rows)
    inside = make_commune(district=mine)
    exported = CommuneResource(user=user).scoped(Commune.objects.all())
    assert list(exported) == [inside]


def test_export_of_units_reimports_without_changes():
    district = make_district()
    CommuneResource().import_data(dataset(commune_rows(district)), dry_run=False)
    exported = CommuneResource().export(
        queryset=Commune.objects.filter(district=district).order_by("code")
    )

    assert exported.headers == list(COLUMNS)
    assert exported[0][3] == district.code
    result = CommuneResource().import_data(exported, dry_run=True)
    assert totals(result) == {"skip": 2}


def test_district_parent_is_a_province_code():
    province = make_province()
    rows = [("99123", "Huyện Mới", "huyen", province.code, "", "")]
    headers = ("code", "name", "kind", "parent_code", "valid_from", "valid_to")

    result = DistrictResource().import_data(dataset(rows, headers), dry_run=False)

    assert not result.has_validation_errors()
    assert legacy_unit(District, "99123").province == province


# -- Through the admin --------------------------------------------------------------------


@pytest.fixture
def admin_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def _xlsx_format_index():
    model_admin = django_admin.site._registry[Commune]
    names = [f().get_title() for f in model_admin.get_import_formats()]
    return names.index("xlsx")


def test_admin_import_is_a_dry_run_then_a_confirmation(admin_client):
    district = make_district()
    wb = openpyxl.Workbook()
    wb.active.append(list(COLUMNS))
    for row in commune_rows(district):
        wb.active.append(list(row))
    out = io.BytesIO()
    wb.save(out)

    preview = admin_client.post(
        reverse("admin:communes_commune_import"),
        {
            "import_file": SimpleUploadedFile("units.xlsx", out.getvalue()),
            "format": _xlsx_format_index(),
            "resource": 0,
        },
    )

    assert preview.status_code == 200
    assert not Commune.objects.filter(district=district).exists()
    confirm = preview.context["confirm_form"]
    done = admin_client.post(
        reverse("admin:communes_commune_process_import"),
        {**confirm.initial, "resource": 0},
    )
    assert done.status_code == 302
    assert Commune.objects.filter(district=district).count() == 2


def test_non_admin_staff_has_no_import_button(client):
    province = legacy_unit(Province, "80")
    user = make_user(role=Role.PROVINCE_OFFICE, unit=province, is_staff=True, is_superuser=True)
    client.force_login(user)

    response = client.get(reverse("admin:communes_commune_import"))

    assert response.status_code == 403
