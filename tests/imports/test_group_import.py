"""Commune groups (nhóm 1/2/3) in bulk: a preview first, then all or nothing, each
administrator within their own area, errors per row in Vietnamese."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from communes.enums import CommuneKind, Role
from criteria.imports.errors import ImportFileError
from criteria.imports.groups import import_commune_groups
from tests.factories import make_commune, make_province, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def area():
    province = make_province()
    communes = [make_commune(province=province) for _ in range(3)]
    admin = make_user(role=Role.ADMIN, unit=province)
    return province, communes, admin


def csv(*rows, header="mã xã,nhóm"):
    return ("\n".join([header, *rows]) + "\n").encode()


def run(user, data, apply=False, fingerprint=None, name="nhom.csv"):
    return import_commune_groups(
        user=user, data=data, file_name=name, apply=apply, fingerprint=fingerprint
    )


def test_preview_writes_nothing_then_confirm_writes_every_group(area):
    _province, (a, b, c), admin = area
    b.commune_group = 2
    b.save()
    data = csv(f"{a.code},1", f"{b.code},Nhóm 3", f"{c.code},2")

    preview = run(admin, data)
    assert preview.counts == {"new": 2, "update": 1, "skip": 0, "rejected": 0}
    assert [(r.before, r.after) for r in preview.rows] == [(None, 1), (2, 3), (None, 2)]
    a.refresh_from_db()
    assert a.commune_group is None

    run(admin, data, apply=True, fingerprint=preview.fingerprint)
    for commune, group in ((a, 1), (b, 3), (c, 2)):
        commune.refresh_from_db()
        assert commune.commune_group == group
    assert {r.action for r in run(admin, data).rows} == {"skip"}


def test_one_bad_row_refuses_the_whole_file_with_reasons_per_row(area):
    _province, (a, b, _c), admin = area
    outsider = make_commune()  # another province: not the admin's to set
    data = csv(f"{a.code},1", f"{b.code},4", f"{outsider.code},2", f"{a.code},2", ",1")

    with translation.override("vi"):
        preview = run(admin, data, apply=True)

    errors = {r.sheet_row: " ".join(r.errors) for r in preview.errors}
    assert set(errors) == {3, 4, 5, 6}
    assert "1, 2 hoặc 3" in errors[3]
    assert f"Không có xã mã {outsider.code}" in errors[4]
    assert "hai lần" in errors[5]
    assert "Thiếu mã xã" in errors[6]
    a.refresh_from_db()
    assert a.commune_group is None  # all or nothing


def test_a_file_without_the_two_columns_is_refused(area):
    with pytest.raises(ImportFileError, match="mã xã"):
        run(area[2], csv("1,2", header="a,b"))


def test_xlsx_is_read_too(area):
    import io

    import openpyxl

    _province, (a, _b, _c), admin = area
    wb = openpyxl.Workbook()
    wb.active.append(["Mã xã", "Nhóm xã"])
    wb.active.append([int(a.code), 3])
    out = io.BytesIO()
    wb.save(out)
    preview = run(admin, out.getvalue(), apply=True, name="nhom.xlsx")
    assert preview.errors == []
    a.refresh_from_db()
    assert a.commune_group == 3


def test_views_upload_preview_confirm_and_outsider(client, area):
    _province, (a, _b, _c), admin = area
    client.force_login(admin)
    upload = client.post(
        reverse("imports:group_upload"),
        {"file": SimpleUploadedFile("nhom.csv", csv(f"{a.code},3"))},
    )
    assert upload.status_code == 302
    page = client.get(upload.url)
    body = page.content.decode()
    assert page.status_code == 200 and a.name in body
    token = upload.url.rstrip("/").rsplit("/", 1)[-1]
    a.refresh_from_db()
    assert a.commune_group is None

    done = client.post(reverse("imports:group_confirm", args=[token]))
    assert done.status_code == 302
    a.refresh_from_db()
    assert a.commune_group == 3

    # Someone else's token is a 404; a non-admin gets 403.
    other = make_user(role=Role.ADMIN)
    client.force_login(other)
    assert client.get(upload.url).status_code == 404
    client.force_login(make_user(role=Role.PROVINCE_OFFICE, unit=area[0]))
    assert client.get(reverse("imports:group_upload")).status_code == 403


def test_a_ward_gets_no_commune_group(area):
    province, _communes, admin = area
    ward = make_commune(province=province, kind=CommuneKind.WARD, name="Phường Thử")
    with translation.override("vi"):
        preview = run(admin, csv(f"{ward.code},1"), apply=True)
    (row,) = preview.errors
    assert "không phải là xã" in " ".join(row.errors)
    ward.refresh_from_db()
    assert ward.commune_group is None
