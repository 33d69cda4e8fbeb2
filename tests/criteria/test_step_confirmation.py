"""Each workflow step's confirmation page (criteria.views.assessment_action and
recognition_revoke): what it says, who may open it (the actor; another persona who can see
the dossier gets 403; an outsider 404) and that a stale confirmation writes nothing."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation

from communes.enums import AssessmentStatus as S
from communes.enums import Role
from communes.models import Commune
from criteria import workflow
from criteria.models import Assessment, AssessmentEvent, CriteriaSet, Recognition
from criteria.workflow import CriterionInput
from tests.factories import legacy_unit, make_district, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_the_merger")]
HATINH_SET = "HATINH_NTM_XA_2017_2020"
LAM_HOP = "18838"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def user(username):
    return get_user_model().objects.get(username=username)


def login(client, username, language="en"):
    client.force_login(user(username))
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def draft():
    draft = workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 10, 15),
    )
    return workflow.save_draft(
        user=user("lamhop"),
        assessment=draft,
        expected_version=draft.version,
        results={c.pk: CriterionInput("met", "") for c in draft.criteria_set.criteria.all()},
        values={},
    )


@pytest.fixture
def submitted(draft):
    return workflow.submit(user=user("lamhop"), assessment=draft)


@pytest.fixture
def verified(submitted):
    return workflow.verify(user=user("kyanh"), assessment=submitted)


@pytest.fixture
def appraised(verified):
    return workflow.appraise(user=user("hatinh"), assessment=verified)


@pytest.fixture
def outsider():
    return make_user("outsider", role=Role.DISTRICT_OFFICE, unit=make_district())


def snapshot(assessment):
    current = Assessment.objects.get(pk=assessment.pk)
    return (
        current.status,
        current.version,
        AssessmentEvent.objects.filter(assessment=current).count(),
        Recognition.objects.filter(assessment=current).count(),
    )


def step_url(assessment, action):
    return reverse("criteria:assessment_action", args=[assessment.pk, action])


def hidden_version(body):
    return re.search(r'name="version" value="(\d+)"', body).group(1)


# (dossier fixture, actor, step, the form's other fields, status after, another persona who
# sees the dossier but may not take the step)
STEPS = [
    ("draft", "lamhop", "submit", {}, S.SUBMITTED, "kyanh"),
    ("submitted", "kyanh", "verify", {}, S.VERIFIED, "lamhop"),
    ("submitted", "kyanh", "return", {"reason": "Thiếu biên bản"}, S.RETURNED, "lamhop"),
    ("verified", "hatinh", "appraise", {}, S.APPRAISED, "kyanh"),
    ("verified", "hatinh", "return", {"reason": "Thiếu ảnh"}, S.RETURNED, "lamhop"),
    (
        "appraised",
        "hatinh",
        "recognise",
        {"decision_number": "15/QĐ-UBND", "decided_on": "2020-12-20", "signer": "Phó Chủ tịch"},
        S.RECOGNISED,
        "kyanh",
    ),
]
IDS = [f"{s[1]}-{s[2]}-{s[0]}" for s in STEPS]


@pytest.mark.parametrize(("dossier", "who", "action", "data", "after", "other"), STEPS, ids=IDS)
def test_the_actor_sees_what_will_happen_then_confirms(
    client, request, dossier, who, action, data, after, other
):
    assessment = request.getfixturevalue(dossier)
    before = snapshot(assessment)
    login(client, who)
    page = client.get(step_url(assessment, action))
    body = page.content.decode()
    assert page.status_code == 200
    assert snapshot(assessment) == before  # opening the page writes nothing
    assert "Xã Lâm Hợp" in body and "Kỳ Anh" in body and "15/10/2020" in body
    assert f"The dossier becomes “{after.label}”" in body
    assert "data-next-actor" in body and "data-notified" in body
    assert f'action="{step_url(assessment, action)}"' in body
    if action in ("return", "recognise"):
        assert all(f'name="{field}"' in body for field in data)
    response = client.post(step_url(assessment, action), {"version": hidden_version(body), **data})
    assert response.status_code == 302
    assert response["Location"] == reverse("criteria:assessment", args=[assessment.pk])
    assert Assessment.objects.get(pk=assessment.pk).status == after
    if action == "recognise":
        assert Recognition.objects.get(assessment=assessment).signer == "Phó Chủ tịch"


@pytest.mark.parametrize(("dossier", "who", "action", "data", "after", "other"), STEPS, ids=IDS)
def test_another_persona_is_told_why_not_and_nothing_changes(
    client, request, dossier, who, action, data, after, other
):
    assessment = request.getfixturevalue(dossier)
    before = snapshot(assessment)
    login(client, other)
    page = client.get(step_url(assessment, action))
    assert page.status_code == 403
    assert "Only the" in page.content.decode()
    assert "data-confirm-plan" not in page.content.decode()
    response = client.post(step_url(assessment, action), {"version": assessment.version, **data})
    assert response.status_code == 403
    assert snapshot(assessment) == before


@pytest.mark.parametrize(("dossier", "who", "action", "data", "after", "other"), STEPS, ids=IDS)
def test_an_outsider_gets_404(client, request, outsider, dossier, who, action, data, after, other):
    assessment = request.getfixturevalue(dossier)
    before = snapshot(assessment)
    client.force_login(outsider)
    assert client.get(step_url(assessment, action)).status_code == 404
    response = client.post(step_url(assessment, action), {"version": assessment.version, **data})
    assert response.status_code == 404
    assert snapshot(assessment) == before


def test_the_submit_page_names_the_district_office_that_is_told(client, draft):
    kyanh = user("kyanh")
    kyanh.email = "kyanh@example.org"
    kyanh.save()
    login(client, "lamhop")
    body = client.get(step_url(draft, "submit")).content.decode()
    notified = re.search(r"<li data-notified>(.*?)</li>", body, re.S).group(1)
    assert "Huyện Kỳ Anh" in notified and "(1 account)" in notified
    assert "the coordination office of Huyện Kỳ Anh, in their inbox" in body


def test_a_confirmation_without_its_version_is_400_and_writes_nothing(client, submitted):
    before = snapshot(submitted)
    login(client, "kyanh")
    response = client.post(step_url(submitted, "verify"), {})
    assert response.status_code == 400
    assert "Confirm the step from its confirmation page." in response.content.decode()
    assert snapshot(submitted) == before


def test_a_stale_confirmation_is_409_in_vietnamese_and_writes_nothing(client, submitted):
    """The district opens the verification page; meanwhile the dossier is returned and
    submitted again (the same state, a newer version): the old confirmation is refused."""
    login(client, "kyanh", language="vi")
    page = client.get(step_url(submitted, "verify")).content.decode()
    version = hidden_version(page)
    returned = workflow.return_dossier(user=user("kyanh"), assessment=submitted, reason="Sửa")
    workflow.submit(user=user("lamhop"), assessment=returned)
    before = snapshot(submitted)
    mail.outbox.clear()
    response = client.post(step_url(submitted, "verify"), {"version": version})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Hồ sơ đã thay đổi sau khi bạn mở trang này" in body
    assert "Không có thay đổi nào được ghi" in body
    assert snapshot(submitted) == before
    assert mail.outbox == []


def test_a_confirmation_after_the_state_moved_on_is_409(client, submitted):
    login(client, "kyanh")
    version = hidden_version(client.get(step_url(submitted, "return")).content.decode())
    workflow.verify(user=user("kyanh"), assessment=submitted)
    before = snapshot(submitted)
    response = client.post(step_url(submitted, "return"), {"version": version, "reason": "X"})
    assert response.status_code == 409
    assert "This step is no longer possible" in response.content.decode()
    assert snapshot(submitted) == before


def test_the_dossier_page_links_to_confirmation_pages_and_posts_no_step(client, submitted):
    login(client, "kyanh")
    body = client.get(reverse("criteria:assessment", args=[submitted.pk])).content.decode()
    for action in ("verify", "return"):
        assert f'href="{step_url(submitted, action)}"' in body
        assert f'action="{step_url(submitted, action)}"' not in body


# --- Revoke ------------------------------------------------------------------------------------


@pytest.fixture
def recognition(appraised):
    return workflow.recognise(
        user=user("hatinh"),
        assessment=appraised,
        decision_number="15/QĐ-UBND",
        decided_on=datetime.date(2020, 12, 20),
        signer="Phó Chủ tịch UBND tỉnh",
    )


def revoke_url(recognition):
    return reverse("criteria:recognition_revoke", args=[recognition.pk])


def test_the_province_confirms_a_revocation(client, recognition):
    login(client, "hatinh")
    page = client.get(revoke_url(recognition))
    body = page.content.decode()
    assert page.status_code == 200
    assert "15/QĐ-UBND" in body and "Phó Chủ tịch UBND tỉnh" in body and "Xã Lâm Hợp" in body
    assert 'name="reason"' in body and "data-confirm-plan" in body
    assert Recognition.objects.get(pk=recognition.pk).revoked_on is None
    response = client.post(revoke_url(recognition), {"revoked_on": "2021-01-05", "reason": "Sai"})
    assert response.status_code == 302
    assert Recognition.objects.get(pk=recognition.pk).revoked_on == datetime.date(2021, 1, 5)


@pytest.mark.parametrize("who", ["lamhop", "kyanh"])
def test_others_who_see_the_recognition_may_not_revoke_it(client, recognition, who):
    login(client, who)
    page = client.get(revoke_url(recognition))
    assert page.status_code == 403
    assert "Only the provincial coordination office revokes" in page.content.decode()
    assert "data-confirm-plan" not in page.content.decode()


def test_an_outsider_cannot_see_the_revocation_page(client, recognition, outsider):
    client.force_login(outsider)
    assert client.get(revoke_url(recognition)).status_code == 404
    data = {"revoked_on": "2021-01-05", "reason": "Sai"}
    assert client.post(revoke_url(recognition), data).status_code == 404
    assert Recognition.objects.get(pk=recognition.pk).revoked_on is None


def test_a_revocation_confirmed_after_another_is_409(client, recognition):
    login(client, "hatinh")
    data = {"revoked_on": "2021-01-05", "reason": "Sai"}
    workflow.revoke_recognition(
        user=user("hatinh"),
        recognition=recognition,
        revoked_on=datetime.date(2021, 1, 2),
        reason="Trước",
    )
    response = client.post(revoke_url(recognition), data)
    assert response.status_code == 409
    assert "already revoked" in response.content.decode()
    assert Recognition.objects.get(pk=recognition.pk).revocation_reason == "Trước"
