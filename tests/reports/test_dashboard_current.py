"""The dashboards are always current: they read the assessments and recognitions as they are
at the request (no batch "analytics" run), so a change shows on the very next page load."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse

from communes.enums import AssessmentStatus, ResultStatus, Role
from criteria import workflow
from criteria.enums import Title
from criteria.services import record_assessment
from tests.factories import (
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_recognition,
    make_user,
)

pytestmark = pytest.mark.django_db

AS_OF = {"as_of": "2025-06-01"}


@pytest.fixture
def area():
    district = make_district()
    commune = make_commune(district=district, name="Xã Hiện Hành")
    criteria_set = make_criteria_set(n_criteria=3, valid_from=datetime.date(2021, 1, 1))
    first = make_assessment(
        unit=commune, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2024, 1, 1)
    )
    return district, commune, criteria_set, first


@pytest.fixture
def client(client, area):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.DISTRICT_OFFICE, unit=area[0]))
    return client


def matrix_met(client, district) -> str:
    """The commune's "met" column in the matrix, e.g. "1/3"."""
    html = client.get(reverse("reports:district_dashboard", args=[district.code]), AS_OF)
    html = html.content.decode()
    matrix = html[html.index('id="matrix"') : html.index('id="hardest"')]
    return re.findall(r'<td class="num">([^<]+)</td>', matrix)[0]


def ntm_headline(client, district) -> str:
    html = client.get(reverse("reports:district_dashboard", args=[district.code]), AS_OF)
    html = html.content.decode()
    headline = html[html.index('id="headline"') : html.index('id="progress"')]
    start = headline.index("<dd>") + 4
    return headline[start : headline.index("<", start)]


def test_dashboard_changes_right_after_an_assessment_is_recorded(client, area):
    district, commune, criteria_set, _ = area
    assert matrix_met(client, district) == "1/3"

    record_assessment(
        unit=commune,
        criteria_set=criteria_set,
        assessed_on=datetime.date(2025, 1, 1),
        results={n: (ResultStatus.MET, "") for n in (1, 2, 3)},
        status=AssessmentStatus.VERIFIED,
    )

    assert matrix_met(client, district) == "3/3"


def test_dashboard_ignores_a_draft_until_it_is_verified(client, area):
    district, commune, criteria_set, _ = area
    draft = make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1, 2],
        status=AssessmentStatus.SUBMITTED,
        assessed_on=datetime.date(2025, 1, 1),
    )
    assert matrix_met(client, district) == "1/3"

    workflow.verify(user=make_user(role=Role.DISTRICT_OFFICE, unit=district), assessment=draft)

    assert matrix_met(client, district) == "2/3"


def test_dashboard_changes_right_after_a_status_change_through_the_orm(client, area):
    district, commune, criteria_set, _ = area
    later = make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1, 2, 3],
        status=AssessmentStatus.DRAFT,
        assessed_on=datetime.date(2025, 1, 1),
    )
    assert matrix_met(client, district) == "1/3"

    later.status = AssessmentStatus.APPROVED
    later.save(update_fields=["status"])

    assert matrix_met(client, district) == "3/3"


def test_dashboard_changes_right_after_an_assessment_is_deleted(client, area):
    district, commune, criteria_set, first = area
    later = make_assessment(
        unit=commune, criteria_set=criteria_set, met=[1, 2], assessed_on=datetime.date(2025, 1, 1)
    )
    assert matrix_met(client, district) == "2/3"

    later.delete()
    assert matrix_met(client, district) == "1/3"

    first.delete()
    assert (
        "no public assessment"
        in client.get(
            reverse("reports:district_dashboard", args=[district.code]), AS_OF
        ).content.decode()
    )


def test_dashboard_changes_right_after_a_recognition_is_revoked(client, area):
    district, commune, _, _ = area
    recognition = make_recognition(
        unit=commune, title=Title.NTM, decided_on=datetime.date(2023, 1, 1)
    )
    assert ntm_headline(client, district) == "1"

    workflow.revoke_recognition(
        user=make_user(role=Role.PROVINCE_OFFICE, unit=district.province),
        recognition=recognition,
        revoked_on=datetime.date(2025, 5, 1),
        reason="Không duy trì đạt chuẩn",
    )

    assert ntm_headline(client, district) == "0"
