"""Threshold resolution: province, then commune group or region, then national."""

import datetime
from decimal import Decimal

import pytest

from communes.enums import CommuneKind, Region
from communes.models import Commune, District, Province
from criteria.enums import Comparison, IndicatorKind, ThresholdScope, Verification
from criteria.models import CriteriaSet, Criterion, Indicator, Threshold
from criteria.thresholds import applicable_thresholds, reaches, resolve
from tests.factories import legacy_unit

pytestmark = pytest.mark.django_db

DAY_2023 = datetime.date(2023, 6, 1)


def indicator(set_code, code):
    return Indicator.objects.get(criterion__criteria_set__code=set_code, code=code)


def commune_in(province_code, *, difficult=False, group=None, region=None):
    province = legacy_unit(Province, province_code)
    district, _ = District.objects.get_or_create(
        code=f"9{province_code}",
        defaults={"name": "Huyện Thử", "kind": "huyen", "province": province},
    )
    return Commune.objects.create(
        code=f"9{province_code}{Commune.objects.count():03d}",
        name="Xã Thử",
        kind=CommuneKind.COMMUNE,
        district=district,
        province=province,
        region=region if region is not None else province.region,
        is_especially_difficult=difficult,
        commune_group=group,
    )


def applied(ind, unit, on=DAY_2023):
    return resolve(ind.thresholds.all(), unit, on)


def test_resolve_region_threshold_for_commune_in_region():
    lam_hop = legacy_unit(Commune, "18838")
    threshold = applied(indicator("NTM_XA_2021_2025", "15.3"), lam_hop)
    assert lam_hop.effective_region == Region.BTB
    assert (threshold.scope, threshold.region, threshold.value) == ("region", "BTB", 25)
    assert threshold.display_value == "≤ 25 %"


def test_resolve_especially_difficult_commune_uses_northern_midlands():
    commune = commune_in("42", difficult=True)
    threshold = applied(indicator("NTM_XA_2021_2025", "15.3"), commune)
    assert (threshold.region, threshold.value) == (Region.TDMNPB, 24)


def test_resolve_province_threshold_only_in_that_province():
    ind = indicator("NTM_XA_2021_2025", "9.2")
    assert applied(ind, commune_in("86")).value == 85  # Vĩnh Long's own level
    assert applied(ind, legacy_unit(Commune, "18838")) is None  # "chưa quy định"


def test_resolve_province_beats_region_and_national():
    ind = indicator("NTM_XA_2021_2025", "15.3")
    Threshold.objects.create(
        indicator=ind,
        scope=ThresholdScope.PROVINCE,
        province=legacy_unit(Province, "42"),
        value=Decimal("20"),
        verification=Verification.LOCAL,
        source="test",
    )
    assert applied(ind, legacy_unit(Commune, "18838")).value == 20
    assert applied(ind, commune_in("38")).value == 25  # Thanh Hóa keeps the BTB value


def test_resolve_year_specific_threshold_applies_only_that_year():
    ind = indicator("NTM_XA_2016_2020", "10")
    lam_hop = legacy_unit(Commune, "18838")
    assert applied(ind, lam_hop, datetime.date(2020, 9, 8)).value == 36  # BTB, 2020
    assert applied(ind, lam_hop, datetime.date(2019, 9, 8)) is None


def test_resolve_national_when_no_region_value():
    ind = indicator("NTM_XA_2016_2020", "14.2")
    no_region = commune_in("42", region="")
    assert applied(ind, no_region).scope == ThresholdScope.NATIONAL
    assert applied(ind, no_region).value == 85


def test_resolve_commune_group_before_national():
    criteria_set = CriteriaSet.objects.get(code="NTM_XA_2026_2030")
    criterion = Criterion.objects.get(criteria_set=criteria_set, number=6)
    ind = Indicator.objects.create(
        criterion=criterion,
        code="6.t",
        name="Tỷ lệ thử",
        kind=IndicatorKind.NUMERIC,
        comparison=Comparison.AT_MOST,
        verification=Verification.OFFICIAL,
    )
    for scope, group, value in [("national", None, 5), ("commune_group", 3, 10)]:
        Threshold.objects.create(
            indicator=ind,
            scope=scope,
            commune_group=group,
            value=value,
            verification=Verification.OFFICIAL,
            source="test",
        )
    day = datetime.date(2026, 3, 1)
    assert applied(ind, commune_in("42", group=3), day).value == 10
    assert applied(ind, commune_in("42", group=1), day).value == 5


def test_applicable_thresholds_covers_every_indicator_in_two_queries(
    django_assert_num_queries,
):
    criteria_set = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    lam_hop = legacy_unit(Commune.objects.select_related("province"), "18838")
    with django_assert_num_queries(2):
        result = applicable_thresholds(criteria_set, lam_hop, DAY_2023)
    assert len(result) == 57
    by_code = {i.code: result[i.pk] for i in Indicator.objects.filter(pk__in=result)}
    # 3.1 is known only in the national column of a set whose levels differ by region: Lâm
    # Hợp (North Central Coast) gets no threshold for it, not the national 80 %.
    assert by_code["3.1"] is None
    unset = {i.code for i in Indicator.objects.filter(pk__in=result.region_unset)}
    assert "3.1" in unset
    assert "10" not in unset  # income: no threshold at all, "chưa quy định"
    assert by_code["10"] is None  # income thresholds were not found: never invented


def test_reaches_numeric_and_boolean():
    at_least = Indicator(kind=IndicatorKind.NUMERIC, comparison=Comparison.AT_LEAST)
    at_most = Indicator(kind=IndicatorKind.NUMERIC, comparison=Comparison.AT_MOST)
    must_be_yes = Indicator(kind=IndicatorKind.BOOLEAN, comparison=Comparison.YES)
    must_be_no = Indicator(kind=IndicatorKind.BOOLEAN, comparison=Comparison.NO)
    eighty = Threshold(value=Decimal("80"))
    assert reaches(at_least, eighty, number=Decimal("80")) is True
    assert reaches(at_least, eighty, number=Decimal("79.9")) is False
    assert reaches(at_most, eighty, number=Decimal("81")) is False
    assert reaches(at_least, None, number=Decimal("90")) is None
    assert reaches(at_least, Threshold(value_text="do tỉnh quy định"), number=1) is None
    assert reaches(must_be_yes, None, flag=True) is True
    assert reaches(must_be_no, None, flag=True) is False
    assert reaches(must_be_no, None, flag=None) is None


def test_national_number_does_not_apply_to_a_region_the_reference_does_not_give():
    criteria_set = CriteriaSet.objects.get(code="NTM_XA_2016_2020")
    irrigation = indicator("NTM_XA_2016_2020", "3.1")  # national ≥ 80 % only
    pupils = indicator("NTM_XA_2016_2020", "14.2")  # national and every region
    in_region = commune_in("42")  # North Central Coast
    result = applicable_thresholds(criteria_set, in_region, DAY_2023)
    assert result[irrigation.pk] is None and irrigation.pk in result.region_unset
    assert result[pupils.pk].scope == ThresholdScope.REGION
    # A unit whose region is not known still reads the national value.
    no_region = applicable_thresholds(criteria_set, commune_in("42", region=""), DAY_2023)
    assert no_region[irrigation.pk].value == 80 and not no_region.region_unset


def test_yes_no_levels_apply_in_every_region():
    criteria_set = CriteriaSet.objects.get(code="NTM_XA_2016_2020")
    planning = indicator("NTM_XA_2016_2020", "1.1")  # "Đạt", national column
    result = applicable_thresholds(criteria_set, commune_in("42"), DAY_2023)
    assert result[planning.pk].scope == ThresholdScope.NATIONAL


def test_dossier_says_not_set_for_this_region(client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from criteria import workflow

    official = get_user_model().objects.get(username="lamhop")
    draft = workflow.start_assessment(
        user=official,
        unit=legacy_unit(Commune, "18838"),
        criteria_set=CriteriaSet.objects.get(code="NTM_XA_2016_2020"),
        assessed_on=datetime.date(2020, 10, 1),
    )
    client.force_login(official)
    body = client.get(reverse("criteria:assessment", args=[draft.pk])).content.decode()
    assert "chưa quy định cho vùng này" in body
