"""The workflow after the 2025 merger: a closed commune is not assessed for dates after it,
new communes' dossiers go straight to the province, and a district office's part ends with
its district (30/06/2025) while what it held stays readable."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from communes.enums import AssessmentStatus as S
from communes.enums import ResultStatus, Role
from communes.models import LEGACY_VALID_TO, Commune, Province
from criteria import workflow
from criteria.models import CriteriaSet
from criteria.workflow import CriterionInput, WorkflowError
from tests.factories import (
    legacy_unit,
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_user,
    new_unit,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_SET = "NTM_XA_2026_2030"
IN_2026 = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def user(username):
    return User.objects.get(username=username)


def all_met(assessment):
    return {
        c.pk: CriterionInput(ResultStatus.MET, "") for c in assessment.criteria_set.criteria.all()
    }


def test_a_closed_commune_cannot_start_an_assessment_after_the_merger():
    with pytest.raises(WorkflowError) as error:
        workflow.start_assessment(
            user=user("lamhop"),
            unit=legacy_unit(Commune, "18838"),
            criteria_set=CriteriaSet.objects.get(code=NEW_SET),
            assessed_on=IN_2026,
        )
    assert error.value.kind == "state"
    assert "Xã Lâm Hợp existed until 30/06/2025" in error.value.message
    assert "now part of Xã Kỳ Lạc" in error.value.message


def test_the_start_page_of_a_closed_commune_says_why_and_links_to_its_successor(client):
    client.force_login(user("lamhop"))
    url = reverse("criteria:assessment_start", args=["18838"])
    page = client.get(url)
    assert page.context["commune"] == legacy_unit(Commune, "18838")
    assert f'href="{new_unit(Commune, "18838").public_url()}"' in page.content.decode()

    refused = client.post(
        url,
        {
            "criteria_set": CriteriaSet.objects.get(code=NEW_SET).pk,
            "assessed_on": IN_2026.isoformat(),
        },
    )
    assert refused.status_code == 409
    assert "không thể có đánh giá ngày 02/03/2026" in refused.content.decode()
    # Dates while it existed are still accepted (history entered late).
    hatinh_set = CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020")
    started = client.post(url, {"criteria_set": hatinh_set.pk, "assessed_on": "2020-10-20"})
    assert started.status_code == 302


def test_a_new_commune_goes_straight_to_the_new_province(django_capture_on_commit_callbacks):
    official, office = user("kylac2026"), user("hatinh2026")
    ky_lac = new_unit(Commune, "18838")
    assert official.membership.commune == ky_lac
    assert office.membership.province == new_unit(Province, "42")

    a = workflow.start_assessment(
        user=official,
        unit=ky_lac,
        criteria_set=CriteriaSet.objects.get(code=NEW_SET),
        assessed_on=IN_2026,
    )
    a = workflow.save_draft(
        user=official, assessment=a, expected_version=a.version, results=all_met(a), values={}
    )
    with django_capture_on_commit_callbacks(execute=True):
        a = workflow.submit(user=official, assessment=a)

    assert not workflow.has_district_tier(a)
    assert "province" in workflow.lock_reason(a)
    assert "appraise" in workflow.allowed_actions(office, a)
    # The old Hà Tĩnh office and the old district office have no part in it.
    assert workflow.allowed_actions(user("hatinh"), a) == set()
    assert workflow.allowed_actions(user("kyanh"), a) == set()
    a = workflow.appraise(user=office, assessment=a)
    assert a.status == S.APPRAISED


def test_a_district_office_acts_only_on_dossiers_dated_while_its_district_existed():
    district = make_district(valid_to=LEGACY_VALID_TO)
    commune = make_commune(district=district, valid_to=LEGACY_VALID_TO)
    office = make_user(role=Role.DISTRICT_OFFICE, unit=district)
    province_office = make_user(role=Role.PROVINCE_OFFICE, unit=district.province)
    criteria_set = make_criteria_set()
    before = make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        assessed_on=datetime.date(2025, 6, 1),
        status=S.SUBMITTED,
    )
    assert workflow.has_district_tier(before)
    assert workflow.allowed_actions(office, before) == {"verify", "return"}
    assert "appraise" not in workflow.allowed_actions(province_office, before)

    # A dossier dated after the district closed (e.g. moved to the new map later) skips it.
    after = make_assessment(
        unit=make_commune(district=district),
        criteria_set=criteria_set,
        assessed_on=datetime.date(2025, 8, 1),
        status=S.SUBMITTED,
    )
    assert not workflow.has_district_tier(after)
    assert workflow.allowed_actions(office, after) == set()
    assert "appraise" in workflow.allowed_actions(province_office, after)


def test_the_district_office_still_reads_what_it_held(client):
    client.force_login(user("kyanh"))
    lam_hop = legacy_unit(Commune, "18838")
    history = client.get(reverse("criteria:commune_history", args=["18838"]))
    assert history.status_code == 200
    assert history.context["commune"] == lam_hop
    assert client.get(lam_hop.public_url()).status_code == 200


def test_only_sets_valid_on_the_assessment_date_are_accepted(client):
    client.force_login(user("kylac2026"))
    url = reverse("criteria:assessment_start", args=["18838"])
    old_set = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    response = client.post(url, {"criteria_set": old_set.pk, "assessed_on": IN_2026.isoformat()})
    assert response.status_code == 400
    assert "không áp dụng vào ngày này" in response.content.decode()
