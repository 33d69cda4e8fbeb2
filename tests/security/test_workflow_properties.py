"""Property tests of the workflow services (criteria.workflow): any sequence of steps, by any
persona, with any reason, leaves the dossier valid and its audit trail consistent, and a step
that is refused changes nothing."""

import datetime
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from communes.enums import AssessmentStatus as S
from communes.enums import EventAction, ResultStatus, Role
from communes.models import Commune
from criteria import workflow
from criteria.models import Assessment, AssessmentEvent, CriteriaSet, Recognition
from criteria.services import AssessmentError
from criteria.workflow import CriterionInput, WorkflowError
from tests.factories import legacy_unit, make_district, make_user

# Hypothesis caches Unicode tables in a .hypothesis/ directory; keep it out of the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ntm-portal-hypothesis")

pytestmark = pytest.mark.django_db
User = get_user_model()
HATINH_SET = "HATINH_NTM_XA_2017_2020"
LAM_HOP = "18838"
PERSONAS = ["lamhop", "kyanh", "hatinh", "outsider", "admin"]
ACTIONS = ["start", "save", "submit", "return", "verify", "appraise", "recognise", "revoke"]

# What a tired official, a copy-paste from Word or a hostile client may send as a reason.
EDGE_TEXT = [
    "",
    " ",
    "\t\n ",
    "Thiếu biên bản thẩm tra tiêu chí 17",
    "Thie\u0302\u0301u ho\u0302\u0300 so\u031b",  # combining diacritics (NFD)
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d\ufeff",  # zero-width characters only
    "\u200f\u202e",  # right-to-left marks only
    "\u202eThiếu hồ sơ",  # right-to-left override, then text
    "x" * 5000,
]
# NUL is left out: the forms refuse it (ProhibitNullCharactersValidator) and PostgreSQL cannot
# store it.
texts = st.one_of(
    st.sampled_from(EDGE_TEXT),
    st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=30),
)
# Who may take each step: drawn more often than the others, so that sequences get far along
# the workflow instead of being refused at the first step.
RIGHTFUL = {
    "start": "lamhop",
    "save": "lamhop",
    "submit": "lamhop",
    "return": "kyanh",
    "verify": "kyanh",
    "appraise": "hatinh",
    "recognise": "hatinh",
    "revoke": "hatinh",
}
step = st.sampled_from(ACTIONS).flatmap(
    lambda action: st.tuples(
        st.just(action),
        st.sampled_from(PERSONAS + [RIGHTFUL[action]] * 5 + ["hatinh"] * (action == "return")),
        texts,
        st.integers(min_value=-30, max_value=120),  # decision date, days after the assessment
    )
)
# Sequences often begin with the first steps of the usual path (submit, verify, appraise,
# recognise), so the random steps after them also act on dossiers deep in the workflow.
USUAL_PATH = [
    ("submit", "lamhop", "", 0),
    ("verify", "kyanh", "", 0),
    ("appraise", "hatinh", "", 0),
    ("recognise", "hatinh", "12/QĐ-UBND", 30),
]
steps = st.builds(
    lambda n, rest: USUAL_PATH[:n] + rest,
    st.integers(min_value=0, max_value=len(USUAL_PATH)),
    st.lists(step, max_size=12),
)


@pytest.fixture
def people():
    users = {u.username: u for u in User.objects.filter(username__in=PERSONAS)}
    users["outsider"] = make_user("outsider", role=Role.DISTRICT_OFFICE, unit=make_district())
    return users


def state(assessment):
    """Everything a refused step must leave as it was."""
    assessment = Assessment.objects.get(pk=assessment.pk)
    return (
        assessment.status,
        assessment.version,
        list(assessment.events.values_list("pk", flat=True)),
        list(assessment.results.order_by("criterion_id").values_list("criterion_id", "status")),
        list(
            Recognition.objects.filter(assessment=assessment).values_list(
                "pk", "decision_number", "revoked_on", "revocation_reason"
            )
        ),
        Assessment.objects.count(),
    )


def take(action, user, assessment, text, days):
    """One step through the services, as a view would call it."""
    if action == "start":
        return workflow.start_assessment(
            user=user,
            unit=legacy_unit(Commune, LAM_HOP),
            criteria_set=assessment.criteria_set,
            assessed_on=assessment.assessed_on + datetime.timedelta(days=days),
        )
    if action == "save":
        current = Assessment.objects.get(pk=assessment.pk)
        results = {
            c.pk: CriterionInput(ResultStatus.MET if days % 3 else ResultStatus.NOT_MET, text)
            for c in current.criteria_set.criteria.all()
        }
        return workflow.save_draft(
            user=user,
            assessment=current,
            expected_version=current.version - (1 if days < 0 else 0),
            results=results,
            values={},
            notes=text,
        )
    if action == "submit":
        return workflow.submit(user=user, assessment=assessment)
    if action == "return":
        return workflow.return_dossier(user=user, assessment=assessment, reason=text)
    if action == "verify":
        return workflow.verify(user=user, assessment=assessment)
    if action == "appraise":
        return workflow.appraise(user=user, assessment=assessment)
    if action == "recognise":
        return workflow.recognise(
            user=user,
            assessment=assessment,
            decision_number=text[:60],
            decided_on=assessment.assessed_on + datetime.timedelta(days=days),
            signer=text[:200],
        )
    recognition = Recognition.objects.filter(assessment=assessment).first()
    if recognition is None:
        return None
    return workflow.revoke_recognition(
        user=user,
        recognition=recognition,
        revoked_on=recognition.decided_on + datetime.timedelta(days=days),
        reason=text,
    )


def assert_valid(assessment):
    assessment = Assessment.objects.get(pk=assessment.pk)
    assert assessment.status in S.values
    events = list(assessment.events.order_by("created_at", "pk"))
    # The trail is a chain: it starts at the creation, each step starts where the one before
    # ended, and it ends at the current status. So each status change has exactly one event.
    assert events[0].action == EventAction.CREATED
    assert (events[0].from_status, events[0].to_status) == ("", S.DRAFT)
    for before, after in zip(events, events[1:], strict=False):
        assert after.from_status == before.to_status
        assert after.from_status != after.to_status
    assert events[-1].to_status == assessment.status
    for event in events:
        if event.action == EventAction.RETURNED:
            assert event.reason.strip()
    recognitions = Recognition.objects.filter(assessment=assessment)
    assert recognitions.count() <= 1
    if assessment.status == S.RECOGNISED:
        assert events[-1].action == EventAction.RECOGNISED
        assert events[-1].from_status == S.APPRAISED
        assert recognitions.count() == 1
    else:
        assert recognitions.count() == 0
    for recognition in recognitions:
        assert recognition.decision_number.strip() and recognition.signer.strip()
        assert recognition.decided_on >= assessment.assessed_on
        if recognition.revoked_on:
            assert recognition.revocation_reason.strip()
            assert recognition.revoked_on >= recognition.decided_on


@settings(
    max_examples=60,
    deadline=None,
    database=None,  # no example database: every run draws afresh, and writes nothing
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_any_sequence_of_steps_leaves_the_dossier_valid(people, steps):
    # Each example runs in its own savepoint, rolled back at the end: examples do not see
    # each other's dossiers.
    with transaction.atomic():
        dossier = workflow.start_assessment(
            user=people["lamhop"],
            unit=legacy_unit(Commune, LAM_HOP),
            criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
            assessed_on=datetime.date(2020, 10, 1),
        )
        for action, who, text, days in steps:
            before = state(dossier)
            events_before = AssessmentEvent.objects.count()
            try:
                # A savepoint per step, as each service has: a refused step rolls back alone.
                with transaction.atomic():
                    take(action, people[who], dossier, text, days)
            except (WorkflowError, AssessmentError):
                assert state(dossier) == before, f"{action} by {who} was refused but wrote"
                assert AssessmentEvent.objects.count() == events_before
            else:
                after = state(dossier)
                if after[0] != before[0]:
                    # A status change comes with exactly one new event, by this user.
                    new = AssessmentEvent.objects.filter(assessment=dossier).exclude(
                        pk__in=before[2]
                    )
                    assert new.count() == 1
                    assert new.get().actor == people[who]
            assert_valid(dossier)
        transaction.set_rollback(True)


# Found with the property tests' edge cases: a reason of zero-width or direction characters
# alone is invisible to the commune, so it counts as no reason.
@pytest.mark.parametrize("reason", ["\u200b", "\u200f\u202e", "\ufeff"])
def test_return_refuses_a_reason_with_no_visible_character(people, reason):
    dossier = workflow.start_assessment(
        user=people["lamhop"],
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 10, 1),
    )
    dossier = workflow.submit(user=people["lamhop"], assessment=dossier)
    with pytest.raises(WorkflowError):
        workflow.return_dossier(user=people["kyanh"], assessment=dossier, reason=reason)
