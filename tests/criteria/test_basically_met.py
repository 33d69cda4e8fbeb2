"""One meaning of "cơ bản đạt" (basically met) everywhere: it is never counted as met, and it
is counted apart on the dossier, the commune history and its comparison, and the dashboards."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from communes.models import Commune
from criteria import selectors
from criteria.models import Assessment, CriteriaSet
from tests.factories import legacy_unit, make_assessment

pytestmark = pytest.mark.django_db
User = get_user_model()
NATIONAL = "NTM_XA_2021_2025"


@pytest.fixture
def pair():
    """Two verified assessments of Lâm Hợp: criterion 4 goes from met to basically met,
    criterion 5 from not met to basically met, criterion 6 from basically met to met."""
    commune = legacy_unit(Commune, "18838")
    criteria_set = CriteriaSet.objects.get(code=NATIONAL)
    everything = set(range(1, 20))
    older = make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=everything - {5, 6},
        basically_met={6},
        assessed_on=datetime.date(2024, 1, 10),
    )
    newer = make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=everything - {4, 5},
        basically_met={4, 5},
        assessed_on=datetime.date(2025, 1, 10),
    )
    return older, newer


def names(criteria_set, *numbers):
    return [str(criteria_set.criteria.get(number=n)) for n in numbers]


def test_comparison_counts_only_met_as_gained_or_lost(pair):
    older, newer = pair
    with translation.override("vi"):
        comparison = selectors.compare(older, newer)
    assert comparison.gained == names(older.criteria_set, 6)
    assert comparison.lost == names(older.criteria_set, 4)
    changed = {name: (old, new) for name, old, new in comparison.results_changed}
    assert changed == {
        names(older.criteria_set, 4)[0]: ("Đạt", "Cơ bản đạt"),
        names(older.criteria_set, 5)[0]: ("Chưa đạt", "Cơ bản đạt"),
        names(older.criteria_set, 6)[0]: ("Cơ bản đạt", "Đạt"),
    }


def test_progress_counts_basically_met_apart(pair):
    _, newer = pair
    progress = Assessment.objects.with_progress().get(pk=newer.pk)
    assert (progress.criteria_met, progress.criteria_basically_met) == (17, 2)


def test_history_page_shows_the_basically_met_count_apart(client, pair):
    older, newer = pair
    client.force_login(User.objects.get(username="hatinh"))
    response = client.get(
        reverse("criteria:commune_history", args=["18838"]),
        {"first": older.pk, "second": newer.pk},
    )
    body = response.content.decode()
    assert "17/19" in body and "+2 cơ bản đạt" in body
    assert "Cơ bản đạt" in body  # the changed results, in words
