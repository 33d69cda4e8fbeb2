"""The workflow pages: each with the owner (lamhop), the reviewers above (kyanh, hatinh), an
outsider (404) and an anonymous visitor (login redirect). Messages are asserted in English."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from communes.enums import AssessmentStatus as S
from communes.enums import EventAction, ResultStatus, Role
from communes.models import Commune
from criteria import workflow
from criteria.models import Assessment, CriteriaSet, Evidence, Recognition
from criteria.workflow import CriterionInput
from tests.factories import legacy_unit, make_commune, make_district, make_user

# The district tier of the demo (kyanh verifies) works while Huyện Kỳ Anh exists.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_the_merger")]
User = get_user_model()
HATINH_SET = "HATINH_NTM_XA_2017_2020"
LAM_HOP = "18838"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield


def user(username):
    return User.objects.get(username=username)


def login(client, username):
    client.force_login(user(username))
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def outsider():
    """A district office of a district elsewhere: Lâm Hợp is outside its subtree."""
    return make_user("outsider", role=Role.DISTRICT_OFFICE, unit=make_district())


@pytest.fixture
def draft():
    return workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 10, 15),
    )


def all_met(assessment):
    return {
        c.pk: CriterionInput(ResultStatus.MET, "") for c in assessment.criteria_set.criteria.all()
    }


@pytest.fixture
def submitted(draft):
    draft = workflow.save_draft(
        user=user("lamhop"),
        assessment=draft,
        expected_version=draft.version,
        results=all_met(draft),
        values={},
    )
    return workflow.submit(user=user("lamhop"), assessment=draft)


def entry_data(assessment, **overrides):
    """The entry form as the page sends it: every criterion met, no indicator values."""
    data = {"version": str(assessment.version), "notes": ""}
    for criterion in assessment.criteria_set.criteria.all():
        data[f"c{criterion.pk}-status"] = ResultStatus.MET
        data[f"c{criterion.pk}-note"] = ""
    data.update(overrides)
    return data


# --- Anonymous and outsiders -------------------------------------------------------------------


def _urls(assessment):
    return [
        ("get", reverse("criteria:assessment", args=[assessment.pk])),
        ("get", reverse("criteria:assessment_edit", args=[assessment.pk])),
        ("get", reverse("criteria:assessment_audit", args=[assessment.pk])),
        ("get", reverse("criteria:assessment_start", args=[LAM_HOP])),
        ("get", reverse("criteria:commune_history", args=[LAM_HOP])),
        ("post", reverse("criteria:assessment_action", args=[assessment.pk, "verify"])),
        ("post", reverse("criteria:evidence_add", args=[assessment.pk])),
    ]


def test_anonymous_is_sent_to_login(client, draft):
    for method, url in [*_urls(draft), ("get", reverse("criteria:inbox"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_outsider_gets_404_everywhere(client, draft, outsider):
    client.force_login(outsider)
    for method, url in _urls(draft):
        assert getattr(client, method)(url).status_code == 404, url
    assert Assessment.objects.get(pk=draft.pk).status == S.DRAFT


# --- Start -----------------------------------------------------------------------------------


def test_start_lists_only_applicable_sets_and_redirects_to_edit(client):
    login(client, "lamhop")
    page = client.get(reverse("criteria:assessment_start", args=[LAM_HOP]))
    choices = {str(c) for _, c in page.context["form"].fields["criteria_set"].choices}
    sets = page.context["form"].fields["criteria_set"].queryset
    assert set(sets.values_list("level", flat=True)) == {"commune"}
    assert {s.province.code for s in sets if s.province_id} == {"42"}
    assert any("Hà Tĩnh" in c for c in choices)
    assert page.context["form"]["copy_previous"].value() is True
    hatinh_set = CriteriaSet.objects.get(code=HATINH_SET)
    response = client.post(
        reverse("criteria:assessment_start", args=[LAM_HOP]),
        {"criteria_set": hatinh_set.pk, "assessed_on": "2020-10-15", "copy_previous": "on"},
    )
    created = Assessment.objects.filter(commune__code=LAM_HOP, status=S.DRAFT).get()
    assert response["Location"] == reverse("criteria:assessment_edit", args=[created.pk])
    assert created.results.count() == 20  # copied from the previous assessment


def test_start_refuses_a_date_outside_the_set(client):
    login(client, "lamhop")
    hatinh_set = CriteriaSet.objects.get(code=HATINH_SET)
    response = client.post(
        reverse("criteria:assessment_start", args=[LAM_HOP]),
        {"criteria_set": hatinh_set.pk, "assessed_on": "2024-01-01"},
    )
    assert response.status_code == 400
    assert "does not apply on this date" in response.content.decode()
    assert not Assessment.objects.filter(status=S.DRAFT).exists()


def test_start_refuses_an_empty_post_with_the_fields_errors(client):
    login(client, "lamhop")
    response = client.post(reverse("criteria:assessment_start", args=[LAM_HOP]), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Assessment.objects.filter(status=S.DRAFT).exists()


@pytest.mark.parametrize("who", ["kyanh", "hatinh"])
def test_reviewers_cannot_start_and_are_told_why(client, who):
    login(client, who)
    response = client.get(reverse("criteria:assessment_start", args=[LAM_HOP]))
    assert response.status_code == 403
    assert "own officials start its assessments" in response.content.decode()


# --- Dossier -------------------------------------------------------------------------------


def test_dossier_shows_criteria_thresholds_and_actions_for_the_owner(client, draft):
    login(client, "lamhop")
    body = client.get(reverse("criteria:assessment", args=[draft.pk])).content.decode()
    assert "Quy hoạch" in body and "V. Hệ thống chính trị" in body
    assert 'class="not-set"' in body or "threshold__value" in body
    assert reverse("criteria:assessment_action", args=[draft.pk, "submit"]) in body
    assert reverse("criteria:assessment_action", args=[draft.pk, "verify"]) not in body


def test_dossier_of_a_submission_shows_lock_reason_and_district_actions(client, submitted):
    login(client, "lamhop")
    body = client.get(reverse("criteria:assessment", args=[submitted.pk])).content.decode()
    assert "sent to the district for verification" in body
    assert reverse("criteria:assessment_action", args=[submitted.pk, "submit"]) not in body
    login(client, "kyanh")
    body = client.get(reverse("criteria:assessment", args=[submitted.pk])).content.decode()
    assert reverse("criteria:assessment_action", args=[submitted.pk, "verify"]) in body
    assert reverse("criteria:assessment_action", args=[submitted.pk, "return"]) in body
    login(client, "hatinh")
    body = client.get(reverse("criteria:assessment", args=[submitted.pk])).content.decode()
    assert reverse("criteria:assessment_action", args=[submitted.pk, "appraise"]) not in body


# --- Edit ------------------------------------------------------------------------------------


def test_edit_saves_everything_and_reopens_as_left(client, draft):
    login(client, "lamhop")
    quy_hoach = draft.criteria_set.criteria.get(number=1)
    flag = quy_hoach.indicators.get(code="1.1")
    response = client.post(
        reverse("criteria:assessment_edit", args=[draft.pk]),
        entry_data(
            draft,
            **{f"c{quy_hoach.pk}-note": "QĐ 123 phê duyệt quy hoạch", f"i{flag.pk}-flag": "yes"},
        ),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 2
    assert draft.results.get(criterion=quy_hoach).note == "QĐ 123 phê duyệt quy hoạch"
    assert draft.indicator_values.get(indicator=flag).is_met is True
    page = client.get(reverse("criteria:assessment_edit", args=[draft.pk])).content.decode()
    assert "QĐ 123 phê duyệt quy hoạch" in page
    assert f'name="i{flag.pk}-flag" value="yes" checked' in page
    assert 'name="version" value="2"' in page


def test_indicator_note_is_saved_and_shown_again(client, draft):
    login(client, "lamhop")
    flag = draft.criteria_set.criteria.get(number=1).indicators.get(code="1.1")
    url = reverse("criteria:assessment_edit", args=[draft.pk])
    data = entry_data(
        draft, **{f"i{flag.pk}-flag": "yes", f"i{flag.pk}-note": "Theo QĐ 45/QĐ-UBND"}
    )
    assert client.post(url, data).status_code == 302
    assert draft.indicator_values.get(indicator=flag).note == "Theo QĐ 45/QĐ-UBND"
    page = client.get(url).content.decode()
    assert f'name="i{flag.pk}-note" value="Theo QĐ 45/QĐ-UBND"' in page


def test_stale_form_is_refused_with_409_and_keeps_what_was_entered(client, draft):
    login(client, "lamhop")
    url = reverse("criteria:assessment_edit", args=[draft.pk])
    first = entry_data(draft)
    assert client.post(url, first).status_code == 302
    quy_hoach = draft.criteria_set.criteria.get(number=1)
    stale = entry_data(
        draft, **{f"c{quy_hoach.pk}-status": "not_met", f"c{quy_hoach.pk}-note": "Chưa đạt"}
    )
    response = client.post(url, stale)  # still version 1
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this dossier" in body
    assert "Chưa đạt" in body  # the user's entry is still on the page
    assert draft.results.get(criterion=quy_hoach).status == ResultStatus.MET  # nothing lost


def test_disagreement_saves_is_flagged_and_blocks_submit_until_explained(client):
    login(client, "lamhop")
    national = workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code="NTM_XA_2016_2020"),
        assessed_on=datetime.date(2020, 10, 1),
    )
    irrigation = national.criteria_set.criteria.get(number=10)  # income ≥ 36 in Lâm Hợp's region
    indicator = irrigation.indicators.get(code="10")
    url = reverse("criteria:assessment_edit", args=[national.pk])
    data = entry_data(national, **{f"i{indicator.pk}-value": "30"})
    data[f"c{irrigation.pk}-status"] = "met"
    # The contradicting draft saves: nothing typed is lost.
    assert client.post(url, data).status_code == 302
    value = national.indicator_values.get(indicator=indicator)
    assert (value.value_number, value.is_met) == (30, False)
    body = client.get(url).content.decode()
    assert "data-disagreement" in body and "entry-criterion--disagrees" in body
    assert 'value="30"' in body
    dossier = client.get(reverse("criteria:assessment", args=[national.pk])).content.decode()
    assert "data-submit-blockers" in dossier and "Criterion 10:" in dossier
    assert 'value="submit"' not in dossier
    response = client.post(reverse("criteria:assessment_action", args=[national.pk, "submit"]))
    assert response.status_code == 400
    assert Assessment.objects.get(pk=national.pk).status == "draft"
    data = entry_data(Assessment.objects.get(pk=national.pk), **{f"i{indicator.pk}-value": "30"})
    data[f"c{irrigation.pk}-status"] = "met"
    data[f"c{irrigation.pk}-note"] = "Đoàn kiểm tra đã xác nhận"
    assert client.post(url, data).status_code == 302
    dossier = client.get(reverse("criteria:assessment", args=[national.pk])).content.decode()
    assert "Criterion 10:" not in dossier


@pytest.mark.parametrize(("typed", "proposed"), [("40", "met"), ("30", "not_met")])
def test_form_proposes_the_result_where_every_indicator_can_be_judged(client, typed, proposed):
    login(client, "lamhop")
    national = workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code="NTM_XA_2016_2020"),
        assessed_on=datetime.date(2020, 10, 1),
    )
    labour = national.criteria_set.criteria.get(number=10)  # one indicator, ≥ 36 in BTB
    indicator = labour.indicators.get()
    url = reverse("criteria:assessment_edit", args=[national.pk])
    data = entry_data(national, **{f"i{indicator.pk}-value": typed})
    data[f"c{labour.pk}-status"] = ""
    assert client.post(url, data).status_code == 302
    body = client.get(url).content.decode()
    assert f'data-proposed="{proposed}"' in body
    assert body.count("data-proposed=") == 1  # criterion 3 lacks a threshold for 3.2


def test_invalid_number_redisplays_with_400(client, draft):
    login(client, "lamhop")
    indicator = draft.criteria_set.criteria.get(number=3).indicators.get(code="3.1")
    response = client.post(
        reverse("criteria:assessment_edit", args=[draft.pk]),
        entry_data(draft, **{f"i{indicator.pk}-value": "nhiều"}),
    )
    assert response.status_code == 400
    assert 'value="nhiều"' in response.content.decode()
    assert Assessment.objects.get(pk=draft.pk).version == draft.version


@pytest.mark.parametrize("who", ["kyanh", "hatinh"])
def test_reviewers_cannot_edit(client, draft, who):
    login(client, who)
    response = client.get(reverse("criteria:assessment_edit", args=[draft.pk]))
    assert response.status_code == 403
    assert "own officials edit its assessments" in response.content.decode()
    assert client.post(reverse("criteria:assessment_edit", args=[draft.pk]), entry_data(draft))
    assert Assessment.objects.get(pk=draft.pk).version == draft.version


def test_submitted_dossier_is_locked_for_the_commune(client, submitted):
    login(client, "lamhop")
    response = client.get(reverse("criteria:assessment_edit", args=[submitted.pk]))
    assert response.status_code == 403
    assert "sent to the district for verification" in response.content.decode()


# --- Evidence --------------------------------------------------------------------------------


def _upload(client, assessment, name="qd.pdf", content=PDF, **fields):
    criterion = assessment.criteria_set.criteria.get(number=1)
    return client.post(
        reverse("criteria:evidence_add", args=[assessment.pk]),
        {
            "criterion": criterion.pk,
            "title": "Quyết định phê duyệt quy hoạch",
            "document_number": "123/QĐ-UBND",
            "document_date": "2019-05-02",
            "file": SimpleUploadedFile(name, content),
            **fields,
        },
    )


def test_evidence_upload_download_and_delete(client, draft, outsider):
    login(client, "lamhop")
    assert _upload(client, draft).status_code == 302
    evidence = Evidence.objects.get(assessment=draft)
    assert (evidence.original_name, evidence.content_type) == ("qd.pdf", "application/pdf")
    url = reverse("criteria:evidence_download", args=[evidence.pk])
    for who in ["lamhop", "kyanh", "hatinh"]:
        login(client, who)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert 'attachment; filename="qd.pdf"' in response["Content-Disposition"]
        assert response["Content-Type"] == "application/pdf"
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(reverse("criteria:evidence_delete", args=[evidence.pk])).status_code == 404
    login(client, "kyanh")
    assert client.post(reverse("criteria:evidence_delete", args=[evidence.pk])).status_code == 403
    login(client, "lamhop")
    assert client.post(reverse("criteria:evidence_delete", args=[evidence.pk])).status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def _upload_from_the_entry_form(client, assessment, typed, content=PDF, **fields):
    """The entry form's upload button: the typed entries and the evidence fields together."""
    criterion = assessment.criteria_set.criteria.get(number=1)
    return client.post(
        reverse("criteria:assessment_edit", args=[assessment.pk]),
        {
            **typed,
            "upload": "1",
            "criterion": criterion.pk,
            "title": "Quyết định phê duyệt quy hoạch",
            "document_number": "",
            "document_date": "",
            "file": SimpleUploadedFile("qd.pdf", content),
            **fields,
        },
    )


def test_upload_from_the_entry_form_saves_what_was_typed_with_the_file(client, draft):
    login(client, "lamhop")
    quy_hoach = draft.criteria_set.criteria.get(number=1)
    typed = entry_data(draft, notes="Đã họp dân ngày 02/10", **{f"c{quy_hoach.pk}-note": "Có QĐ"})
    response = _upload_from_the_entry_form(client, draft, typed)
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("criteria:assessment_edit", args=[draft.pk]) + "#evidence"
    )
    saved = Assessment.objects.get(pk=draft.pk)
    assert saved.notes == "Đã họp dân ngày 02/10"
    assert saved.results.count() == 20
    assert saved.results.get(criterion=quy_hoach).note == "Có QĐ"
    assert Evidence.objects.get(assessment=draft).criterion == quy_hoach
    page = client.get(response["Location"]).content.decode()
    assert "Đã họp dân ngày 02/10" in page and "Quyết định phê duyệt quy hoạch" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"content": b"MZ\x90\x00"}, "does not match"),
    ],
)
def test_a_refused_upload_keeps_what_was_typed_and_writes_nothing(client, draft, fields, message):
    login(client, "lamhop")
    typed = entry_data(draft, notes="Ghi chú chưa lưu")
    before = (draft.version, draft.results.count())
    response = _upload_from_the_entry_form(client, draft, typed, **fields)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "Ghi chú chưa lưu" in body  # the typed entries come back, unsaved
    assert body.count('value="met" checked') == 20
    saved = Assessment.objects.get(pk=draft.pk)
    assert (saved.version, saved.results.count()) == before
    assert saved.notes == ""
    assert not Evidence.objects.filter(assessment=draft).exists()


def test_the_entry_page_loads_the_unsaved_changes_warning(client, draft):
    login(client, "lamhop")
    body = client.get(reverse("criteria:assessment_edit", args=[draft.pk])).content.decode()
    assert "data-warn-unsaved" in body
    assert "/static/js/unsaved." in body
    assert 'form="entry-form"' in body and 'name="upload"' in body


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("virus.exe", b"MZ\x90\x00", "must be a PDF"),
        ("disguised.pdf", b"MZ\x90\x00 not a pdf", "does not match"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_evidence_upload_validation_through_the_view(client, draft, name, content, message):
    login(client, "lamhop")
    response = _upload(client, draft, name=name, content=content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Evidence.objects.filter(assessment=draft).exists()


def test_evidence_upload_over_the_limit_is_refused(client, draft, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    login(client, "lamhop")
    response = _upload(client, draft, content=PDF + b"0" * 200)
    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_evidence_needs_a_title(client, draft):
    login(client, "lamhop")
    assert _upload(client, draft, title="").status_code == 400
    assert not Evidence.objects.filter(assessment=draft).exists()


# --- Transitions -------------------------------------------------------------------------------


def _act(client, assessment, action, **data):
    """Confirm ``action`` as its confirmation page does: with the dossier's current version."""
    data.setdefault("version", Assessment.objects.get(pk=assessment.pk).version)
    return client.post(
        reverse("criteria:assessment_action", args=[assessment.pk, action]), data, follow=False
    )


def test_submit_by_the_owner_then_lamhop_cannot_verify(client, draft):
    login(client, "lamhop")
    client.post(reverse("criteria:assessment_edit", args=[draft.pk]), entry_data(draft))
    response = _act(client, draft, "submit")
    assert response["Location"] == reverse("criteria:assessment", args=[draft.pk])
    assert Assessment.objects.get(pk=draft.pk).status == S.SUBMITTED
    response = _act(client, draft, "verify")
    assert response.status_code == 403
    assert "Only the district coordination office verifies" in response.content.decode()


def test_submit_incomplete_dossier_is_400_with_the_missing_criteria(client, draft):
    login(client, "lamhop")
    criteria = draft.criteria_set.criteria.all()
    data = entry_data(draft, **{f"c{criteria.get(number=20).pk}-status": ""})
    client.post(reverse("criteria:assessment_edit", args=[draft.pk]), data)
    response = _act(client, draft, "submit")
    assert response.status_code == 400
    assert "missing: 20" in response.content.decode()


def test_return_without_reason_is_400_and_keeps_state(client, submitted):
    login(client, "kyanh")
    response = _act(client, submitted, "return", reason="  ")
    assert response.status_code == 400
    assert "Say why the dossier is returned" in response.content.decode()
    assert Assessment.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_return_with_reason_reaches_the_commune_inbox(client, submitted):
    login(client, "kyanh")
    response = _act(client, submitted, "return", reason="Thiếu biên bản họp dân")
    assert response.status_code == 302
    assert Assessment.objects.get(pk=submitted.pk).status == S.RETURNED
    login(client, "lamhop")
    inbox = client.get(reverse("criteria:inbox")).content.decode()
    assert "Thiếu biên bản họp dân" in inbox
    dossier = client.get(reverse("criteria:assessment", args=[submitted.pk])).content.decode()
    assert "Thiếu biên bản họp dân" in dossier


def test_verify_twice_is_409(client, submitted):
    login(client, "kyanh")
    assert _act(client, submitted, "verify").status_code == 302
    response = _act(client, submitted, "verify")
    assert response.status_code == 409
    assert "no longer possible" in response.content.decode()


def test_province_appraises_recognises_and_revokes(client, submitted):
    login(client, "kyanh")
    _act(client, submitted, "verify")
    login(client, "hatinh")
    assert _act(client, submitted, "appraise").status_code == 302
    response = _act(client, submitted, "recognise", decision_number="", signer="X")
    assert response.status_code == 400
    response = _act(
        client,
        submitted,
        "recognise",
        decision_number="2468/QĐ-UBND",
        decided_on="2020-12-20",
        signer="Đặng Quốc Vinh",
    )
    assert response.status_code == 302
    recognition = Recognition.objects.get(assessment=submitted)
    assert (recognition.decision_number, recognition.signer) == ("2468/QĐ-UBND", "Đặng Quốc Vinh")
    # The old Lâm Hợp's own address (18838 alone names Xã Kỳ Lạc since 01/07/2025).
    public = client.get(legacy_unit(Commune, LAM_HOP).public_url()).content.decode()
    assert "2468/QĐ-UBND" in public
    revoke = reverse("criteria:recognition_revoke", args=[recognition.pk])
    login(client, "kyanh")
    assert client.post(revoke, {"revoked_on": "2021-01-01", "reason": "x"}).status_code == 403
    login(client, "hatinh")
    assert client.post(revoke, {"revoked_on": "2021-01-01", "reason": ""}).status_code == 400
    assert client.post(revoke, {"revoked_on": "2021-01-01", "reason": "Sai sót"}).status_code == 302
    recognition.refresh_from_db()
    assert (recognition.revoked_on, recognition.revocation_reason) == (
        datetime.date(2021, 1, 1),
        "Sai sót",
    )


def test_unknown_action_is_404(client, draft):
    login(client, "lamhop")
    assert _act(client, draft, "explode").status_code == 404


# --- Inbox -----------------------------------------------------------------------------------


def test_inbox_shows_each_role_its_work(client, submitted):
    login(client, "kyanh")
    assert submitted in client.get(reverse("criteria:inbox")).context["assessments"]
    login(client, "hatinh")
    assert submitted not in client.get(reverse("criteria:inbox")).context["assessments"]
    login(client, "lamhop")
    assert submitted not in client.get(reverse("criteria:inbox")).context["assessments"]
    login(client, "admin")
    assert submitted in client.get(reverse("criteria:inbox")).context["assessments"]


def test_inbox_of_an_outsider_is_empty(client, submitted, outsider):
    client.force_login(outsider)
    assert client.get(reverse("criteria:inbox")).context["assessments"] == []


def test_province_inbox_holds_submissions_of_communes_without_district(client):
    province_commune = make_commune(province=legacy_unit(Commune, LAM_HOP).province)
    official = make_user(role=Role.COMMUNE_OFFICIAL, unit=province_commune)
    a = Assessment(
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 10, 1),
        status=S.SUBMITTED,
        author=official,
    )
    a.unit = province_commune
    a.save()
    login(client, "hatinh")
    assert a in client.get(reverse("criteria:inbox")).context["assessments"]


# Session, user, membership, the inbox rows; the commune official's page also reads their
# commune for the "Enter an assessment" link.
@pytest.mark.parametrize("who, queries", [("lamhop", 5), ("kyanh", 4)])
def test_inbox_query_count_is_constant(client, django_assert_num_queries, who, queries):
    login(client, who)
    commune = legacy_unit(Commune, LAM_HOP)
    hatinh_set = CriteriaSet.objects.get(code=HATINH_SET)
    status = S.DRAFT if who == "lamhop" else S.SUBMITTED

    def add(n):
        for i in range(n):
            a = Assessment(
                criteria_set=hatinh_set, assessed_on=datetime.date(2020, 1, 1 + i), status=status
            )
            a.unit = commune
            a.save()
            a.events.create(action=EventAction.CREATED, to_status=status)

    add(1)
    with django_assert_num_queries(queries):
        response = client.get(reverse("criteria:inbox"))
    assert len(response.context["assessments"]) == 1
    add(6)
    with django_assert_num_queries(queries):
        response = client.get(reverse("criteria:inbox"))
    assert len(response.context["assessments"]) == 7


# --- History and audit -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lamhop", "kyanh", "hatinh"])
def test_history_lists_every_visible_assessment(client, draft, who):
    login(client, who)
    response = client.get(reverse("criteria:commune_history", args=[LAM_HOP]))
    assert draft in response.context["timeline"]
    assert response.context["can_start"] is (who == "lamhop")


def test_history_compares_two_assessments(client, draft):
    login(client, "lamhop")
    quy_hoach = draft.criteria_set.criteria.get(number=1)
    previous = Assessment.objects.filter(
        commune__code=LAM_HOP, criteria_set=draft.criteria_set
    ).exclude(pk=draft.pk)[0]
    lost = previous.results.filter(status=ResultStatus.MET).first().criterion
    data = entry_data(draft, **{f"c{lost.pk}-status": "not_met"})
    if lost.pk != quy_hoach.pk:
        data[f"i{quy_hoach.indicators.get(code='1.1').pk}-flag"] = "no"
        data[f"c{quy_hoach.pk}-note"] = "Xác nhận"
    client.post(reverse("criteria:assessment_edit", args=[draft.pk]), data)
    response = client.get(
        reverse("criteria:commune_history", args=[LAM_HOP]),
        {"first": previous.pk, "second": draft.pk},
    )
    comparison = response.context["comparison"]
    assert str(lost) in comparison.lost
    assert comparison.gained  # the criteria not met before are all met now
    assert comparison.older == previous


def test_history_of_a_commune_outside_scope_is_404(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("criteria:commune_history", args=[LAM_HOP])).status_code == 404


@pytest.mark.parametrize("who", ["kyanh", "hatinh", "admin"])
def test_audit_trail_shows_who_changed_what(client, draft, who):
    login(client, "lamhop")
    quy_hoach = draft.criteria_set.criteria.get(number=1)
    client.post(
        reverse("criteria:assessment_edit", args=[draft.pk]),
        entry_data(draft, **{f"c{quy_hoach.pk}-note": "Ghi chú mới"}),
    )
    login(client, who)
    response = client.get(reverse("criteria:assessment_audit", args=[draft.pk]))
    entries = response.context["entries"]
    changed = [e for e in entries if e.what == str(quy_hoach) and e.kind == "~"]
    assert changed and changed[0].who == "lamhop"
    assert any(c.new == "Ghi chú mới" for c in changed[0].changes)
    assert "Ghi chú mới" in response.content.decode()


def test_audit_trail_is_not_for_the_commune(client, draft):
    login(client, "lamhop")
    assert client.get(reverse("criteria:assessment_audit", args=[draft.pk])).status_code == 403


# --- Public commune page links -------------------------------------------------------------------


def test_public_commune_page_links_into_the_workflow(client):
    url = legacy_unit(Commune, LAM_HOP).public_url()
    start = reverse("criteria:assessment_start", args=[LAM_HOP])
    history = reverse("criteria:commune_history", args=[LAM_HOP])
    body = client.get(url).content.decode()
    assert start not in body and history not in body
    login(client, "lamhop")
    body = client.get(url).content.decode()
    assert start in body and history in body
    login(client, "kyanh")
    body = client.get(url).content.decode()
    assert start not in body and history in body
