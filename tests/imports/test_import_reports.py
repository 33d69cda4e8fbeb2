"""An applied import shows on the very next dashboard request: its bulk writes send no
signals, so the plan records the report change itself (reports.cache)."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from communes.enums import AssessmentStatus
from criteria.imports import services
from criteria.imports.services import ImportOptions
from reports.models import ReportChange
from tests.factories import make_commune, make_criteria_set, make_district

from .workbooks import table, to_bytes

pytestmark = pytest.mark.django_db

HEADER = ["Mã ĐVHC", "Đơn vị", "Ngày đánh giá", 1, 2, 3]


def _import(user, criteria_set, commune, marks):
    data = to_bytes(table([(commune.code, commune.name, "30/06/2024", *marks)], header=HEADER))
    opts = ImportOptions(criteria_set_id=criteria_set.pk, status=AssessmentStatus.APPROVED)
    preview = services.dry_run(user=user, data=data, file_name="x.xlsx", options=opts)
    assert not preview.errors
    services.apply_import(
        user=user, data=data, file_name="x.xlsx", options=opts, fingerprint=preview.fingerprint
    )


def test_applied_import_shows_on_the_next_dashboard_request(client):
    admin = get_user_model().objects.get(username="admin")
    district = make_district()
    commune = make_commune(district=district, name="Xã Nhập Khẩu")
    criteria_set = make_criteria_set(n_criteria=3, valid_from=datetime.date(2021, 1, 1))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(admin)
    url = reverse("reports:district_dashboard", args=[district.code])

    def page():
        return client.get(url, {"as_of": "2025-06-01", "set": criteria_set.code}).content.decode()

    _import(admin, criteria_set, commune, ("Đ", "CĐ", "CĐ"))
    assert "1/3" in page()
    changes = ReportChange.objects.filter(province_id=commune.province_id).count()
    _import(admin, criteria_set, commune, ("Đ", "Đ", "Đ"))
    assert ReportChange.objects.filter(province_id=commune.province_id).count() > changes
    body = page()  # the cached body of the first import must not be served
    assert "3/3" in body and "1/3" not in body
