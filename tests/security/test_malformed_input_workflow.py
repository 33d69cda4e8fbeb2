"""Malformed input, part 2: the recognition workflow's forms (start, the entry form, evidence,
return, recognise, revoke, compare) and stale transitions (submitting twice, verifying or
appraising a dossier in the wrong state, a stale version). Each case: a 4xx, the error shown
at the field (or the page's error for a whole-dossier step) and nothing written."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from communes.enums import ResultStatus
from communes.models import Commune, Province
from criteria import workflow
from criteria.models import (
    Assessment,
    AssessmentEvent,
    CriteriaSet,
    CriterionResult,
    Evidence,
    Indicator,
    IndicatorValue,
    Recognition,
)
from criteria.workflow import CriterionInput
from tests.factories import legacy_unit, make_criteria_set
from tests.security.test_malformed_input import (
    BAD_DATES,
    BAD_NUMBERS,
    INVISIBLE,
    LAM_HOP,
    TEN_THOUSAND,
    en,
    rows,
    text,
)

# The district tier of the demo (kyanh verifies) works while Huyện Kỳ Anh exists.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_the_merger")]
HATINH_SET = "HATINH_NTM_XA_2017_2020"
NATIONAL_2016 = "NTM_XA_2016_2020"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield


def user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def start(set_code=HATINH_SET, day=datetime.date(2020, 10, 15)):
    return workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=set_code),
        assessed_on=day,
        copy_previous=False,
    )


def all_met(assessment):
    return {
        c.pk: CriterionInput(ResultStatus.MET, "") for c in assessment.criteria_set.criteria.all()
    }


@pytest.fixture
def draft():
    return start()


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


@pytest.fixture
def verified(submitted):
    return workflow.verify(user=user("kyanh"), assessment=submitted)


@pytest.fixture
def appraised(verified):
    return workflow.appraise(user=user("hatinh"), assessment=verified)


@pytest.fixture
def returned(submitted):
    return workflow.return_dossier(
        user=user("kyanh"), assessment=submitted, reason="Thiếu biên bản tiêu chí 17"
    )


@pytest.fixture
def recognition(appraised):
    return workflow.recognise(
        user=user("hatinh"),
        assessment=appraised,
        decision_number="12/QĐ-UBND",
        decided_on=datetime.date(2020, 12, 20),
        signer="Đặng Quốc Vinh",
    )


def state(assessment) -> list:
    """The dossier and everything hanging off it, with the audit history's sizes."""
    return [
        *rows(
            Assessment.objects.filter(pk=assessment.pk),
            CriterionResult.objects.filter(assessment=assessment),
            IndicatorValue.objects.filter(assessment=assessment),
            Evidence.objects.filter(assessment=assessment),
            AssessmentEvent.objects.filter(assessment=assessment),
            Recognition.objects.filter(commune__code=LAM_HOP),
            Assessment.objects.filter(commune__code=LAM_HOP).values("pk"),
        ),
        Assessment.history.count(),
        CriterionResult.history.count(),
        IndicatorValue.history.count(),
        Evidence.history.count(),
        Recognition.history.count(),
    ]


def field_error(response, message):
    """The message is shown as a field error (not only somewhere on the page)."""
    body = text(response)
    assert "field__error" in body or "field--error" in body
    assert escape(message) in body, message


# -- Start an assessment ----------------------------------------------------------------------


def _start(client, **data):
    return client.post(reverse("criteria:assessment_start", args=[LAM_HOP]), data)


def _hatinh_pk():
    return CriteriaSet.objects.get(code=HATINH_SET).pk


START_CASES = {
    **{
        f"date-{name}": ({"assessed_on": value}, "Enter a valid date")
        for name, value in BAD_DATES.items()
    },
    "date-year-9999": ({"assessed_on": "9999-12-31"}, "cannot be in the future"),
    "date-tomorrow": ({"assessed_on": TOMORROW}, "cannot be in the future"),
    "date-outside-the-set": ({"assessed_on": "2021-06-30"}, "does not apply on this date"),
    "date-before-the-set": ({"assessed_on": "1999-01-01"}, "does not apply on this date"),
    "date-10k": ({"assessed_on": TEN_THOUSAND}, "Enter a valid date"),
    "set-not-a-number": ({"criteria_set": "abc"}, "Select a valid choice"),
    "set-huge": ({"criteria_set": str(2**63)}, "Select a valid choice"),
    "set-missing": ({"criteria_set": "999999999"}, "Select a valid choice"),
    "set-negative": ({"criteria_set": "-1"}, "Select a valid choice"),
    "set-decimal": ({"criteria_set": "1.5"}, "Select a valid choice"),
    "set-zero-width": ({"criteria_set": "\u200b"}, "Select a valid choice"),
    "set-of-another-level": ("district-set", "Select a valid choice"),
    "set-of-another-province": ("long-an-set", "Select a valid choice"),
}


@pytest.mark.parametrize("case", START_CASES)
def test_start_refuses_malformed_input(client, case):
    data, error = START_CASES[case]
    if data == "district-set":
        data = {"criteria_set": CriteriaSet.objects.filter(level="district").first().pk}
    elif data == "long-an-set":
        other = make_criteria_set(province=legacy_unit(Province, "80"))
        data = {"criteria_set": other.pk}
    data = {"criteria_set": _hatinh_pk(), "assessed_on": "2020-10-15", **data}
    en(client, "lamhop")
    before = Assessment.objects.count(), AssessmentEvent.objects.count()
    response = _start(client, **data)
    assert response.status_code == 400
    field_error(response, error)
    assert (Assessment.objects.count(), AssessmentEvent.objects.count()) == before


# -- The entry form ---------------------------------------------------------------------------


def entry_data(assessment, **overrides):
    data = {"version": str(assessment.version), "notes": ""}
    for criterion in assessment.criteria_set.criteria.all():
        data[f"c{criterion.pk}-status"] = ResultStatus.MET
        data[f"c{criterion.pk}-note"] = ""
    data.update(overrides)
    return data


def _edit(client, assessment, **overrides):
    return client.post(
        reverse("criteria:assessment_edit", args=[assessment.pk]),
        entry_data(assessment, **overrides),
    )


def _indicator(assessment, code):
    return Indicator.objects.get(criterion__criteria_set=assessment.criteria_set, code=code)


PERCENT_CASES = {
    **{name: (value, None) for name, value in BAD_NUMBERS.items()},
    "over-100-percent": ("100.01", "A percentage cannot be more than 100."),
    "150-percent": ("150", "A percentage cannot be more than 100."),
    "negative-small": ("-0.5", "A value cannot be negative."),
    "too-many-decimals": ("85.123456", "Enter at most 4 decimal places."),
    "arabic-digits": ("٨٥", "Enter a number, e.g. 85 or 85,5."),
    "underscore": ("8_5", "Enter a number, e.g. 85 or 85,5."),
    "zero-width-inside": ("8\u200b5", "Enter a number, e.g. 85 or 85,5."),
    "rtl-mark": ("\u200f85", "Enter a number, e.g. 85 or 85,5."),
    "10k": (TEN_THOUSAND, "Enter a number, e.g. 85 or 85,5."),
}
PARSE_ERROR = "Enter a number, e.g. 85 or 85,5."
EXPECTED_NUMBER_ERROR = {
    "overflow-1e309": "A percentage cannot be more than 100.",
    "huge-2**63": "A percentage cannot be more than 100.",
    "negative": "A value cannot be negative.",
}


@pytest.mark.parametrize("case", PERCENT_CASES)
def test_entry_refuses_a_bad_percentage_at_its_field(client, draft, case):
    value, error = PERCENT_CASES[case]
    error = error or EXPECTED_NUMBER_ERROR.get(case, PARSE_ERROR)
    irrigation = _indicator(draft, "3.1")
    en(client, "lamhop")
    before = state(draft)
    response = _edit(client, draft, **{f"i{irrigation.pk}-value": value})
    assert response.status_code == 400
    field_error(response, error)
    # What the user typed is on the page again, to be corrected.
    assert f'value="{escape(value.strip())}"' in text(response)
    assert state(draft) == before


@pytest.fixture
def national_draft():
    return start(NATIONAL_2016, datetime.date(2020, 6, 30))


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("1e309", "Enter a value below 10,000,000,000."),
        (str(2**63), "Enter a value below 10,000,000,000."),
        ("10000000000", "Enter a value below 10,000,000,000."),
        # Passed the old check (at most 10^12) and overflowed numeric(14, 4) on PostgreSQL.
        ("99999999999", "Enter a value below 10,000,000,000."),
        ("999999999999,5", "Enter a value below 10,000,000,000."),
        ("12345,678901", "Enter at most 4 decimal places."),
        ("1e-20", "Enter at most 4 decimal places."),
        ("-1e309", "A value cannot be negative."),
    ],
)
def test_entry_refuses_an_absurd_income_at_its_field(client, national_draft, value, error):
    income = _indicator(national_draft, "10")
    assert income.unit != "%"
    en(client, "lamhop")
    before = state(national_draft)
    response = _edit(client, national_draft, **{f"i{income.pk}-value": value})
    assert response.status_code == 400
    field_error(response, error)
    assert state(national_draft) == before


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("-0", Decimal("0")),
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        (" 1 000 ", Decimal("1000")),
        ("9999999999,9999", Decimal("9999999999.9999")),
    ],
)
def test_entry_accepts_the_edges_of_a_number(client, national_draft, typed, stored):
    income = _indicator(national_draft, "10")
    en(client, "lamhop")
    response = _edit(
        client,
        national_draft,
        **{f"i{income.pk}-value": typed, f"c{income.criterion_id}-note": "theo báo cáo"},
    )
    assert response.status_code == 302
    value = IndicatorValue.objects.get(assessment=national_draft, indicator=income)
    assert value.value_number == stored


def _criterion(assessment, number=1):
    return assessment.criteria_set.criteria.get(number=number)


ENTRY_CASES = {
    "status-unknown": ("status", "đạt", "Choose a result from the list."),
    "status-upper-case": ("status", "MET", "Choose a result from the list."),
    "status-10k": ("status", TEN_THOUSAND, "Choose a result from the list."),
    "status-zero-width": ("status", "met\u200b", "Choose a result from the list."),
    "note-10k": ("note", TEN_THOUSAND, "Keep the note to 4000 characters (it has 10000)."),
    "note-4001": ("note", "x" * 4001, "Keep the note to 4000 characters (it has 4001)."),
    "flag-unknown": ("flag", "maybe", "Choose yes, no or neither."),
    "flag-10k": ("flag", TEN_THOUSAND, "Choose yes, no or neither."),
    "indicator-note-1001": (
        "indicator-note",
        "x" * 1001,
        "Keep the note to 1000 characters (it has 1001).",
    ),
}


@pytest.mark.parametrize("case", ENTRY_CASES)
def test_entry_refuses_malformed_fields(client, draft, case):
    kind, value, error = ENTRY_CASES[case]
    criterion = _criterion(draft)
    flag = criterion.indicators.get(code="1.1")
    name = {
        "status": f"c{criterion.pk}-status",
        "note": f"c{criterion.pk}-note",
        "flag": f"i{flag.pk}-flag",
        "indicator-note": f"i{flag.pk}-note",
    }[kind]
    en(client, "lamhop")
    before = state(draft)
    response = _edit(client, draft, **{name: value})
    assert response.status_code == 400
    field_error(response, error)
    assert state(draft) == before


def test_entry_refuses_overlong_dossier_notes(client, draft):
    en(client, "lamhop")
    before = state(draft)
    response = _edit(client, draft, notes=TEN_THOUSAND)
    assert response.status_code == 400
    assert "Keep the note to 4000 characters (it has 10000)." in text(response)
    assert TEN_THOUSAND in text(response)  # kept, to be shortened
    assert state(draft) == before


@pytest.mark.parametrize("version", ["", "abc", "1e3", "1.0", "\u0661", TEN_THOUSAND], ids=repr)
def test_entry_with_a_damaged_version_is_a_400(client, draft, version):
    en(client, "lamhop")
    before = state(draft)
    response = _edit(client, draft, version=version)
    assert response.status_code == 400
    assert "The form is damaged or out of date" in text(response)
    assert state(draft) == before


@pytest.mark.parametrize("offset", ["stale", "ahead", "negative", "huge"])
def test_entry_with_another_version_is_a_409(client, draft, offset):
    version = {"stale": draft.version - 1, "ahead": draft.version + 1, "negative": -1}.get(
        offset, 2**63
    )
    en(client, "lamhop")
    before = state(draft)
    response = _edit(client, draft, version=str(version))
    assert response.status_code == 409
    assert "Someone else saved this dossier" in text(response)
    assert state(draft) == before


def test_entry_ignores_fields_of_criteria_not_in_the_set(client, draft):
    """A hand-made field for another set's criterion changes nothing of that set."""
    other = CriteriaSet.objects.get(code=NATIONAL_2016).criteria.get(number=1)
    en(client, "lamhop")
    response = _edit(client, draft, **{f"c{other.pk}-status": "met", f"c{2**63}-status": "met"})
    assert response.status_code == 302
    assert not CriterionResult.objects.filter(criterion=other, assessment=draft).exists()


def test_entry_keeps_nfd_text_as_typed_and_shows_it(client, draft):
    en(client, "lamhop")
    criterion = _criterion(draft)
    nfd = "Theo QĐ của UBND xa\u0303 La\u0302m Ho\u031b\u0323p"
    assert _edit(client, draft, **{f"c{criterion.pk}-note": nfd}).status_code == 302
    assert CriterionResult.objects.get(assessment=draft, criterion=criterion).note == nfd


# -- Evidence ---------------------------------------------------------------------------------


def _upload(client, assessment, **fields):
    data = {
        "criterion": _criterion(assessment).pk,
        "title": "Quyết định phê duyệt quy hoạch",
        "document_number": "123/QĐ-UBND",
        "document_date": "2019-05-02",
        "file": SimpleUploadedFile("qd.pdf", PDF),
        **fields,
    }
    return client.post(reverse("criteria:evidence_add", args=[assessment.pk]), data)


EVIDENCE_CASES = {
    "title-301": ({"title": "x" * 301}, "at most 300 characters (it has 301)"),
    "title-10k": ({"title": TEN_THOUSAND}, "at most 300 characters (it has 10000)"),
    "title-empty": ({"title": ""}, "This field is required"),
    **{
        f"title-{name}": ({"title": value}, "Write it in visible characters")
        for name, value in INVISIBLE.items()
    },
    "number-61": ({"document_number": "x" * 61}, "at most 60 characters (it has 61)"),
    **{
        f"date-{name}": ({"document_date": value}, "Enter a valid date")
        for name, value in BAD_DATES.items()
    },
    "date-year-9999": ({"document_date": "9999-12-31"}, "cannot be in the future"),
    "date-tomorrow": ({"document_date": TOMORROW}, "cannot be in the future"),
    "criterion-not-a-number": ({"criterion": "abc"}, "Select a valid choice"),
    "criterion-huge": ({"criterion": str(2**63)}, "Select a valid choice"),
    "criterion-missing": ({"criterion": "999999999"}, "Select a valid choice"),
    "criterion-of-another-set": ("other-set", "Select a valid choice"),
    "no-file": ({"file": ""}, "This field is required"),
    "empty-file": ({"file": SimpleUploadedFile("qd.pdf", b"")}, "The submitted file is empty"),
    "disguised-file": (
        {"file": SimpleUploadedFile("qd.pdf", b"MZ\x90\x00")},
        "does not match its name",
    ),
}


@pytest.mark.parametrize("case", EVIDENCE_CASES)
def test_evidence_refuses_malformed_input(client, draft, case):
    data, error = EVIDENCE_CASES[case]
    if data == "other-set":
        data = {"criterion": CriteriaSet.objects.get(code=NATIONAL_2016).criteria.first().pk}
    en(client, "lamhop")
    before = state(draft)
    response = _upload(client, draft, **data)
    assert response.status_code == 400
    assert escape(error) in text(response)
    assert state(draft) == before


def test_evidence_file_name_loses_its_nul_and_path(client, draft):
    en(client, "lamhop")
    response = _upload(client, draft, file=SimpleUploadedFile("../../q\x00d.pdf", PDF))
    assert response.status_code == 302
    assert Evidence.objects.get(assessment=draft).original_name == "qd.pdf"


# -- Workflow steps with a form: return, recognise, revoke ------------------------------------


def _act(client, assessment, action, **data):
    """Confirm ``action`` as its confirmation page does: with the dossier's current version."""
    data.setdefault("version", Assessment.objects.get(pk=assessment.pk).version)
    return client.post(reverse("criteria:assessment_action", args=[assessment.pk, action]), data)


REASON_CASES = {
    "empty": ("", "Say why the dossier is returned."),
    "4001": ("x" * 4001, "at most 4000 characters (it has 4001)"),
    "10k": (TEN_THOUSAND, "at most 4000 characters (it has 10000)"),
    **{
        name: (value, "Write the reason in visible characters") for name, value in INVISIBLE.items()
    },
    "replacement-characters": ("\ufffd\ufffd", "Write the reason in visible characters"),
}


@pytest.mark.parametrize("case", REASON_CASES)
def test_return_refuses_a_reason_without_visible_text(client, submitted, case):
    reason, error = REASON_CASES[case]
    en(client, "kyanh")
    before = state(submitted)
    response = _act(client, submitted, "return", reason=reason)
    assert response.status_code == 400
    field_error(response, error)
    assert state(submitted) == before


def test_a_lone_surrogate_in_form_data_arrives_as_a_replacement_character(client, submitted):
    """A surrogate cannot be sent as UTF-8: each of its bytes is decoded to U+FFFD, so "Thiếu"
    with one arrives as "Thiếu\ufffd\ufffd\ufffd" and is kept (it has visible characters)."""
    en(client, "kyanh")
    response = client.post(
        reverse("criteria:assessment_action", args=[submitted.pk, "return"]),
        f"version={submitted.version}&reason=Thi%E1%BA%BFu%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    event = AssessmentEvent.objects.filter(assessment=submitted).last()
    assert event.reason == "Thiếu\ufffd\ufffd\ufffd"


def test_a_surrogate_only_reason_is_refused(client, submitted):
    en(client, "kyanh")
    before = state(submitted)
    response = client.post(
        reverse("criteria:assessment_action", args=[submitted.pk, "return"]),
        f"version={submitted.version}&reason=%ED%A0%80%ED%B0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    field_error(response, "Write the reason in visible characters")
    assert state(submitted) == before


RECOGNITION_CASES = {
    "number-61": ({"decision_number": "x" * 61}, "at most 60 characters (it has 61)"),
    "number-10k": ({"decision_number": TEN_THOUSAND}, "at most 60 characters (it has 10000)"),
    "signer-201": ({"signer": "x" * 201}, "at most 200 characters (it has 201)"),
    **{
        f"number-{name}": ({"decision_number": value}, "Write it in visible characters")
        for name, value in INVISIBLE.items()
    },
    "signer-rtl": ({"signer": INVISIBLE["rtl-marks"]}, "Write it in visible characters"),
    **{
        f"date-{name}": ({"decided_on": value}, "Enter a valid date")
        for name, value in BAD_DATES.items()
    },
    "date-year-9999": ({"decided_on": "9999-12-31"}, "cannot be in the future"),
    "date-tomorrow": ({"decided_on": TOMORROW}, "cannot be in the future"),
    "date-before-the-assessment": (
        {"decided_on": "2020-10-14"},
        "cannot be dated before the assessment",
    ),
}


@pytest.mark.parametrize("case", RECOGNITION_CASES)
def test_recognise_refuses_malformed_input(client, appraised, case):
    data, error = RECOGNITION_CASES[case]
    data = {
        "decision_number": "12/QĐ-UBND",
        "decided_on": "2020-12-20",
        "signer": "Đặng Quốc Vinh",
        **data,
    }
    en(client, "hatinh")
    before = state(appraised)
    response = _act(client, appraised, "recognise", **data)
    assert response.status_code == 400
    assert escape(error) in text(response)
    assert state(appraised) == before


REVOKE_CASES = {
    **{
        f"date-{name}": ({"revoked_on": value}, "Enter a valid date")
        for name, value in BAD_DATES.items()
    },
    "date-year-9999": ({"revoked_on": "9999-12-31"}, "cannot be in the future"),
    "date-before-the-decision": (
        {"revoked_on": "2020-12-19"},
        "cannot be dated before the decision",
    ),
    "reason-4001": ({"reason": "x" * 4001}, "at most 4000 characters (it has 4001)"),
    **{
        f"reason-{name}": ({"reason": value}, "Write the reason in visible characters")
        for name, value in INVISIBLE.items()
    },
}


@pytest.mark.parametrize("case", REVOKE_CASES)
def test_revoke_refuses_malformed_input(client, recognition, case):
    data, error = REVOKE_CASES[case]
    data = {"revoked_on": "2024-01-15", "reason": "Không duy trì tiêu chí 17", **data}
    en(client, "hatinh")
    before = state(recognition.assessment)
    response = client.post(reverse("criteria:recognition_revoke", args=[recognition.pk]), data)
    assert response.status_code == 400
    assert escape(error) in text(response)
    assert state(recognition.assessment) == before


# -- Stale and out-of-order transitions -------------------------------------------------------

STALE = "This step is no longer possible"


def test_submitting_twice_is_a_409_the_second_time(client, draft):
    workflow.save_draft(
        user=user("lamhop"),
        assessment=draft,
        expected_version=draft.version,
        results=all_met(draft),
        values={},
    )
    en(client, "lamhop")
    assert _act(client, draft, "submit").status_code == 302
    before = state(draft)
    response = _act(client, draft, "submit")
    assert response.status_code == 409
    assert STALE in text(response)
    assert state(draft) == before


@pytest.mark.parametrize(
    ("dossier", "who", "action", "data"),
    [
        ("returned", "kyanh", "verify", {}),
        ("returned", "kyanh", "return", {"reason": "Lần nữa"}),
        ("verified", "kyanh", "verify", {}),
        ("verified", "kyanh", "return", {"reason": "Muộn"}),
        ("draft", "kyanh", "verify", {}),
        ("submitted", "hatinh", "appraise", {}),
        ("returned", "hatinh", "appraise", {}),
        ("appraised", "hatinh", "appraise", {}),
        ("verified", "hatinh", "recognise", {"decision_number": "1", "signer": "A"}),
        ("returned", "lamhop", "submit", None),  # accepted: a returned dossier goes back up
        ("recognition", "hatinh", "return", {"reason": "Sau quyết định"}),
        ("recognition", "hatinh", "recognise", {"decision_number": "2", "signer": "B"}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_step_in_the_wrong_state_is_a_409(client, request, dossier, who, action, data):
    assessment = request.getfixturevalue(dossier)
    if dossier == "recognition":
        assessment = assessment.assessment
    if data is None:
        # The one legal case in the list, so that the list is known to reach the services.
        en(client, who)
        assert _act(client, assessment, action).status_code == 302
        return
    data = {"decided_on": "2020-12-20", **data}
    en(client, who)
    before = state(assessment)
    response = _act(client, assessment, action, **data)
    assert response.status_code == 409
    assert STALE in text(response)
    assert state(assessment) == before


def test_revoking_twice_is_a_409(client, recognition):
    en(client, "hatinh")
    url = reverse("criteria:recognition_revoke", args=[recognition.pk])
    data = {"revoked_on": "2024-01-15", "reason": "Không duy trì"}
    assert client.post(url, data).status_code == 302
    before = state(recognition.assessment)
    response = client.post(url, data)
    assert response.status_code == 409
    assert "already revoked" in text(response)
    assert state(recognition.assessment) == before


@pytest.mark.parametrize("action", ["approve", "delete", "verify%00", "x" * 200])
def test_an_unknown_action_is_not_found(client, submitted, action):
    en(client, "kyanh")
    before = state(submitted)
    response = client.post(f"/criteria/assessments/{submitted.pk}/{action}/")
    assert response.status_code in (400, 404)
    assert state(submitted) == before


# -- Comparing two assessments (GET) ----------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    ["abc", str(2**63), "-1", "1.5", "\u200b", TEN_THOUSAND, "another-commune"],
)
def test_compare_refuses_an_assessment_that_is_not_in_the_timeline(client, draft, first):
    if first == "another-commune":
        first = str(Assessment.objects.exclude(commune__code=LAM_HOP).first().pk)
    en(client, "lamhop")
    response = client.get(
        reverse("criteria:commune_history", args=[LAM_HOP]),
        {"first": first, "second": draft.pk},
    )
    assert response.status_code == 400
    field_error(response, "Select a valid choice")
