"""Criteria-set workbooks: a new set, updates in place while unused, a new version otherwise,
and thresholds only with a source."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from communes.enums import Role
from communes.models import Province
from criteria.imports.exports import set_workbook
from criteria.imports.sets import SetInUse, import_criteria_set
from criteria.models import CriteriaSet, Criterion, Threshold
from tests.factories import legacy_unit, make_assessment, make_commune, make_criteria_set, make_user

from .workbooks import to_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return get_user_model().objects.get(username="admin")


def workbook_of(criteria_set, *, code=None):
    wb = openpyxl.load_workbook(io.BytesIO(set_workbook(criteria_set)))
    if code:
        wb["set"]["A2"] = code
    return wb


def run(user, wb, apply=False):
    return import_criteria_set(user=user, data=to_bytes(wb), file_name="bo.xlsx", apply=apply)


def test_exported_set_imports_as_a_new_version_with_everything(admin):
    source = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    wb = workbook_of(source, code="NTM_XA_2021_2025_V2")

    preview = run(admin, wb)
    assert preview.errors == []
    assert not CriteriaSet.objects.filter(code="NTM_XA_2021_2025_V2").exists()

    run(admin, wb, apply=True)
    copy = CriteriaSet.objects.get(code="NTM_XA_2021_2025_V2")
    assert copy.criteria.count() == source.criteria.count()
    assert Threshold.objects.filter(indicator__criterion__criteria_set=copy).count() == (
        Threshold.objects.filter(indicator__criterion__criteria_set=source).count()
    )
    again = run(admin, workbook_of(copy))
    assert {r.action for r in again.rows} == {"skip"}


def test_unused_set_is_completed_in_place(admin):
    ward = make_criteria_set(n_criteria=2)
    wb = workbook_of(ward)
    wb["criteria"].append([3, "Tiêu chí mới", "", "", "VERIFIED-OFFICIAL", "QĐ 1", ""])
    wb["criteria"]["B2"] = "Tên đã sửa"

    preview = run(admin, wb, apply=True)

    assert preview.counts == {"new": 1, "update": 1, "skip": 2, "rejected": 0}  # set row, 2
    assert list(ward.criteria.values_list("name", flat=True)) == [
        "Tên đã sửa",
        "Tiêu chí 2",
        "Tiêu chí mới",
    ]


def test_set_in_use_is_refused_with_a_new_version_suggested(admin):
    used = make_criteria_set(n_criteria=2)
    make_assessment(unit=make_commune(), criteria_set=used)
    wb = workbook_of(used)
    wb["criteria"]["B2"] = "Tên đã sửa"

    with pytest.raises(SetInUse, match=f"new version “{used.code}_V2”"):
        run(admin, wb, apply=True)
    assert Criterion.objects.get(criteria_set=used, number=1).name == "Tiêu chí 1"


def test_set_in_use_is_imported_as_a_new_version_when_asked(admin):
    used = make_criteria_set(n_criteria=2, indicators_per_criterion=1)
    commune = make_commune()
    make_assessment(unit=commune, criteria_set=used)
    wb = workbook_of(used)
    wb["criteria"]["B2"] = "Tên đã sửa"
    wb["thresholds"].append(
        [1, "1.1", "commune_group", "", 3, "", "", "70", "", "VERIFIED-OFFICIAL", "QĐ thử", ""]
    )

    def new_version(apply):
        return import_criteria_set(
            user=admin, data=to_bytes(wb), file_name="bo.xlsx", apply=apply, new_version=True
        )

    preview = new_version(apply=False)
    assert preview.errors == []
    assert preview.subject == f"{used.code}_V2"
    assert f"new version “{used.code}_V2”" in preview.notices[0]
    kinds = {(r.kind, r.action) for r in preview.rows}
    assert ("criteriaset", "new") in kinds and ("criterion", "update") in kinds
    assert ("threshold", "new") in kinds
    assert not CriteriaSet.objects.filter(code=f"{used.code}_V2").exists()

    new_version(apply=True)
    new = CriteriaSet.objects.get(code=f"{used.code}_V2")
    assert new.previous_version == used
    assert list(new.criteria.values_list("name", flat=True)) == ["Tên đã sửa", "Tiêu chí 2"]
    assert Threshold.objects.get(indicator__criterion__criteria_set=new).commune_group == 3
    # The set in use is untouched, and no longer offered: its new version is.
    assert Criterion.objects.get(criteria_set=used, number=1).name == "Tiêu chí 1"
    assert not Threshold.objects.filter(indicator__criterion__criteria_set=used).exists()
    assert used.assessments.count() == 1
    assert used.in_force().replaced
    assert new.in_force().contains(used.valid_from)


def test_threshold_without_source_is_rejected_and_nothing_is_written(admin):
    target = make_criteria_set(n_criteria=1, indicators_per_criterion=1)
    wb = workbook_of(target)
    wb["thresholds"].append(
        [1, "1.1", "national", "", "", "", 2025, "1.234,5", "", "LOCAL", "", ""]
    )
    wb["criteria"]["B2"] = "Tên đã sửa"

    preview = run(admin, wb, apply=True)

    (error,) = preview.errors
    assert (error.sheet, error.cell) == ("thresholds", "K2")
    assert "never invents" in error.message
    assert not Threshold.objects.filter(indicator__criterion__criteria_set=target).exists()
    assert Criterion.objects.get(criteria_set=target).name == "Tiêu chí 1"


def test_threshold_with_source_and_vietnamese_number_is_created(admin):
    target = make_criteria_set(n_criteria=1, indicators_per_criterion=1)
    wb = workbook_of(target)
    wb["thresholds"].append(
        [1, "1.1", "national", "", "", "", 2025, "1.234,5", "", "LOCAL", "QĐ 5/2025, Điều 2", ""]
    )

    run(admin, wb, apply=True)

    threshold = Threshold.objects.get(indicator__criterion__criteria_set=target)
    assert str(threshold.value.normalize()) == "1234.5" and threshold.year == 2025


def test_province_admin_imports_only_their_provincial_variant():
    long_an = legacy_unit(Province, "80")
    user = make_user(role=Role.ADMIN, unit=long_an)
    national = make_criteria_set(n_criteria=1)

    preview = run(user, workbook_of(national, code="TEST_NATIONAL_V2"))

    assert "your own province" in preview.errors[0].message
