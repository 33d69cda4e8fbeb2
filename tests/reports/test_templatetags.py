from decimal import Decimal

import pytest
from django.utils import translation

from criteria.enums import Title
from reports.templatetags.overview import (
    _format_number,
    number,
    percent,
    title_short,
    village_count,
)


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


@pytest.mark.parametrize("language", ["vi", "en"])
def test_small_whole_numbers_are_written_as_the_general_formatting_writes_them(language):
    # number() skips the locale lookups for whole numbers under 1,000 (reports.dashboard
    # writes hundreds per page): the result must be the same, up to where grouping begins.
    with translation.override(language):
        for value in [*range(-1001, 1002), 10_000, -12_345]:
            assert number(value) == _format_number(value), value
        assert number(1000) == ("1.000" if language == "vi" else "1,000")
        assert number(True) == _format_number(True)


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
