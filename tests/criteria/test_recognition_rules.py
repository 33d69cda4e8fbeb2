"""The set's recognition rules (criteria.workflow.recognition_gate): every criterion met, the
prerequisite title held on the decision date, every condition of the procedure recorded as met.
A dossier failing any of them is neither appraised nor recognised, and nothing is written."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from communes.enums import AssessmentStatus as S
from communes.enums import ResultStatus, Role
from communes.models import Commune, Membership, Province
from criteria import workflow
from criteria.models import (
    Assessment,
    AssessmentEvent,
    ConditionCheck,
    CriteriaSet,
    Recognition,
)
from criteria.workflow import ConditionInput, WorkflowError
from tests.factories import legacy_unit, make_assessment, make_recognition

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Long-enough-pw-1"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def province_office():
    return User.objects.get(username="hatinh")


@pytest.fixture
def lam_hop():
    return legacy_unit(Commune, "18838")


def dossier(unit, set_code, *, status=S.APPRAISED, not_met=(), basically_met=(), **kw):
    criteria_set = CriteriaSet.objects.get(code=set_code)
    numbers = set(criteria_set.criteria.values_list("number", flat=True))
    return make_assessment(
        unit=unit,
        criteria_set=criteria_set,
        met=numbers - set(not_met) - set(basically_met),
        basically_met=basically_met,
        status=status,
        assessed_on=kw.pop("assessed_on", datetime.date(2025, 6, 1)),
        **kw,
    )


def conditions_met(assessment):
    return workflow.record_conditions(
        user=province_office(),
        assessment=assessment,
        checks={
            c.pk: ConditionInput(True, "Báo cáo số 12/BC-UBND")
            for c in assessment.criteria_set.conditions.all()
        },
    )


def recognise(assessment, day=datetime.date(2025, 9, 1)):
    return workflow.recognise(
        user=province_office(),
        assessment=assessment,
        decision_number="1234/QĐ-UBND",
        decided_on=day,
        signer="Phó Chủ tịch UBND tỉnh",
    )


def nothing_written(assessment, events_before):
    assessment.refresh_from_db()
    return (
        not Recognition.objects.filter(assessment=assessment).exists()
        and assessment.events.count() == events_before
    )


@pytest.mark.parametrize(
    ("not_met", "basically_met"), [((3, 5, 10, 13), ()), ((), (17,)), ((2,), (4, 5))]
)
def test_recognising_with_a_criterion_not_met_is_refused_and_writes_nothing(
    lam_hop, not_met, basically_met
):
    a = dossier(lam_hop, "NTM_XA_2021_2025", not_met=not_met, basically_met=basically_met)
    conditions_met(a)
    with pytest.raises(WorkflowError) as error:
        recognise(a)
    assert error.value.kind == "invalid"
    for number in (*not_met, *basically_met):
        assert f"Criterion {number}." in error.value.message
    assert nothing_written(a, 0) and a.status == S.APPRAISED


def test_a_criterion_without_result_blocks_recognition(lam_hop):
    a = dossier(lam_hop, "HATINH_NTM_XA_2017_2020", assessed_on=datetime.date(2020, 6, 1))
    a.results.filter(criterion__number=20).delete()
    with pytest.raises(WorkflowError, match="Criterion 20.*no result"):
        recognise(a, datetime.date(2020, 12, 1))
    assert nothing_written(a, 0)


def test_appraising_with_a_criterion_not_met_is_refused_and_writes_nothing(lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", status=S.VERIFIED, not_met=(1, 2, 3, 4))
    conditions_met(a)
    with pytest.raises(WorkflowError, match="cannot be appraised"):
        workflow.appraise(user=province_office(), assessment=a)
    a.refresh_from_db()
    assert a.status == S.VERIFIED
    assert not AssessmentEvent.objects.filter(assessment=a).exists()


def test_a_failed_or_unrecorded_condition_blocks_appraisal_and_recognition(lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", status=S.VERIFIED)
    with pytest.raises(WorkflowError, match="Condition not yet recorded"):
        workflow.appraise(user=province_office(), assessment=a)
    debt = a.criteria_set.conditions.get(code="DK1")
    checks = {c.pk: ConditionInput(True, "Biên bản") for c in a.criteria_set.conditions.all()}
    checks[debt.pk] = ConditionInput(False, "Còn nợ 1,2 tỷ đồng")
    workflow.record_conditions(user=province_office(), assessment=a, checks=checks)
    with pytest.raises(WorkflowError, match="Condition not met: Không còn nợ đọng"):
        workflow.appraise(user=province_office(), assessment=a)
    assert Assessment.objects.get(pk=a.pk).status == S.VERIFIED
    conditions_met(a)
    assert workflow.appraise(user=province_office(), assessment=a).status == S.APPRAISED


def test_a_condition_marked_met_needs_its_evidence(lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", status=S.VERIFIED)
    checks = {c.pk: ConditionInput(True, "  ") for c in a.criteria_set.conditions.all()}
    with pytest.raises(WorkflowError, match="evidence missing"):
        workflow.record_conditions(user=province_office(), assessment=a, checks=checks)
    assert not ConditionCheck.objects.filter(assessment=a).exists()


def test_only_the_province_records_conditions(lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", status=S.VERIFIED)
    for username in ("lamhop", "kyanh"):
        with pytest.raises(WorkflowError) as error:
            workflow.record_conditions(
                user=User.objects.get(username=username), assessment=a, checks={}
            )
        assert error.value.kind == "forbidden"


def test_advanced_title_needs_the_ntm_title_on_the_decision_date(lam_hop):
    Recognition.objects.filter(commune=lam_hop).delete()
    a = dossier(lam_hop, "NTMNC_XA_2021_2025", assessed_on=datetime.date(2025, 3, 1))
    conditions_met(a)
    with pytest.raises(WorkflowError, match="does not hold the title"):
        recognise(a, datetime.date(2025, 9, 1))
    assert nothing_written(a, 0)
    # Held from 01/10/2025: a decision of 01/09 is still refused, one of 02/10 goes through.
    make_recognition(unit=lam_hop, title="ntm", decided_on=datetime.date(2025, 10, 1))
    with pytest.raises(WorkflowError, match="does not hold the title"):
        recognise(a, datetime.date(2025, 9, 1))
    recognition = recognise(a, datetime.date(2025, 10, 2))
    assert (recognition.title, recognition.signer) == ("ntmnc", "Phó Chủ tịch UBND tỉnh")


def test_a_revoked_prerequisite_is_not_held(lam_hop):
    Recognition.objects.filter(commune=lam_hop).delete()
    make_recognition(
        unit=lam_hop,
        title="ntm",
        decided_on=datetime.date(2023, 1, 1),
        revoked_on=datetime.date(2024, 1, 1),
        revocation_reason="Không duy trì",
    )
    a = dossier(lam_hop, "NTMNC_XA_2021_2025")
    conditions_met(a)
    with pytest.raises(WorkflowError, match="does not hold the title"):
        recognise(a)


def test_a_dossier_meeting_every_rule_is_recognised_and_revocation_stays_possible(lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025")
    conditions_met(a)
    recognition = recognise(a)
    assert Assessment.objects.get(pk=a.pk).status == S.RECOGNISED
    assert recognition.authority == "People's Committee of tỉnh Hà Tĩnh"
    revoked = workflow.revoke_recognition(
        user=province_office(),
        recognition=recognition,
        revoked_on=datetime.date(2025, 10, 1),
        reason="Không duy trì tiêu chí",
    )
    assert revoked.revoked_on == datetime.date(2025, 10, 1)


def test_gate_counts_basically_met_apart(lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", not_met=(1,), basically_met=(2, 3))
    gate = workflow.recognition_gate(a, on=datetime.date(2025, 9, 1))
    assert (gate.criteria_met, gate.criteria_basically_met, gate.criteria_total) == (16, 2, 19)
    assert not gate.passes


# --- The dossier page: the rules shown before the decision is typed ---------------------------


def login(client, username):
    client.force_login(User.objects.get(username=username))


def test_recognise_page_lists_what_fails_and_offers_no_decision_form(client, lam_hop):
    a = dossier(lam_hop, "HATINH_NTM_XA_2017_2020", not_met=(3, 5, 10, 13))
    login(client, "hatinh")
    response = client.get(reverse("criteria:assessment", args=[a.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "16/20 tiêu chí đạt" in body
    for number in (3, 5, 10, 13):
        assert f"Tiêu chí {number}." in body
    assert body.count("chưa đạt.") == 4
    step = lambda action: reverse("criteria:assessment_action", args=[a.pk, action])  # noqa: E731
    assert f'href="{step("recognise")}"' not in body
    assert f'href="{step("return")}"' in body  # returning stays possible


def test_recognise_page_offers_the_decision_when_every_rule_passes(client, lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025")
    conditions_met(a)
    login(client, "hatinh")
    body = client.get(reverse("criteria:assessment", args=[a.pk])).content.decode()
    assert "19/19 tiêu chí đạt" in body
    recognise_step = reverse("criteria:assessment_action", args=[a.pk, "recognise"])
    assert f'href="{recognise_step}"' in body and "data-gate-failures" not in body


def test_appraise_page_hides_the_button_while_a_rule_fails(client, lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", status=S.VERIFIED, basically_met=(7,))
    login(client, "hatinh")
    body = client.get(reverse("criteria:assessment", args=[a.pk])).content.decode()
    assert "18/19 tiêu chí đạt" in body and "1 tiêu chí cơ bản đạt" in body
    appraise_step = reverse("criteria:assessment_action", args=[a.pk, "appraise"])
    assert f'href="{appraise_step}"' not in body
    assert 'id="conditions-form"' in body


def test_conditions_form_records_the_checks(client, lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", status=S.VERIFIED)
    conditions = list(a.criteria_set.conditions.all())
    data = {}
    for c in conditions:
        data[f"c{c.pk}_met"] = "yes"
        data[f"c{c.pk}_evidence"] = "Kết quả khảo sát: 94,2% hài lòng"
    login(client, "hatinh")
    url = reverse("criteria:assessment_conditions", args=[a.pk])
    response = client.post(url, data)
    assert response.status_code == 302
    assert ConditionCheck.objects.filter(assessment=a, is_met=True).count() == len(conditions)
    data[f"c{conditions[0].pk}_evidence"] = ""
    ConditionCheck.objects.all().delete()
    response = client.post(url, data)
    assert response.status_code == 400
    assert not ConditionCheck.objects.filter(assessment=a).exists()


def test_conditions_form_is_the_provinces(client, lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025", status=S.VERIFIED)
    url = reverse("criteria:assessment_conditions", args=[a.pk])
    login(client, "kyanh")
    assert client.post(url, {}).status_code == 403
    far = Membership.objects.create(
        user=User.objects.create_user("longan_office", password=PASSWORD),
        role=Role.PROVINCE_OFFICE,
        province=legacy_unit(Province, "80"),
    )
    client.force_login(far.user)
    assert client.post(url, {}).status_code == 404
    assert not ConditionCheck.objects.exists()


def test_recognition_shows_the_signer_as_typed(client, lam_hop):
    a = dossier(lam_hop, "NTM_XA_2021_2025")
    conditions_met(a)
    recognise(a)
    login(client, "hatinh")
    body = client.get(reverse("criteria:assessment", args=[a.pk])).content.decode()
    assert "người ký: Phó Chủ tịch UBND tỉnh" in body
    assert "1234/QĐ-UBND" in body


def test_result_status_values_are_those_the_gate_counts():
    assert {s.value for s in ResultStatus} == {"met", "basically_met", "not_met"}
