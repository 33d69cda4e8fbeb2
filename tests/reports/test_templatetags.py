from decimal import Decimal

import pytest
from django.utils import translation

from criteria.enums import Title
from reports.templatetags.overview import number, percent, title_short, village_count


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (Decimal("62.50"), "62,5", "62.5"),
        (Decimal("12345.00"), "12.345", "12,345"),
        (1234567, "1.234.567", "1,234,567"),
        (None, "", ""),
    ],
)
def test_number_follows_active_language(value, vi, en):
    with translation.override("vi"):
        assert number(value) == vi
    with translation.override("en"):
        assert number(value) == en


def test_percent_of_zero_is_zero():
    assert percent(3, 0) == 0
    assert percent(1, 3) == 33


def test_village_count_is_singular_or_plural_in_english():
    with translation.override("en"):
        assert village_count(Title.VILLAGE_NTM, 1) == "1 village meets the NTM standard"
        assert village_count(Title.VILLAGE_MODEL, 14) == "14 model NTM villages"


def test_title_short_leaves_unknown_values_alone():
    with translation.override("en"):
        assert title_short(Title.MODEL) == "Model NTM"
    assert title_short("something") == "something"
