"""Placeholder items (no source text yet) are never counted as met in a public figure; where a
reported figure leaned on them, the page says so next to the figure."""

import pytest

from criteria.models import Assessment, Indicator

pytestmark = pytest.mark.django_db
LOC_BON = "20128"  # 75/75 NTMNC indicators in the article; most have no source text yet


def test_progress_leaves_placeholder_indicators_out_of_the_met_count():
    assessment = Assessment.objects.with_progress().get(
        commune__code=LOC_BON, criteria_set__code="NTMNC_XA_2021_2025"
    )
    indicators = Indicator.objects.filter(criterion__criteria_set=assessment.criteria_set)
    placeholders = indicators.filter(is_placeholder=True).count()
    assert placeholders > 0
    assert assessment.indicators_met == indicators.count() - placeholders
    assert assessment.indicators_placeholder_met == placeholders
    assert assessment.indicators_total == 75


def test_commune_page_says_the_figure_leaned_on_placeholders(client):
    body = client.get(f"/c/{LOC_BON}/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "data-placeholder-note" in body
    assert "Không tính" in body
