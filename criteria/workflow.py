"""The recognition workflow: the commune self-assesses and submits, the district verifies
(thẩm tra), the province appraises (thẩm định) and records the recognition decision.

Every transition is a service function that checks the actor's role and the dossier's state
itself (views only translate the outcome into a response), runs in one transaction, locks the
dossier row so two reviewers cannot act on it at once, records an AssessmentEvent, and
notifies whoever must act next by email. Each docstring lists its side effects.
"""

from __future__ import annotations

import datetime
import mimetypes
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Prefetch
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communes.enums import AssessmentStatus, EventAction, ResultStatus, Role
from communes.models import Commune, Membership, Village
from communes.selectors import membership_for, scope_for
from communes.text import visible_text
from ntm_portal import jobs

from .enums import IndicatorKind
from .models import (
    Assessment,
    AssessmentEvent,
    ConditionCheck,
    CriteriaSet,
    CriterionResult,
    Evidence,
    Indicator,
    IndicatorValue,
    Recognition,
    RecognitionCondition,
    unit_filter,
)
from .services import check_assessment_fits, closed_unit_refusal
from .thresholds import applicable_thresholds, reaches

S = AssessmentStatus


class WorkflowError(Exception):
    """A step that cannot be taken. ``kind`` says why, so a view can answer with the right
    status: "forbidden" (403: wrong role), "state" (409: the dossier moved on, e.g. a stale
    form) or "invalid" (400: e.g. a return without a reason)."""

    def __init__(self, message: str, *, kind: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.kind = kind


class ConcurrentEditError(WorkflowError):
    def __init__(self, message: str):
        super().__init__(message, kind="state")


# --- Who may do what -----------------------------------------------------------------------


def commune_of(assessment: Assessment) -> Commune | None:
    if assessment.commune_id:
        return assessment.commune
    if assessment.village_id:
        return assessment.village.commune
    return None


def has_district_tier(assessment: Assessment) -> bool:
    """Verification is skipped where no district exists on the assessment's date (communes
    since 01/07/2025 have none) or no longer exists today: a district office's membership
    ends with its district on 30/06/2025 (Membership.valid_to), so a dossier still waiting
    for a closed district goes to the provincial office instead of waiting for nobody."""
    commune = commune_of(assessment)
    return (
        commune is not None
        and commune.district_id is not None
        and commune.district.is_valid_on(assessment.assessed_on)
        and commune.district.is_valid_on(timezone.localdate())
    )


def _reviewer_refusal(user, message: str) -> WorkflowError:
    """403 for a reviewer who may not act; a district office whose membership ended is told
    why (it still reads what it held)."""
    membership = membership_for(user)
    if membership is not None and membership.has_ended:
        message = _(
            "%(unit)s existed until %(day)s: its coordination office still reads the dossiers "
            "it held, but no longer acts on them. The provincial coordination office reviews "
            "them now."
        ) % {"unit": membership.unit, "day": f"{membership.valid_to:%d/%m/%Y}"}
    return WorkflowError(message, kind="forbidden")


def is_commune_official_for(user, assessment: Assessment) -> bool:
    commune = commune_of(assessment)
    scope = scope_for(user)
    return (
        commune is not None
        and scope.role == Role.COMMUNE_OFFICIAL
        and scope.commune_id == commune.pk
    )


def is_district_office_for(user, assessment: Assessment) -> bool:
    commune = commune_of(assessment)
    scope = scope_for(user)
    return (
        commune is not None
        and commune.district_id is not None
        and scope.role == Role.DISTRICT_OFFICE
        and scope.district_id == commune.district_id
        and has_district_tier(assessment)
    )


def is_province_office_for(user, assessment: Assessment) -> bool:
    commune = commune_of(assessment)
    province_id = commune.province_id if commune else assessment.district.province_id
    scope = scope_for(user)
    return scope.role == Role.PROVINCE_OFFICE and scope.province_id == province_id


def next_actor_label(assessment: Assessment) -> str:
    """Who acts next, in words, for locked pages and the inbox."""
    status = assessment.status
    if status in (S.DRAFT, S.RETURNED):
        return _("the commune")
    if status == S.SUBMITTED and has_district_tier(assessment):
        return _("the district coordination office")
    if status in (S.SUBMITTED, S.VERIFIED, S.APPRAISED):
        return _("the provincial coordination office")
    return ""


def lock_reason(assessment: Assessment) -> str:
    """Why the commune can no longer edit, and who can reopen it, in plain words."""
    submitted = assessment.events.filter(action=EventAction.SUBMITTED).last()
    day = f"{timezone.localtime(submitted.created_at):%d/%m/%Y}" if submitted else ""
    if assessment.status == S.SUBMITTED and has_district_tier(assessment):
        return _(
            "The dossier was sent to the district for verification on %(day)s. Only the "
            "district coordination office can return it to the commune for changes."
        ) % {"day": day}
    if assessment.status == S.SUBMITTED:
        return _(
            "The dossier was sent to the province for appraisal on %(day)s. Only the provincial "
            "coordination office can return it to the commune for changes."
        ) % {"day": day}
    if assessment.status == S.VERIFIED:
        return _(
            "The district verified the dossier; it awaits the province's appraisal. Only the "
            "provincial coordination office can return it to the commune."
        )
    if assessment.status == S.APPRAISED:
        return _("The province appraised the dossier; it awaits the recognition decision.")
    if assessment.status == S.RECOGNISED:
        return _("The dossier is closed: the recognition decision has been issued.")
    if assessment.status == S.APPROVED:
        return _("This is approved historical data; only an administrator can change it.")
    if assessment.status == S.REPORTED:
        return _(
            "These figures were reported by the unit (from a public source) and never verified "
            "by a district; they are not a dossier in the workflow."
        )
    return ""


# --- Notifications -------------------------------------------------------------------------


def _recipients(assessment: Assessment, role: str) -> list[str]:
    commune = commune_of(assessment)
    members = Membership.objects.filter(role=role, user__is_active=True).exclude(user__email="")
    if role == Role.COMMUNE_OFFICIAL:
        members = members.filter(commune=commune)
    elif role == Role.DISTRICT_OFFICE:
        members = members.filter(district_id=commune.district_id if commune else None)
    else:
        province_id = commune.province_id if commune else assessment.district.province_id
        members = members.filter(province_id=province_id)
    return sorted(members.values_list("user__email", flat=True))


def _notify(assessment: Assessment, role: str, subject: str, body: str) -> None:
    recipients = _recipients(assessment, role)
    if not recipients:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("criteria:assessment", args=[assessment.pk])
    open_label = _("Open the dossier")
    message = f"{body}\n\n{open_label}: {link}\n"
    # After commit: no mail goes out for a transition that was rolled back. With a job queue
    # (JOBS_REDIS_URL) a worker sends it, so a slow mail server never holds up the page.
    transaction.on_commit(
        lambda: jobs.enqueue_or_run(
            send_mail, str(subject), message, settings.DEFAULT_FROM_EMAIL, recipients
        )
    )


def _record(assessment, action, from_status, actor, reason="") -> AssessmentEvent:
    return AssessmentEvent.objects.create(
        assessment=assessment,
        action=action,
        from_status=from_status,
        to_status=assessment.status,
        actor=actor,
        reason=reason,
    )


def _locked(assessment: Assessment) -> Assessment:
    """Re-read the dossier under a row lock (a no-op on SQLite, whose IMMEDIATE transactions
    already serialise writers)."""
    return (
        # of=("self",): lock only the dossier row; PostgreSQL refuses FOR UPDATE on the
        # nullable side of the outer joins that select_related adds.
        Assessment.objects.select_for_update(of=("self",))
        .select_related("commune__district", "village__commune", "district", "criteria_set")
        .get(pk=assessment.pk)
    )


def _expect(assessment: Assessment, allowed: tuple[str, ...]) -> None:
    if assessment.status not in allowed:
        raise WorkflowError(
            _("This step is no longer possible: the dossier is now “%(status)s”.")
            % {"status": assessment.get_status_display()},
            kind="state",
        )


# --- Commune: start, edit, submit --------------------------------------------------------------


@transaction.atomic
def start_assessment(
    *, user, unit, criteria_set: CriteriaSet, assessed_on: datetime.date, copy_previous=True
) -> Assessment:
    """Start a draft assessment of the official's own commune.

    Side effects: creates an Assessment (DRAFT, author=user); when ``copy_previous``, copies the
    results and indicator values of the unit's latest assessment against the same set, so only
    changes need entering; records a CREATED event.
    """
    commune = unit if isinstance(unit, Commune) else getattr(unit, "commune", None)
    scope = scope_for(user)
    if scope.role != Role.COMMUNE_OFFICIAL or commune is None or scope.commune_id != commune.pk:
        raise WorkflowError(
            _("Only the commune's own officials start its assessments."), kind="forbidden"
        )
    # A commune closed by the 2025 merger is not assessed for dates after it: its successor is.
    if refusal := closed_unit_refusal(unit, assessed_on):
        raise WorkflowError(refusal, kind="state")
    check_assessment_fits(
        unit=unit, criteria_set=criteria_set, assessed_on=assessed_on, allow_outside_period=False
    )
    previous = (
        Assessment.objects.filter(unit_filter(unit), criteria_set=criteria_set)
        .order_by("-assessed_on", "-pk")
        .first()
    )
    assessment = Assessment(
        criteria_set=criteria_set, assessed_on=assessed_on, status=S.DRAFT, author=user
    )
    assessment.unit = unit
    assessment.save()
    if copy_previous and previous is not None:
        bulk_create_with_history(
            [
                CriterionResult(
                    assessment=assessment, criterion_id=r.criterion_id, status=r.status, note=r.note
                )
                for r in previous.results.all()
            ],
            CriterionResult,
            default_user=user,
        )
        bulk_create_with_history(
            [
                IndicatorValue(
                    assessment=assessment,
                    indicator_id=v.indicator_id,
                    value_number=v.value_number,
                    value_bool=v.value_bool,
                    is_met=v.is_met,
                    note=v.note,
                )
                for v in previous.indicator_values.all()
            ],
            IndicatorValue,
            default_user=user,
        )
    _record(assessment, EventAction.CREATED, "", user)
    return assessment


# What IndicatorValue.value_number holds: numeric(14, 4), so below 10^10, 4 decimals at most.
# A larger value passed a check of "at most 10^12" and was a 500 on PostgreSQL.
VALUE_LIMIT = Decimal(10) ** 10
VALUE_DECIMALS = 4


def value_fits(number: Decimal) -> bool:
    return (
        number.is_finite()
        and 0 <= number < VALUE_LIMIT
        and number.normalize().as_tuple().exponent >= -VALUE_DECIMALS
    )


@dataclass
class IndicatorInput:
    number: Decimal | None = None
    flag: bool | None = None
    note: str = ""


@dataclass
class CriterionInput:
    status: str | None = None
    note: str = ""


@dataclass
class Disagreement:
    criterion_id: int
    message: str


def disagreements(assessment, results: dict[int, CriterionInput], met: dict[int, bool | None]):
    """Criteria whose chosen status contradicts what the indicator values show: "met" while an
    indicator misses its threshold, or "not met" while every indicator reaches it."""
    by_criterion: dict[int, list[bool | None]] = {}
    for indicator in assessment.criteria_set.criteria.values_list("pk", "indicators__pk"):
        criterion_id, indicator_id = indicator
        if indicator_id is not None:
            by_criterion.setdefault(criterion_id, []).append(met.get(indicator_id))
    found = []
    for criterion_id, chosen in results.items():
        outcomes = by_criterion.get(criterion_id, [])
        if chosen.status == ResultStatus.MET and False in outcomes:
            found.append(
                Disagreement(
                    criterion_id,
                    _("Marked met, but an indicator does not reach its threshold."),
                )
            )
        if chosen.status == ResultStatus.NOT_MET and outcomes and all(o is True for o in outcomes):
            found.append(
                Disagreement(
                    criterion_id, _("Marked not met, but every indicator reaches its threshold.")
                )
            )
    return found


def submit_blockers(assessment: Assessment) -> list[str]:
    """What stops the commune from submitting its dossier, in plain words; empty when it may.
    A result for every criterion; no criterion whose result contradicts its indicator values
    without a note explaining it; no criterion marked met with an indicator left empty whose
    threshold applies to the commune (unless a note explains it). Four queries."""
    criteria_set = assessment.criteria_set
    criteria = list(
        criteria_set.criteria.order_by("number").prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("order", "code"))
        )
    )
    results = {r.criterion_id: r for r in assessment.results.all()}
    values = {v.indicator_id: v for v in assessment.indicator_values.all()}
    thresholds = applicable_thresholds(criteria_set, assessment.unit, assessment.assessed_on)
    blockers = []
    missing = [str(c.number) for c in criteria if c.pk not in results]
    if missing:
        blockers.append(
            _("Give a result for every criterion before submitting (missing: %(numbers)s).")
            % {"numbers": ", ".join(missing)}
        )
    entered = {pk: CriterionInput(r.status, r.note) for pk, r in results.items()}
    met = {pk: v.is_met for pk, v in values.items()}
    by_pk = {c.pk: c for c in criteria}
    for found in disagreements(assessment, entered, met):
        if not entered[found.criterion_id].note.strip():
            blockers.append(
                _("Criterion %(number)s: %(problem)s Confirm it with a note or correct it.")
                % {"number": by_pk[found.criterion_id].number, "problem": found.message}
            )
    for criterion in criteria:
        result = results.get(criterion.pk)
        if result is None or result.status != ResultStatus.MET or result.note.strip():
            continue
        empty = [
            i.code
            for i in criterion.indicators.all()
            if decidable(i, thresholds.get(i.pk))
            and (i.pk not in values or values[i.pk].is_met is None)
        ]
        if empty:
            blockers.append(
                _(
                    "Criterion %(number)s is marked met, but indicators %(codes)s have a "
                    "threshold and no value: enter them, or explain in a note."
                )
                % {"number": criterion.number, "codes": ", ".join(empty)}
            )
    return blockers


def decidable(indicator: Indicator, threshold) -> bool:
    """Whether a value of ``indicator`` can be judged against ``threshold`` (the one that
    applies to the commune): a number against a numeric threshold, or a yes/no against a
    threshold the set states."""
    if threshold is None:
        return False
    if indicator.kind == IndicatorKind.NUMERIC:
        return threshold.value is not None
    return indicator.comparison in ("yes", "no")


@transaction.atomic
def save_draft(
    *,
    user,
    assessment: Assessment,
    expected_version: int,
    results: dict[int, CriterionInput],
    values: dict[int, IndicatorInput],
    notes: str | None = None,
) -> Assessment:
    """Save the commune's draft exactly as entered.

    ``results`` maps criterion id -> CriterionInput, ``values`` indicator id -> IndicatorInput.
    Side effects: updates or creates CriterionResult and IndicatorValue rows (with history),
    computes each indicator's ``is_met`` from the threshold that applies to the commune where
    that can be decided, and bumps the assessment's version. Raises ConcurrentEditError when
    someone saved since ``expected_version`` (nothing is written). A draft always saves what
    it contains: a status contradicting the indicators, a missing value or a missing result
    blocks *submitting* (``submit_blockers``), never saving, so nothing typed is lost.
    """
    if not is_commune_official_for(user, assessment):
        raise WorkflowError(
            _("Only the commune's own officials edit its drafts."), kind="forbidden"
        )
    current = _locked(assessment)
    _expect(current, (S.DRAFT, S.RETURNED))
    # Optimistic locking: the version the form was built from must still be the newest.
    updated = Assessment.objects.filter(pk=current.pk, version=expected_version).update(
        version=F("version") + 1,
        updated_at=timezone.now(),
        **({"notes": notes} if notes is not None else {}),
    )
    if not updated:
        raise ConcurrentEditError(
            _(
                "Someone else saved this dossier while you were editing it. Your changes were "
                "not saved: reopen the dossier to see the newest version, then enter them again."
            )
        )
    criteria = {c.pk: c for c in current.criteria_set.criteria.all()}
    if set(results) - set(criteria):
        raise WorkflowError(_("The form lists a criterion that is not in this set."))
    indicators = {
        i.pk: i for i in Indicator.objects.filter(criterion__criteria_set=current.criteria_set)
    }
    if set(values) - set(indicators):
        raise WorkflowError(_("The form lists an indicator that is not in this set."))
    for value in values.values():
        if value.number is not None and not value_fits(value.number):
            raise WorkflowError(
                _("Indicator values must be between 0 and 9,999,999,999.9999 (4 decimals).")
            )
    thresholds = applicable_thresholds(current.criteria_set, current.unit, current.assessed_on)
    met = {
        pk: reaches(indicators[pk], thresholds.get(pk), number=v.number, flag=v.flag)
        for pk, v in values.items()
    }
    # Bulk writes, each with its history rows: a full draft was 19 UPDATEs and 19 history
    # INSERTs one by one. They send no signals, so record no report change (reports.cache):
    # a draft is not public, and no report reads it.
    existing_results = {r.criterion_id: r for r in current.results.all()}
    to_delete, to_create, to_update = [], [], []
    for criterion_id, entered in results.items():
        row = existing_results.get(criterion_id)
        if entered.status is None:
            if row is not None:
                to_delete.append(row.pk)
            continue
        if row is None:
            to_create.append(
                CriterionResult(
                    assessment=current,
                    criterion_id=criterion_id,
                    status=entered.status,
                    note=entered.note,
                )
            )
        elif (row.status, row.note) != (entered.status, entered.note):
            row.status, row.note = entered.status, entered.note
            to_update.append(row)
    if to_delete:
        # Row by row, so that each deletion gets its history row (post_delete).
        CriterionResult.objects.filter(pk__in=to_delete).delete()
    if to_create:
        bulk_create_with_history(to_create, CriterionResult, default_user=user)
    if to_update:
        _update_results(to_update)
        CriterionResult.history.bulk_history_create(to_update, update=True, default_user=user)
    existing_values = {v.indicator_id: v for v in current.indicator_values.all()}
    new_values, changed_values = [], []
    for indicator_id, entered in values.items():
        indicator = indicators[indicator_id]
        number = entered.number if indicator.kind == IndicatorKind.NUMERIC else None
        flag = entered.flag if indicator.kind == IndicatorKind.BOOLEAN else None
        row = existing_values.get(indicator_id)
        fields = {
            "value_number": number,
            "value_bool": flag,
            "is_met": met[indicator_id],
            "note": entered.note,
        }
        if row is None:
            if number is None and flag is None and not entered.note:
                continue
            new_values.append(
                IndicatorValue(assessment=current, indicator_id=indicator_id, **fields)
            )
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            changed_values.append(row)
    if new_values:
        bulk_create_with_history(new_values, IndicatorValue, default_user=user)
    if changed_values:
        bulk_update_with_history(
            changed_values,
            IndicatorValue,
            ["value_number", "value_bool", "is_met", "note"],
            default_user=user,
        )
    current.refresh_from_db()
    return current


def _update_results(rows: list[CriterionResult]) -> None:
    """Write the rows' status and note in one UPDATE ... FROM (VALUES ...) (PostgreSQL, and
    SQLite since 3.33). QuerySet.bulk_update wrote the same single statement as a CASE WHEN
    per row and field, whose expressions took a fifth of a full draft's save to compile.
    Like bulk_update, it sends no signals (see save_draft)."""
    meta, quote = CriterionResult._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    pk, status, note = (quote(meta.get_field(f).column) for f in ("id", "status", "note"))
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params = [p for row in rows for p in (row.pk, row.status, row.note)]
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the model, values as parameters.
            f"UPDATE {table} SET {status} = v.column2, {note} = v.column3 "  # noqa: S608
            f"FROM (VALUES {values}) AS v WHERE {table}.{pk} = v.column1",
            params,
        )


EVIDENCE_SIGNATURES = {
    # content type: leading bytes
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),
    # Office Open XML and OpenDocument files are zip archives; legacy Office files are OLE.
    "application/zip": (b"PK\x03\x04",),
    "application/x-ole-storage": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
ALLOWED_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".docx": "application/zip",
    ".xlsx": "application/zip",
    ".pptx": "application/zip",
    ".odt": "application/zip",
    ".ods": "application/zip",
    ".doc": "application/x-ole-storage",
    ".xls": "application/x-ole-storage",
}


def check_evidence_file(uploaded) -> str:
    """The file's content type, checked by its content and not its name alone. Raises
    WorkflowError for a disallowed or disguised file, or one over EVIDENCE_MAX_BYTES."""
    name = uploaded.name or ""
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in ALLOWED_EXTENSIONS:
        raise WorkflowError(
            _("Evidence must be a PDF, an image (PNG, JPEG, WebP) or an office document.")
        )
    if uploaded.size > settings.EVIDENCE_MAX_BYTES:
        raise WorkflowError(
            _("The file is larger than %(limit)s.")
            % {"limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
        )
    if uploaded.size == 0:
        raise WorkflowError(_("The file is empty."))
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    family = ALLOWED_EXTENSIONS[suffix]
    if not any(head.startswith(sig) for sig in EVIDENCE_SIGNATURES[family]):
        raise WorkflowError(
            _("The file's content does not match its name (%(name)s).") % {"name": name}
        )
    if family == "image/webp" and head[8:12] != b"WEBP":
        raise WorkflowError(
            _("The file's content does not match its name (%(name)s).") % {"name": name}
        )
    return mimetypes.guess_type(name)[0] or family


@transaction.atomic
def add_evidence(
    *, user, assessment, criterion_id, uploaded, title, document_number="", document_date=None
) -> Evidence:
    """Attach an evidence file to one criterion of a draft.

    Side effects: stores the file through Django's storage under a random name, creates an
    Evidence row (with history).
    """
    if not is_commune_official_for(user, assessment):
        raise WorkflowError(_("Only the commune's own officials add evidence."), kind="forbidden")
    current = _locked(assessment)
    _expect(current, (S.DRAFT, S.RETURNED))
    if not current.criteria_set.criteria.filter(pk=criterion_id).exists():
        raise WorkflowError(_("The form lists a criterion that is not in this set."))
    content_type = check_evidence_file(uploaded)
    original = get_valid_filename(uploaded.name)[:255] or "file"
    return Evidence.objects.create(
        assessment=current,
        criterion_id=criterion_id,
        title=title,
        document_number=document_number,
        document_date=document_date,
        file=uploaded,
        original_name=original,
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=user,
    )


@transaction.atomic
def save_draft_with_evidence(
    *, user, assessment: Assessment, draft: dict, evidence: dict
) -> Evidence:
    """Save the draft as entered and attach one evidence file, together: an upload from the
    entry form never loses what was typed. ``draft`` holds ``save_draft``'s arguments
    (expected_version, results, values, notes), ``evidence`` ``add_evidence``'s.

    Side effects: those of ``save_draft`` and ``add_evidence``, both or neither (a refused
    file leaves the draft as it was)."""
    current = save_draft(user=user, assessment=assessment, **draft)
    return add_evidence(user=user, assessment=current, **evidence)


@transaction.atomic
def remove_evidence(*, user, evidence: Evidence) -> None:
    """Side effects: deletes the Evidence row (kept in history) and its stored file."""
    if not is_commune_official_for(user, evidence.assessment):
        raise WorkflowError(
            _("Only the commune's own officials remove evidence."), kind="forbidden"
        )
    _expect(_locked(evidence.assessment), (S.DRAFT, S.RETURNED))
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def submit(*, user, assessment: Assessment, expected_version: int | None = None) -> Assessment:
    """The commune sends its dossier up: to the district, or straight to the province where
    there is no district. Refused, writing nothing, while ``submit_blockers`` finds anything.
    Side effects: status SUBMITTED, a SUBMITTED event, an email to the
    next reviewers."""
    current = _locked(assessment)
    check_step(user, current, "submit", expected_version=expected_version)
    previous = current.status
    current.status = S.SUBMITTED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _record(current, EventAction.SUBMITTED, previous, user)
    reviewer = Role.DISTRICT_OFFICE if has_district_tier(current) else Role.PROVINCE_OFFICE
    _notify(
        current,
        reviewer,
        _("Dossier to review: %(unit)s") % {"unit": current.unit},
        _("%(unit)s submitted its assessment against “%(set)s” (%(date)s).")
        % {
            "unit": current.unit,
            "set": current.criteria_set.display_name,
            "date": f"{current.assessed_on:%d/%m/%Y}",
        },
    )
    return current


# --- The recognition rules: what a dossier must show before it is appraised or recognised -----


@dataclass
class ConditionLine:
    condition: RecognitionCondition
    check: ConditionCheck | None


@dataclass
class RecognitionGate:
    """What the set's rules say of a dossier on one day: every criterion "met" (not basically
    met, not blank, not a placeholder), the prerequisite title held that day, and every
    condition of the recognition procedure recorded as met. ``failures`` lists, in plain
    words, everything that stands in the way; empty means the dossier may go on."""

    criteria_total: int
    criteria_met: int
    criteria_basically_met: int
    failures: list[str]
    conditions: list[ConditionLine]

    @property
    def passes(self) -> bool:
        return not self.failures


def recognition_gate(assessment: Assessment, *, on: datetime.date) -> RecognitionGate:
    """Check ``assessment`` against its set's rules for a decision dated ``on``. Four
    queries (criteria, results, recognitions held, conditions with their checks)."""
    criteria_set = assessment.criteria_set
    criteria = list(criteria_set.criteria.order_by("number"))
    statuses = dict(assessment.results.values_list("criterion_id", "status"))
    failures = []
    met = basically = 0
    for criterion in criteria:
        status = statuses.get(criterion.pk)
        label = f"{criterion.number}. {criterion.name}"
        if criterion.is_placeholder:
            failures.append(
                _("Criterion %(criterion)s has no source text yet: it cannot be judged.")
                % {"criterion": label}
            )
        if status == ResultStatus.MET:
            met += 1 if not criterion.is_placeholder else 0
        elif status == ResultStatus.BASICALLY_MET:
            basically += 1
            failures.append(
                _("Criterion %(criterion)s is only basically met.") % {"criterion": label}
            )
        elif status == ResultStatus.NOT_MET:
            failures.append(_("Criterion %(criterion)s is not met.") % {"criterion": label})
        else:
            failures.append(_("Criterion %(criterion)s has no result.") % {"criterion": label})
    prerequisite = criteria_set.prerequisite
    if prerequisite is not None:
        held = (
            Recognition.objects.filter(unit_filter(assessment.unit), title=prerequisite.title)
            .active(on=on)
            .exists()
        )
        if not held:
            failures.append(
                _(
                    "The unit does not hold the title “%(title)s” on %(day)s, which this set "
                    "requires first."
                )
                % {"title": prerequisite.get_title_display(), "day": f"{on:%d/%m/%Y}"}
            )
    checks = {c.condition_id: c for c in assessment.condition_checks.all()}
    lines = []
    for condition in criteria_set.conditions.order_by("order", "code"):
        check = checks.get(condition.pk)
        lines.append(ConditionLine(condition, check))
        if check is None:
            failures.append(
                _("Condition not yet recorded: %(condition)s.") % {"condition": condition.name}
            )
        elif not check.is_met:
            failures.append(_("Condition not met: %(condition)s.") % {"condition": condition.name})
    return RecognitionGate(
        criteria_total=len(criteria),
        criteria_met=met,
        criteria_basically_met=basically,
        failures=failures,
        conditions=lines,
    )


def _enforce_gate(assessment: Assessment, *, on: datetime.date, refusal: str) -> None:
    gate = recognition_gate(assessment, on=on)
    if not gate.passes:
        raise WorkflowError(f"{refusal} {' '.join(gate.failures)}")


@dataclass
class ConditionInput:
    is_met: bool | None = None
    evidence: str = ""


def may_record_conditions(user, assessment: Assessment) -> bool:
    appraisable = (S.VERIFIED,) + (() if has_district_tier(assessment) else (S.SUBMITTED,))
    return is_province_office_for(user, assessment) and assessment.status in (
        *appraisable,
        S.APPRAISED,
    )


@transaction.atomic
def record_conditions(
    *, user, assessment: Assessment, checks: dict[int, ConditionInput]
) -> Assessment:
    """The province records the conditions of the recognition procedure (yes/no with the
    evidence) for a dossier it is appraising or about to recognise.

    ``checks`` maps condition id -> ConditionInput; ``is_met`` None clears the finding.
    Side effects: creates, updates or deletes ConditionCheck rows (with history). Raises
    WorkflowError, writing nothing, for a condition outside the set or a "yes" without
    evidence.
    """
    current = _locked(assessment)
    if not is_province_office_for(user, current):
        raise WorkflowError(
            _("Only the provincial coordination office records the recognition conditions."),
            kind="forbidden",
        )
    appraisable = (S.VERIFIED,) + (() if has_district_tier(current) else (S.SUBMITTED,))
    _expect(current, (*appraisable, S.APPRAISED))
    conditions = {c.pk: c for c in current.criteria_set.conditions.all()}
    if set(checks) - set(conditions):
        raise WorkflowError(_("The form lists a condition that is not in this set."))
    cleaned = {pk: ConditionInput(c.is_met, visible_text(c.evidence)) for pk, c in checks.items()}
    bare = [conditions[pk].name for pk, c in cleaned.items() if c.is_met and not c.evidence]
    if bare:
        raise WorkflowError(
            _("Say what each condition marked met rests on (evidence missing: %(names)s).")
            % {"names": "; ".join(bare)}
        )
    existing = {c.condition_id: c for c in current.condition_checks.all()}
    for pk, entered in cleaned.items():
        row = existing.get(pk)
        if entered.is_met is None:
            if row is not None:
                row.delete()
            continue
        if row is None:
            ConditionCheck.objects.create(
                assessment=current,
                condition_id=pk,
                is_met=entered.is_met,
                evidence=entered.evidence,
                checked_by=user,
            )
        elif (row.is_met, row.evidence) != (entered.is_met, entered.evidence):
            row.is_met, row.evidence, row.checked_by = entered.is_met, entered.evidence, user
            row.save()
    return current


# --- District and province: verify, appraise, return, recognise --------------------------------


@transaction.atomic
def return_dossier(
    *, user, assessment: Assessment, reason: str, expected_version: int | None = None
) -> Assessment:
    """A reviewer sends the dossier back to the commune, with a reason.

    Side effects: status RETURNED, a RETURNED event carrying the reason, an email to the
    commune's officials with the reason.
    """
    reason = visible_text(reason)
    current = _locked(assessment)
    check_step(user, current, "return", expected_version=expected_version)
    if not reason:
        raise WorkflowError(
            _("Say why the dossier is returned: the commune needs to know what to fix.")
        )
    previous = current.status
    current.status = S.RETURNED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _record(current, EventAction.RETURNED, previous, user, reason)
    _notify(
        current,
        Role.COMMUNE_OFFICIAL,
        _("Dossier returned: %(unit)s") % {"unit": current.unit},
        _("Your dossier was returned for changes. Reason: %(reason)s") % {"reason": reason},
    )
    return current


@transaction.atomic
def verify(*, user, assessment: Assessment, expected_version: int | None = None) -> Assessment:
    """The district verifies (thẩm tra). Side effects: status VERIFIED, an event, an email to
    the provincial office."""
    current = _locked(assessment)
    check_step(user, current, "verify", expected_version=expected_version)
    current.status = S.VERIFIED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _record(current, EventAction.VERIFIED, S.SUBMITTED, user)
    _notify(
        current,
        Role.PROVINCE_OFFICE,
        _("Dossier to appraise: %(unit)s") % {"unit": current.unit},
        _("The district verified the dossier of %(unit)s.") % {"unit": current.unit},
    )
    return current


@transaction.atomic
def appraise(*, user, assessment: Assessment, expected_version: int | None = None) -> Assessment:
    """The province appraises (thẩm định); where there is no district, straight from
    SUBMITTED. Refused, writing nothing, unless the dossier passes ``recognition_gate`` on
    the day of appraisal. Side effects: status APPRAISED, an event."""
    current = _locked(assessment)
    check_step(user, current, "appraise", expected_version=expected_version)
    previous = current.status
    current.status = S.APPRAISED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _record(current, EventAction.APPRAISED, previous, user)
    return current


@transaction.atomic
def recognise(
    *,
    user,
    assessment: Assessment,
    decision_number: str,
    decided_on: datetime.date,
    signer: str,
    expected_version: int | None = None,
) -> Recognition:
    """Record the chairman's recognition decision for an appraised dossier. Refused,
    writing nothing, unless the dossier passes ``recognition_gate`` on ``decided_on``.

    Side effects: status RECOGNISED, a Recognition of the set's title (with history), an
    event, an email to the commune's officials.
    """
    current = _locked(assessment)
    check_step(user, current, "recognise", expected_version=expected_version)
    decision_number, signer = visible_text(decision_number), visible_text(signer)
    if not decision_number or not signer or decided_on is None:
        raise WorkflowError(_("A recognition needs the decision number, its date and its signer."))
    if decided_on < current.assessed_on:
        raise WorkflowError(_("The decision cannot be dated before the assessment."))
    if decided_on > timezone.localdate():
        raise WorkflowError(_("The date cannot be in the future."))
    _enforce_gate(
        current, on=decided_on, refusal=_("The dossier cannot be recognised under the set's rules:")
    )
    commune = commune_of(current)
    province = commune.province if commune else current.district.province
    recognition = Recognition(
        title=current.criteria_set.title,
        criteria_set=current.criteria_set,
        assessment=current,
        decision_number=decision_number,
        decided_on=decided_on,
        signer=signer,
        # The issuing body; who signed (the chairman, or a vice-chairman for him) is the
        # signer as typed. "UBND tỉnh Hà Tĩnh": the kind is lower case inside a phrase.
        authority=_("People's Committee of %(province)s")
        % {"province": province.name[:1].lower() + province.name[1:]},
    )
    recognition.unit = current.unit
    recognition.save()
    current.status = S.RECOGNISED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _record(current, EventAction.RECOGNISED, S.APPRAISED, user)
    _notify(
        current,
        Role.COMMUNE_OFFICIAL,
        _("Recognised: %(unit)s") % {"unit": current.unit},
        _("Decision %(number)s of %(date)s recognises %(unit)s: %(title)s.")
        % {
            "number": decision_number,
            "date": f"{decided_on:%d/%m/%Y}",
            "unit": current.unit,
            "title": recognition.get_title_display(),
        },
    )
    return recognition


@transaction.atomic
def revoke_recognition(
    *, user, recognition: Recognition, revoked_on: datetime.date, reason: str
) -> Recognition:
    """The province revokes a recognition. Side effects: sets revoked_on and the reason (kept
    in history)."""
    recognition = Recognition.objects.select_for_update().get(pk=recognition.pk)
    check_revoke(user, recognition)
    reason = visible_text(reason)
    if not reason:
        raise WorkflowError(_("Say why the recognition is revoked."))
    if revoked_on is None or revoked_on < recognition.decided_on:
        raise WorkflowError(_("The revocation cannot be dated before the decision."))
    if revoked_on > timezone.localdate():
        raise WorkflowError(_("The date cannot be in the future."))
    recognition.revoked_on = revoked_on
    recognition.revocation_reason = reason
    recognition.save(update_fields=["revoked_on", "revocation_reason"])
    return recognition


def check_revoke(user, recognition: Recognition) -> None:
    """Raise WorkflowError unless ``user`` may revoke ``recognition`` now (the province's
    office, a recognition not yet revoked): the check behind the confirmation page and
    ``revoke_recognition``."""
    unit = recognition.unit
    commune = (
        unit if isinstance(unit, Commune) else unit.commune if isinstance(unit, Village) else None
    )
    province_id = commune.province_id if commune else unit.province_id
    scope = scope_for(user)
    if scope.role != Role.PROVINCE_OFFICE or scope.province_id != province_id:
        raise WorkflowError(
            _("Only the provincial coordination office revokes recognitions."), kind="forbidden"
        )
    if recognition.revoked_on is not None:
        raise WorkflowError(_("This recognition was already revoked."), kind="state")


def allowed_actions(user, assessment: Assessment) -> set[str]:
    """The steps ``user`` may take on ``assessment`` now (for buttons; the services decide)."""
    status = assessment.status
    actions = set()
    if is_commune_official_for(user, assessment) and status in (S.DRAFT, S.RETURNED):
        actions |= {"edit", "submit"}
    if is_district_office_for(user, assessment) and status == S.SUBMITTED:
        actions |= {"verify", "return"}
    if is_province_office_for(user, assessment):
        appraisable = (S.VERIFIED,) + (() if has_district_tier(assessment) else (S.SUBMITTED,))
        if status in appraisable:
            actions |= {"appraise", "return"}
        if status == S.APPRAISED:
            actions |= {"recognise", "return"}
    return actions


# --- The steps: one check behind the confirmation page and the service --------------------------

# The state changes a dossier page offers, each confirmed on its own page before it is taken.
STEPS = ("submit", "verify", "appraise", "return", "recognise")


def _check_version(assessment: Assessment, expected_version: int | None) -> None:
    if expected_version is not None and assessment.version != expected_version:
        raise WorkflowError(
            _(
                "The dossier changed after you opened this page (it is now “%(status)s”). "
                "Nothing was done: open the dossier again to see what changed."
            )
            % {"status": assessment.get_status_display()},
            kind="state",
        )


def check_step(user, assessment: Assessment, action: str, *, expected_version=None) -> None:
    """Raise WorkflowError unless ``user`` may take ``action`` (one of STEPS) on
    ``assessment`` now: the role first (403), then a stale page (``expected_version`` is the
    version the confirmation page showed; 409), then the dossier's state (409) and what the
    step itself requires (400: submit_blockers for a submission, the set's rules on the day
    for an appraisal; a recognition is checked against its decision's date by
    ``recognise``). Writes nothing."""
    tier = has_district_tier(assessment)
    if action == "submit":
        if not is_commune_official_for(user, assessment):
            raise WorkflowError(
                _("Only the commune's own officials submit its dossier."), kind="forbidden"
            )
        allowed = (S.DRAFT, S.RETURNED)
    elif action == "verify":
        if not is_district_office_for(user, assessment):
            raise _reviewer_refusal(
                user, _("Only the district coordination office verifies this dossier.")
            )
        allowed = (S.SUBMITTED,)
    elif action == "appraise":
        if not is_province_office_for(user, assessment):
            raise WorkflowError(
                _("Only the provincial coordination office appraises this dossier."),
                kind="forbidden",
            )
        allowed = (S.VERIFIED,) + (() if tier else (S.SUBMITTED,))
    elif action == "return":
        if is_district_office_for(user, assessment):
            allowed = (S.SUBMITTED,)
        elif is_province_office_for(user, assessment):
            allowed = (S.VERIFIED, S.APPRAISED) + (() if tier else (S.SUBMITTED,))
        else:
            raise _reviewer_refusal(
                user, _("Only the reviewing coordination office can return this dossier.")
            )
    elif action == "recognise":
        if not is_province_office_for(user, assessment):
            raise WorkflowError(
                _("Only the provincial coordination office records recognitions."),
                kind="forbidden",
            )
        allowed = (S.APPRAISED,)
    else:
        raise ValueError(f"unknown step {action!r}")
    _check_version(assessment, expected_version)
    _expect(assessment, allowed)
    if action == "submit":
        blockers = submit_blockers(assessment)
        if blockers:
            raise WorkflowError(" ".join(blockers))
    if action == "appraise":
        _enforce_gate(
            assessment,
            on=timezone.localdate(),
            refusal=_("The dossier cannot be appraised under the set's rules:"),
        )


@dataclass
class StepPreview:
    """What a step will do, for its confirmation page: the status it leads to, what else
    changes, who acts next (with their unit) and who is emailed."""

    action: str
    to_status: str
    effect: str
    next_actor: str
    notified: str
    recipients: int


def _office_of(assessment: Assessment, role: str) -> str:
    commune = commune_of(assessment)
    if role == Role.COMMUNE_OFFICIAL:
        return _("the officials of %(unit)s") % {"unit": commune or assessment.unit}
    if role == Role.DISTRICT_OFFICE:
        return _("the coordination office of %(unit)s") % {"unit": commune.district}
    province = commune.province if commune else assessment.district.province
    return _("the coordination office of %(unit)s") % {"unit": province}


def step_preview(user, assessment: Assessment, action: str) -> StepPreview:
    """What ``action`` will do to ``assessment``; raises WorkflowError (``check_step``) when
    ``user`` may not take it now. Reads only."""
    check_step(user, assessment, action)
    tier = has_district_tier(assessment)
    reviewer = Role.DISTRICT_OFFICE if tier else Role.PROVINCE_OFFICE
    # (status it leads to, what else happens, who acts next, who is emailed)
    plans = {
        "submit": (
            S.SUBMITTED,
            _(
                "The dossier is locked: the commune can no longer change it unless a "
                "reviewer returns it."
            ),
            reviewer,
            reviewer,
        ),
        "verify": (
            S.VERIFIED,
            _("The district's verification is recorded; the dossier goes to the province."),
            Role.PROVINCE_OFFICE,
            Role.PROVINCE_OFFICE,
        ),
        "appraise": (
            S.APPRAISED,
            _("The appraisal is recorded; the dossier then awaits the recognition decision."),
            Role.PROVINCE_OFFICE,
            None,
        ),
        "return": (
            S.RETURNED,
            _(
                "The dossier is unlocked for the commune to correct, with your reason shown "
                "on it and in its timeline."
            ),
            Role.COMMUNE_OFFICIAL,
            Role.COMMUNE_OFFICIAL,
        ),
        "recognise": (
            S.RECOGNISED,
            _(
                "The decision is recorded with its number, date and signer as typed; the "
                "title shows on the unit's public page and the dossier is closed."
            ),
            None,
            Role.COMMUNE_OFFICIAL,
        ),
    }
    to_status, effect, next_role, notified_role = plans[action]
    recipients = len(_recipients(assessment, notified_role)) if notified_role else 0
    if notified_role is None:
        notified = _("Nobody is emailed.")
    elif recipients:
        notified = ngettext(
            "Emailed: %(office)s (%(count)d account).",
            "Emailed: %(office)s (%(count)d accounts).",
            recipients,
        ) % {"office": _office_of(assessment, notified_role), "count": recipients}
    else:
        notified = _("No account of %(office)s has an email address: nobody is emailed.") % {
            "office": _office_of(assessment, notified_role)
        }
    return StepPreview(
        action=action,
        to_status=S(to_status).label,
        effect=effect,
        next_actor=(
            _("Next: %(office)s, in their inbox.") % {"office": _office_of(assessment, next_role)}
            if next_role
            else _("Nobody acts next: the dossier is closed.")
        ),
        notified=notified,
        recipients=recipients,
    )
