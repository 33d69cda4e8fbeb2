"""The recognition workflow services: every transition, and the forbidden ones."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from communes.enums import AssessmentStatus as S
from communes.enums import EventAction, ResultStatus, Role
from communes.models import Commune, District, Membership, Province
from criteria import workflow
from criteria.models import Assessment, CriteriaSet, Evidence, Indicator, Recognition
from criteria.workflow import CriterionInput, IndicatorInput, WorkflowError
from tests.factories import legacy_unit

# The district tier of the demo (kyanh verifies) works while Huyện Kỳ Anh exists.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_the_merger")]
User = get_user_model()
HATINH_SET = "HATINH_NTM_XA_2017_2020"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english():
    # The messages are asserted in English: the tests must not depend on the catalogue.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def emails():
    for username, email in [
        ("lamhop", "lamhop@x.vn"),
        ("kyanh", "kyanh@x.vn"),
        ("hatinh", "hatinh@x.vn"),
    ]:
        User.objects.filter(username=username).update(email=email)


def member(username, role, **unit):
    user = User.objects.create_user(username, email=f"{username}@x.vn", password="Long-enough-pw-1")
    Membership.objects.create(user=user, role=role, **unit)
    return user


def user(username):
    return User.objects.get(username=username)


def start(day=datetime.date(2020, 10, 1), set_code=HATINH_SET, who="lamhop"):
    return workflow.start_assessment(
        user=user(who),
        unit=legacy_unit(Commune, "18838"),
        criteria_set=CriteriaSet.objects.get(code=set_code),
        assessed_on=day,
    )


def all_met(assessment):
    return {
        c.pk: CriterionInput(ResultStatus.MET, "") for c in assessment.criteria_set.criteria.all()
    }


def submitted(django_capture_on_commit_callbacks):
    a = start()
    a = workflow.save_draft(
        user=user("lamhop"), assessment=a, expected_version=a.version, results=all_met(a), values={}
    )
    with django_capture_on_commit_callbacks(execute=True):
        return workflow.submit(user=user("lamhop"), assessment=a)


def test_start_copies_the_previous_assessment():
    a = start()
    assert (a.status, a.author.username) == (S.DRAFT, "lamhop")
    progress = Assessment.objects.with_progress().get(pk=a.pk)
    assert (progress.criteria_met, progress.criteria_total) == (16, 20)
    assert list(a.events.values_list("action", flat=True)) == [EventAction.CREATED]


@pytest.mark.parametrize("who", ["kyanh", "hatinh", "admin"])
def test_only_the_commune_starts_its_assessment(who):
    with pytest.raises(WorkflowError) as error:
        start(who=who)
    assert error.value.kind == "forbidden"


def test_start_refuses_a_date_outside_the_set_period():
    with pytest.raises(ValueError, match="31/12/2020"):
        start(day=datetime.date(2021, 3, 1))


def test_save_draft_keeps_everything_and_bumps_version():
    a = start()
    quy_hoach = a.criteria_set.criteria.get(number=1)
    results = all_met(a)
    results[quy_hoach.pk] = CriterionResult = CriterionInput(
        ResultStatus.MET, "Đã phê duyệt quy hoạch"
    )
    saved = workflow.save_draft(
        user=user("lamhop"), assessment=a, expected_version=a.version, results=results, values={}
    )
    assert saved.version == a.version + 1
    assert saved.results.get(criterion=quy_hoach).note == CriterionResult.note
    assert Assessment.objects.with_progress().get(pk=a.pk).criteria_met == 20


def test_second_save_from_a_stale_version_is_refused_and_loses_nothing():
    a = start()
    first = all_met(a)
    workflow.save_draft(
        user=user("lamhop"), assessment=a, expected_version=a.version, results=first, values={}
    )
    stale = {pk: CriterionInput(ResultStatus.NOT_MET, "") for pk in first}
    with pytest.raises(workflow.ConcurrentEditError):
        workflow.save_draft(
            user=user("lamhop"), assessment=a, expected_version=a.version, results=stale, values={}
        )
    assert Assessment.objects.with_progress().get(pk=a.pk).criteria_met == 20


def test_contradicting_draft_saves_and_submit_is_refused_with_the_reason(
    django_capture_on_commit_callbacks,
):
    a = start(set_code="NTM_XA_2016_2020")
    # 14.2: pupils going on to upper secondary, ≥ 85 % in the North Central Coast (Lâm Hợp).
    irrigation = Indicator.objects.get(criterion__criteria_set=a.criteria_set, code="14.2")
    others = Indicator.objects.filter(criterion=irrigation.criterion).exclude(pk=irrigation.pk)
    # Every other criterion explains in its note why it is met without its indicator values
    # (an empty value with a threshold blocks submitting too: see the next test).
    results = {
        pk: CriterionInput(ResultStatus.MET, "Theo biên bản thẩm tra")
        for pk in all_met(a)
        if pk != irrigation.criterion_id
    }
    results[irrigation.criterion_id] = CriterionInput(ResultStatus.MET, "")
    values = {irrigation.pk: IndicatorInput(number=Decimal("70"))}
    for other in others:  # 14.1 yes, 14.3 above its level: only 14.2 contradicts
        values[other.pk] = IndicatorInput(
            number=Decimal("50") if other.kind == "numeric" else None,
            flag=True if other.kind == "boolean" else None,
        )
    # Marked met while 14.2 is below its threshold: the draft still saves everything typed.
    saved = workflow.save_draft(
        user=user("lamhop"),
        assessment=a,
        expected_version=a.version,
        results=results,
        values=values,
    )
    value = saved.indicator_values.get(indicator=irrigation)
    assert (value.value_number, value.is_met) == (Decimal("70"), False)
    assert saved.results.get(criterion_id=irrigation.criterion_id).status == ResultStatus.MET
    blockers = workflow.submit_blockers(saved)
    assert len(blockers) == 1 and blockers[0].startswith("Criterion 14:")
    with pytest.raises(WorkflowError, match="Criterion 14: Marked met, but an indicator") as error:
        workflow.submit(user=user("lamhop"), assessment=saved)
    assert error.value.kind == "invalid"
    assert Assessment.objects.get(pk=a.pk).status == S.DRAFT
    # A note explaining the disagreement lifts the block.
    results[irrigation.criterion_id] = CriterionInput(ResultStatus.MET, "Đoàn kiểm tra đã xác nhận")
    saved = workflow.save_draft(
        user=user("lamhop"),
        assessment=saved,
        expected_version=saved.version,
        results=results,
        values=values,
    )
    assert workflow.submit_blockers(saved) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.submit(user=user("lamhop"), assessment=saved).status == S.SUBMITTED


def test_met_criterion_with_an_empty_value_that_has_a_threshold_blocks_submit():
    a = start(set_code="NTM_XA_2016_2020")
    # Income: ≥ 36 million đồng in the North Central Coast (Lâm Hợp).
    irrigation = Indicator.objects.get(criterion__criteria_set=a.criteria_set, code="10")
    results = {pk: CriterionInput(ResultStatus.MET, "Theo biên bản") for pk in all_met(a)}
    results[irrigation.criterion_id] = CriterionInput(ResultStatus.MET, "")
    saved = workflow.save_draft(
        user=user("lamhop"), assessment=a, expected_version=a.version, results=results, values={}
    )
    assert saved.results.count() == a.criteria_set.criteria.count()
    blockers = workflow.submit_blockers(saved)
    assert len(blockers) == 1
    assert blockers[0].startswith("Criterion 10 is marked met, but indicators 10 ")
    with pytest.raises(WorkflowError, match="indicators 10 "):
        workflow.submit(user=user("lamhop"), assessment=saved)


def test_negative_indicator_value_is_refused():
    a = start(set_code="NTM_XA_2016_2020")
    irrigation = Indicator.objects.get(criterion__criteria_set=a.criteria_set, code="3.1")
    with pytest.raises(WorkflowError):
        workflow.save_draft(
            user=user("lamhop"),
            assessment=a,
            expected_version=a.version,
            results={},
            values={irrigation.pk: IndicatorInput(number=Decimal("-5"))},
        )


def test_submit_needs_every_criterion(django_capture_on_commit_callbacks):
    a = start(set_code="NTM_XA_2016_2020")
    with pytest.raises(WorkflowError, match="1, 2"):
        workflow.submit(user=user("lamhop"), assessment=a)


def test_full_workflow_with_return_and_recognition(django_capture_on_commit_callbacks, mailoutbox):
    a = submitted(django_capture_on_commit_callbacks)
    assert a.status == S.SUBMITTED
    assert mailoutbox[-1].to == ["kyanh@x.vn"]
    assert f"/criteria/assessments/{a.pk}/" in mailoutbox[-1].body

    with pytest.raises(WorkflowError) as error:
        workflow.save_draft(
            user=user("lamhop"), assessment=a, expected_version=a.version, results={}, values={}
        )
    assert error.value.kind == "state"
    assert "district" in workflow.lock_reason(a)

    with pytest.raises(WorkflowError) as error:
        workflow.return_dossier(user=user("kyanh"), assessment=a, reason="  ")
    assert error.value.kind == "invalid"
    with django_capture_on_commit_callbacks(execute=True):
        a = workflow.return_dossier(
            user=user("kyanh"), assessment=a, reason="Thiếu biên bản quy hoạch"
        )
    assert a.status == S.RETURNED
    assert mailoutbox[-1].to == ["lamhop@x.vn"]
    assert "Thiếu biên bản quy hoạch" in mailoutbox[-1].body

    a = workflow.submit(user=user("lamhop"), assessment=a)
    with pytest.raises(WorkflowError) as error:
        workflow.appraise(user=user("hatinh"), assessment=a)  # the district has not verified yet
    assert error.value.kind == "state"
    a = workflow.verify(user=user("kyanh"), assessment=a)
    with pytest.raises(WorkflowError) as error:
        workflow.verify(user=user("kyanh"), assessment=a)  # a stale second click
    assert error.value.kind == "state"
    a = workflow.appraise(user=user("hatinh"), assessment=a)
    with pytest.raises(WorkflowError):
        workflow.recognise(
            user=user("hatinh"),
            assessment=a,
            decision_number="",
            decided_on=datetime.date(2020, 12, 1),
            signer="x",
        )
    with django_capture_on_commit_callbacks(execute=True):
        recognition = workflow.recognise(
            user=user("hatinh"),
            assessment=a,
            decision_number="3456/QĐ-UBND",
            decided_on=datetime.date(2020, 12, 20),
            signer="Chủ tịch UBND tỉnh",
        )
    a.refresh_from_db()
    assert a.status == S.RECOGNISED
    assert (recognition.commune.code, recognition.title) == ("18838", "ntm")
    assert recognition.authority.endswith("tỉnh Hà Tĩnh")
    assert list(a.events.values_list("action", flat=True)) == [
        "created",
        "submitted",
        "returned",
        "submitted",
        "verified",
        "appraised",
        "recognised",
    ]
    assert a.events.get(action="returned").reason == "Thiếu biên bản quy hoạch"
    assert mailoutbox[-1].to == ["lamhop@x.vn"] and "3456/QĐ-UBND" in mailoutbox[-1].body


def test_wrong_roles_cannot_review(django_capture_on_commit_callbacks):
    a = submitted(django_capture_on_commit_callbacks)
    other_district = member("honglinh", Role.DISTRICT_OFFICE, district=legacy_unit(District, "437"))
    other_province = member("longan", Role.PROVINCE_OFFICE, province=legacy_unit(Province, "80"))
    for actor, step in [
        (user("lamhop"), workflow.verify),
        (other_district, workflow.verify),
        (user("hatinh"), workflow.verify),
        (user("kyanh"), workflow.appraise),
        (other_province, workflow.appraise),
    ]:
        with pytest.raises(WorkflowError) as error:
            step(user=actor, assessment=a)
        assert error.value.kind == "forbidden"
    with pytest.raises(WorkflowError) as error:
        workflow.return_dossier(user=other_district, assessment=a, reason="x")
    assert error.value.kind == "forbidden"
    assert Assessment.objects.get(pk=a.pk).status == S.SUBMITTED


def test_commune_without_district_goes_straight_to_the_province(
    django_capture_on_commit_callbacks, mailoutbox
):
    province = legacy_unit(Province, "42")
    commune = Commune.objects.create(
        code="99001", name="Xã Mới", kind="xa", province=province, region="BTB"
    )
    official = member("xamoi", Role.COMMUNE_OFFICIAL, commune=commune)
    criteria_set = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    a = workflow.start_assessment(
        user=official,
        unit=commune,
        criteria_set=criteria_set,
        assessed_on=datetime.date(2025, 9, 1),
    )
    # Met at criterion level: the note says so, since the indicator values are not entered.
    results = {pk: CriterionInput(ResultStatus.MET, "Theo biên bản") for pk in all_met(a)}
    a = workflow.save_draft(
        user=official, assessment=a, expected_version=a.version, results=results, values={}
    )
    with django_capture_on_commit_callbacks(execute=True):
        a = workflow.submit(user=official, assessment=a)
    assert mailoutbox[-1].to == ["hatinh@x.vn"]
    assert "province" in workflow.lock_reason(a)
    workflow.record_conditions(
        user=user("hatinh"),
        assessment=a,
        checks={
            c.pk: workflow.ConditionInput(True, "Báo cáo của UBND xã")
            for c in criteria_set.conditions.all()
        },
    )
    a = workflow.appraise(user=user("hatinh"), assessment=a)
    assert a.status == S.APPRAISED


def test_revoke_recognition_needs_reason_and_the_province():
    recognition = Recognition.objects.get(commune__code="20128", title="ntm")  # Lộc Bổn, Huế
    hue_office = member("hue", Role.PROVINCE_OFFICE, province=legacy_unit(Province, "46"))
    with pytest.raises(WorkflowError) as error:
        workflow.revoke_recognition(
            user=user("hatinh"),
            recognition=recognition,
            revoked_on=datetime.date(2024, 1, 1),
            reason="x",
        )
    assert error.value.kind == "forbidden"
    with pytest.raises(WorkflowError):
        workflow.revoke_recognition(
            user=hue_office,
            recognition=recognition,
            revoked_on=datetime.date(2024, 1, 1),
            reason="",
        )
    workflow.revoke_recognition(
        user=hue_office,
        recognition=recognition,
        revoked_on=datetime.date(2024, 1, 1),
        reason="Không còn đạt",
    )
    recognition.refresh_from_db()
    assert recognition.revocation_reason == "Không còn đạt"
    assert recognition.history.count() >= 2  # the change is in the audit trail
    with pytest.raises(WorkflowError) as error:
        workflow.revoke_recognition(
            user=hue_office,
            recognition=recognition,
            revoked_on=datetime.date(2024, 2, 1),
            reason="again",
        )
    assert error.value.kind == "state"


def test_evidence_pdf_is_stored_under_a_random_name(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = start()
    criterion = a.criteria_set.criteria.get(number=1)
    evidence = workflow.add_evidence(
        user=user("lamhop"),
        assessment=a,
        criterion_id=criterion.pk,
        uploaded=SimpleUploadedFile(
            "Quyết định quy hoạch.pdf", PDF, content_type="application/pdf"
        ),
        title="QĐ phê duyệt quy hoạch",
        document_number="12/QĐ-UBND",
    )
    assert evidence.content_type == "application/pdf"
    assert "quy" not in evidence.file.name.lower()
    assert evidence.file.name.startswith(f"evidence/{a.pk}/")
    assert evidence.original_name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "PDF"),
        ("disguised.pdf", b"MZ\x90\x00 not a pdf", "does not match"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", PDF + b"0" * 2048, "larger"),
    ],
)
def test_evidence_upload_validation(settings, tmp_path, name, content, message):
    settings.MEDIA_ROOT = tmp_path
    settings.EVIDENCE_MAX_BYTES = 1024
    a = start()
    with pytest.raises(WorkflowError, match=message):
        workflow.add_evidence(
            user=user("lamhop"),
            assessment=a,
            criterion_id=a.criteria_set.criteria.get(number=1).pk,
            uploaded=SimpleUploadedFile(name, content),
            title="x",
        )
    assert not Evidence.objects.filter(assessment=a).exists()
