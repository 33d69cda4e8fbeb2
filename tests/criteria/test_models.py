"""Named constraints, progress computation and assessment recording."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import Commune, District, Village
from criteria.enums import ThresholdScope, Verification
from criteria.models import (
    Assessment,
    CriteriaSet,
    CriterionResult,
    Indicator,
    Recognition,
    Threshold,
)
from criteria.services import AssessmentError, record_assessment
from tests.factories import legacy_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def hatinh_set():
    return CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020")


@pytest.fixture
def ky_tay():
    return legacy_unit(Commune, "18793")  # Xã Kỳ Tây, Huyện Kỳ Anh


def results(criteria_set, not_met=()):
    return {
        n: (ResultStatus.NOT_MET if n in not_met else ResultStatus.MET, "")
        for n in criteria_set.criteria.values_list("number", flat=True)
    }


def assess(unit, criteria_set, day, *, not_met=(), status=AssessmentStatus.VERIFIED):
    return record_assessment(
        unit=unit,
        criteria_set=criteria_set,
        assessed_on=day,
        results=results(criteria_set, not_met),
        status=status,
    )


def test_record_assessment_refuses_date_outside_period(hatinh_set, ky_tay):
    with pytest.raises(AssessmentError, match="01/01/2017 – 31/12/2020"):
        assess(ky_tay, hatinh_set, datetime.date(2021, 1, 5))
    assert not Assessment.objects.filter(commune=ky_tay).exists()


def test_record_assessment_allows_outside_period_when_explicit(hatinh_set, ky_tay):
    a = record_assessment(
        unit=ky_tay,
        criteria_set=hatinh_set,
        assessed_on=datetime.date(2021, 1, 5),
        results={},
        allow_outside_period=True,
    )
    assert a.allow_outside_period


def test_record_assessment_refuses_set_of_another_province(hatinh_set):
    loc_bon = legacy_unit(Commune, "20128")  # Huế, not Hà Tĩnh
    with pytest.raises(AssessmentError, match="Hà Tĩnh"):
        assess(loc_bon, hatinh_set, datetime.date(2019, 1, 1))


def test_record_assessment_refuses_set_of_another_level(ky_tay):
    district_set = CriteriaSet.objects.get(code="NTM_HUYEN_2021_2025")
    with pytest.raises(AssessmentError):
        assess(ky_tay, district_set, datetime.date(2023, 1, 1))


def test_record_assessment_refuses_unknown_criterion(hatinh_set, ky_tay):
    with pytest.raises(AssessmentError, match="21"):
        record_assessment(
            unit=ky_tay,
            criteria_set=hatinh_set,
            assessed_on=datetime.date(2019, 1, 1),
            results={21: (ResultStatus.MET, "")},
        )
    assert not Assessment.objects.filter(commune=ky_tay).exists()


def test_latest_public_assessment_ignores_newer_draft(hatinh_set, ky_tay):
    assess(ky_tay, hatinh_set, datetime.date(2019, 1, 1), not_met=[1, 2, 3])
    assess(ky_tay, hatinh_set, datetime.date(2019, 6, 1), not_met=[1])
    assess(ky_tay, hatinh_set, datetime.date(2020, 1, 1), status=AssessmentStatus.DRAFT)
    latest = (
        Assessment.objects.public()
        .filter(commune=ky_tay)
        .latest_per_unit_and_set()
        .with_progress()
        .get()
    )
    assert latest.assessed_on == datetime.date(2019, 6, 1)
    assert (latest.criteria_met, latest.criteria_total) == (19, 20)
    as_of = (
        Assessment.objects.public()
        .as_of(datetime.date(2019, 3, 1))
        .filter(commune=ky_tay)
        .latest_per_unit_and_set("commune")
        .with_progress()
        .get()
    )
    assert as_of.criteria_met == 17


def test_basically_met_is_not_counted_as_met(hatinh_set, ky_tay):
    a = assess(ky_tay, hatinh_set, datetime.date(2019, 1, 1))
    CriterionResult.objects.filter(assessment=a, criterion__number=5).update(
        status=ResultStatus.BASICALLY_MET
    )
    a = Assessment.objects.with_progress().get(pk=a.pk)
    assert (a.criteria_met, a.criteria_basically_met) == (19, 1)


def test_result_one_per_criterion_constraint(hatinh_set, ky_tay):
    a = assess(ky_tay, hatinh_set, datetime.date(2019, 1, 1))
    with (
        pytest.raises(IntegrityError, match="result_one_per_criterion|UNIQUE"),
        transaction.atomic(),
    ):
        CriterionResult.objects.create(
            assessment=a, criterion=hatinh_set.criteria.get(number=1), status=ResultStatus.MET
        )


def test_assessment_exactly_one_unit_constraint(hatinh_set, ky_tay):
    village = Village.objects.filter(commune__district__code="400").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            commune=ky_tay, village=village, criteria_set=hatinh_set, assessed_on="2019-01-01"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(criteria_set=hatinh_set, assessed_on="2019-01-01")


def test_recognition_revocation_needs_reason(ky_tay):
    with pytest.raises(IntegrityError), transaction.atomic():
        Recognition.objects.create(
            commune=ky_tay, title="ntm", decided_on="2020-12-01", revoked_on="2021-01-01"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Recognition.objects.create(
            commune=ky_tay,
            title="ntm",
            decided_on="2020-12-01",
            revoked_on="2020-01-01",
            revocation_reason="before the decision",
        )
    r = Recognition.objects.create(
        commune=ky_tay,
        title="ntm",
        decided_on="2020-12-01",
        revoked_on="2021-01-01",
        revocation_reason="Không còn đạt tiêu chí",
    )
    assert r in Recognition.objects.active(on=datetime.date(2020, 12, 31))
    assert r not in Recognition.objects.active()


def test_threshold_scope_fields_must_agree():
    ind = Indicator.objects.get(criterion__criteria_set__code="NTM_XA_2021_2025", code="3.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Threshold.objects.create(
            indicator=ind,
            scope=ThresholdScope.NATIONAL,
            region="BTB",
            value=1,
            verification=Verification.OFFICIAL,
            source="x",
        )


def test_threshold_unique_even_with_empty_scope_values():
    ind = Indicator.objects.get(criterion__criteria_set__code="NTM_XA_2021_2025", code="3.1")
    # A national, every-year threshold already exists (≥ 80%); NULLs must not let a twin in.
    with pytest.raises(IntegrityError), transaction.atomic():
        Threshold.objects.create(
            indicator=ind,
            scope=ThresholdScope.NATIONAL,
            value=70,
            verification=Verification.OFFICIAL,
            source="x",
        )


def test_district_unit_round_trip():
    district = legacy_unit(District, "400")
    a = Assessment(criteria_set_id=1, assessed_on="2023-01-01")
    a.unit = district
    assert (a.commune, a.village, a.district) == (None, None, district)
