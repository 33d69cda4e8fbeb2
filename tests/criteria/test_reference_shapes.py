"""Indicators with a unit are numbers, never yes/no."""

import pytest

from criteria.enums import IndicatorKind
from criteria.models import Indicator

pytestmark = pytest.mark.django_db


def test_hatinh_income_is_a_number_in_million_dong():
    income = Indicator.objects.get(
        criterion__criteria_set__code="HATINH_NTM_XA_2017_2020", code="10"
    )
    assert (income.kind, income.unit, income.comparison) == (
        IndicatorKind.NUMERIC,
        "triệu đồng/người",
        "gte",
    )


def test_no_indicator_with_a_unit_is_yes_no():
    assert not Indicator.objects.exclude(unit="").filter(kind=IndicatorKind.BOOLEAN).exists()
