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
from criteria.selectors import inbox_for_user
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


def test_a_district_office_acts_only_while_its_district_exists(before_the_merger):
    """On 02/06/2025 Kỳ Anh-like offices verify dossiers dated while their district existed,
    and never one dated after it."""
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
    assert not office.membership.has_ended
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


def test_a_district_office_membership_ends_with_its_district():
    """Today (after 30/06/2025) the same office acts on nothing; a dossier still waiting
    for its verification goes to the provincial office, which appraises it directly."""
    district = make_district(valid_to=LEGACY_VALID_TO)
    commune = make_commune(district=district, valid_to=LEGACY_VALID_TO)
    office = make_user(role=Role.DISTRICT_OFFICE, unit=district)
    province_office = make_user(role=Role.PROVINCE_OFFICE, unit=district.province)
    waiting = make_assessment(
        unit=commune,
        criteria_set=make_criteria_set(),
        assessed_on=datetime.date(2025, 6, 1),
        status=S.SUBMITTED,
    )
    membership = office.membership
    assert membership.valid_to == LEGACY_VALID_TO and membership.has_ended
    assert membership.is_active_on(LEGACY_VALID_TO)
    assert not workflow.has_district_tier(waiting)
    assert workflow.allowed_actions(office, waiting) == set()
    assert workflow.allowed_actions(province_office, waiting) == {"appraise", "return"}
    with pytest.raises(WorkflowError) as refused:
        workflow.verify(user=office, assessment=waiting)
    assert refused.value.kind == "forbidden"
    assert "existed until 30/06/2025" in refused.value.message
    with pytest.raises(WorkflowError):
        workflow.return_dossier(user=office, assessment=waiting, reason="Thiếu hồ sơ")
    waiting.refresh_from_db()
    assert waiting.status == S.SUBMITTED
    # The province's inbox holds it, the district's is empty.
    assert waiting in inbox_for_user(province_office)
    assert inbox_for_user(office) == []
    # Other roles' memberships are open-ended (their offices went on under the successors).
    assert province_office.membership.valid_to is None
    assert user("lamhop").membership.valid_to is None


def test_kyanh_reads_its_2020_dossiers_but_cannot_act_nor_see_new_units(client):
    kyanh = user("kyanh")
    lam_hop = legacy_unit(Commune, "18838")
    waiting = make_assessment(
        unit=lam_hop,
        criteria_set=CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020"),
        assessed_on=datetime.date(2020, 10, 16),
        status=S.SUBMITTED,
    )
    client.force_login(kyanh)
    dossier = client.get(reverse("criteria:assessment", args=[waiting.pk]))
    assert dossier.status_code == 200
    assert f'action="/criteria/assessments/{waiting.pk}/verify/"' not in dossier.content.decode()

    verify = client.post(reverse("criteria:assessment_action", args=[waiting.pk, "verify"]))
    assert verify.status_code == 403
    assert "30/06/2025" in verify.content.decode()
    returned = client.post(
        reverse("criteria:assessment_action", args=[waiting.pk, "return"]),
        {"reason": "Thiếu biên bản"},
    )
    assert returned.status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == S.SUBMITTED and waiting.events.count() == 0

    # Its district's 2020 dashboard is readable; the new Kỳ Lạc is not its (404).
    dashboard = client.get(
        reverse("reports:district_dashboard", args=["447"]) + "?as_of=2020-12-31"
    )
    assert dashboard.status_code == 200
    new_ky_lac = new_unit(Commune, "18838")
    assert client.get(new_ky_lac.history_url()).status_code == 200  # resolves to Lâm Hợp
    assert client.get(new_ky_lac.history_url()).context["commune"] == lam_hop
    assert (
        client.get(
            reverse("criteria:commune_history", args=["18838"]), {"on": "2026-01-01"}
        ).context["commune"]
        == lam_hop
    )
    kylac_dossier = make_assessment(
        unit=new_ky_lac,
        criteria_set=CriteriaSet.objects.get(code=NEW_SET),
        assessed_on=IN_2026,
        status=S.SUBMITTED,
    )
    assert client.get(reverse("criteria:assessment", args=[kylac_dossier.pk])).status_code == 404


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
