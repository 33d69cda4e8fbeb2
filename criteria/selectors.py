"""Reads of criteria sets, which are public legal objects (no user scoping), and of
assessments, which are private: every workflow view starts from ``assessments_for_user``.

Outside the user's subtree the answer is 404, so a dossier's existence does not leak; inside
it, a user who may read but not act gets 403 from the view (criteria.workflow decides who
acts).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.enums import AssessmentStatus, EventAction, ResultStatus, Role
from communes.lineage import lineage_for
from communes.models import Commune
from communes.selectors import (
    communes_for_user,
    membership_for,
    scope_for,
    unit_for_address,
    unit_scope_q,
)
from reports.selectors import merger_history

from .enums import SetLevel, Title
from .models import (
    Assessment,
    AssessmentEvent,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Evidence,
    Indicator,
    IndicatorValue,
    Recognition,
    Threshold,
    in_force_windows,
)
from .thresholds import applicable_thresholds


def criteria_sets():
    """Every set with its criteria and indicator counts, for the list page (one query)."""
    return CriteriaSet.objects.select_related("province").annotate(
        n_criteria=Count("criteria", distinct=True),
        n_indicators=Count("criteria__indicators", distinct=True),
    )


def criteria_set_detail(code: str) -> CriteriaSet:
    """A set with its criteria, indicators and thresholds prefetched (a fixed 4 queries).
    Raises CriteriaSet.DoesNotExist."""
    thresholds = Threshold.objects.select_related("province").order_by(
        "scope", "region", "commune_group", "province__code", "year"
    )
    indicators = Indicator.objects.prefetch_related(Prefetch("thresholds", queryset=thresholds))
    criteria = Criterion.objects.prefetch_related(Prefetch("indicators", queryset=indicators))
    return (
        CriteriaSet.objects.select_related("province", "prerequisite", "previous_version")
        .prefetch_related(Prefetch("criteria", queryset=criteria))
        .get(code=code)
    )


# ---------------------------------------------------------------------------------------------
# Assessments: private, scoped to the user's subtree
# ---------------------------------------------------------------------------------------------

S = AssessmentStatus
PENDING_STATUSES = (S.DRAFT, S.SUBMITTED, S.RETURNED, S.VERIFIED, S.APPRAISED)
_UNIT_RELATED = (
    "commune__district",
    "commune__province",
    "village__commune__district",
    "village__commune__province",
    "district__province",
)


def assessments_for_user(user) -> QuerySet[Assessment]:
    """Every assessment bound to a unit in ``user``'s subtree, whatever its status."""
    return Assessment.objects.filter(unit_scope_q(user))


def assessment_for_user(user, pk: int) -> Assessment:
    """One assessment of the user's subtree with its unit and set, or Http404."""
    try:
        return (
            assessments_for_user(user)
            .select_related(*_UNIT_RELATED, "criteria_set__province", "author")
            .get(pk=pk)
        )
    except Assessment.DoesNotExist:
        raise Http404 from None


def commune_for_user(user, code: str, *, on: datetime.date | None = None) -> Commune:
    """The commune ``code`` of the user's subtree valid on ``on`` (default today), else the
    closed one with that code (an official of a commune closed on 30/06/2025 reading its
    history). Http404 otherwise. One query."""
    communes = communes_for_user(user).select_related("district", "province")
    commune = unit_for_address(communes, code, on=on)
    if commune is None:
        raise Http404
    return commune


def evidence_for_user(user, pk: int) -> Evidence:
    try:
        return Evidence.objects.select_related("assessment").get(
            unit_scope_q(user, "assessment__"), pk=pk
        )
    except Evidence.DoesNotExist:
        raise Http404 from None


def recognition_for_user(user, pk: int) -> Recognition:
    try:
        return Recognition.objects.select_related(*_UNIT_RELATED).get(unit_scope_q(user), pk=pk)
    except Recognition.DoesNotExist:
        raise Http404 from None


def startable_sets(commune: Commune, day: datetime.date | None = None) -> QuerySet[CriteriaSet]:
    """Commune-level sets that are national or the commune's province's own variant and are
    offered for a new assessment: in force on ``day`` when given (CriteriaSet.in_force), else
    in force on some day up to today (the form then checks the date typed). Never a set not
    yet in effect, nor one replaced by a newer version."""
    sets = CriteriaSet.objects.for_level(SetLevel.COMMUNE).filter(
        Q(province__isnull=True) | Q(province_id=commune.province_id)
    )
    if day is not None:
        return sets.in_force_on(day)
    today = timezone.localdate()
    windows = in_force_windows(CriteriaSet.objects.all())
    offered = [
        pk for pk, w in windows.items() if not w.replaced and (w.start is None or w.start <= today)
    ]
    return sets.filter(pk__in=offered)


def set_in_force(commune: Commune, day: datetime.date) -> CriteriaSet | None:
    """The NTM set in force on ``day`` for ``commune``: its province's own variant first,
    else the national one."""
    return (
        startable_sets(commune, day)
        .filter(title=Title.NTM)
        .order_by(F("province").asc(nulls_last=True), "code")
        .first()
    )


def inbox_for_user(user) -> list[Assessment]:
    """What waits for ``user``: drafts and returned dossiers for the commune, submissions to
    verify for the district, dossiers to appraise or decide for the province (and submissions
    of communes without a district), every pending dossier for an admin. Each row carries
    ``last_event_at`` and, when returned, ``return_reason``. One query."""
    scope = scope_for(user)
    if scope.role == Role.COMMUNE_OFFICIAL:
        wanted = Q(status__in=(S.DRAFT, S.RETURNED))
    elif scope.role == Role.DISTRICT_OFFICE:
        if membership_for(user).has_ended:
            return []  # it reads what it held, but nothing waits for it (workflow)
        wanted = Q(status=S.SUBMITTED)
    elif scope.role == Role.PROVINCE_OFFICE:
        no_district = Q(commune__isnull=False) & _no_district_tier("commune__") | Q(
            village__isnull=False
        ) & _no_district_tier("village__commune__")
        wanted = Q(status__in=(S.VERIFIED, S.APPRAISED)) | Q(status=S.SUBMITTED) & no_district
    elif scope.is_admin:
        wanted = Q(status__in=PENDING_STATUSES)
    else:
        return []
    events = AssessmentEvent.objects.filter(assessment=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    return list(
        assessments_for_user(user)
        .filter(wanted)
        .select_related(*_UNIT_RELATED, "criteria_set")
        .annotate(
            last_event_at=Subquery(events.values("created_at")[:1]),
            return_reason=Subquery(events.filter(action=EventAction.RETURNED).values("reason")[:1]),
        )
        .order_by("status", "-last_event_at", "-pk")
    )


def _no_district_tier(prefix: str) -> Q:
    """Dossiers that skip the district (criteria.workflow.has_district_tier, in SQL): the
    commune has no district, or its district did not exist on the assessment's date or no
    longer exists today."""
    district = f"{prefix}district"
    return (
        Q(**{f"{district}__isnull": True})
        | Q(**{f"{district}__valid_to__lt": timezone.localdate()})
        | Q(**{f"{district}__valid_to__lt": F("assessed_on")})
        | Q(**{f"{district}__valid_from__gt": F("assessed_on")})
    )


# --- The dossier: criteria grouped as in the legal text, with what was entered ----------------


@dataclass
class IndicatorLine:
    indicator: Indicator
    value: IndicatorValue | None
    threshold: Threshold | None
    # No threshold because the reference gives none for the unit's region (not the national
    # value): "chưa quy định cho vùng này".
    region_unset: bool = False


@dataclass
class CriterionBlock:
    criterion: Criterion
    result: CriterionResult | None
    indicators: list[IndicatorLine]
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Dossier:
    assessment: Assessment
    groups: list[tuple[str, list[CriterionBlock]]]
    events: list[AssessmentEvent]
    recognitions: list[Recognition]

    @property
    def blocks(self) -> list[CriterionBlock]:
        return [block for _, blocks in self.groups for block in blocks]

    @property
    def evidence(self) -> list[Evidence]:
        return [e for block in self.blocks for e in block.evidence]

    @property
    def last_return(self) -> AssessmentEvent | None:
        returns = [e for e in self.events if e.action == EventAction.RETURNED]
        return returns[-1] if returns else None


def dossier(assessment: Assessment) -> Dossier:
    """Everything the dossier and entry pages show, in a fixed number of queries."""
    criteria = list(
        assessment.criteria_set.criteria.prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("order", "code"))
        )
    )
    results = {r.criterion_id: r for r in assessment.results.all()}
    values = {v.indicator_id: v for v in assessment.indicator_values.all()}
    thresholds = applicable_thresholds(
        assessment.criteria_set, assessment.unit, assessment.assessed_on
    )
    evidence: dict[int, list[Evidence]] = {}
    for item in assessment.evidence.select_related("criterion"):
        evidence.setdefault(item.criterion_id, []).append(item)
    groups: list[tuple[str, list[CriterionBlock]]] = []
    for criterion in criteria:
        block = CriterionBlock(
            criterion=criterion,
            result=results.get(criterion.pk),
            indicators=[
                IndicatorLine(
                    i, values.get(i.pk), thresholds.get(i.pk), i.pk in thresholds.region_unset
                )
                for i in criterion.indicators.all()
            ],
            evidence=evidence.get(criterion.pk, []),
        )
        if not groups or groups[-1][0] != criterion.group:
            groups.append((criterion.group, []))
        groups[-1][1].append(block)
    return Dossier(
        assessment=assessment,
        groups=groups,
        events=list(assessment.events.select_related("actor")),
        recognitions=list(assessment.recognitions.all()),
    )


def commune_timeline(user, commune: Commune) -> list[Assessment]:
    """The commune's assessments the user may see (its subtree: every status), newest
    first, with progress. One query."""
    return list(
        assessments_for_user(user)
        .filter(commune=commune)
        .select_related("criteria_set")
        .with_progress()
        .order_by("-assessed_on", "-pk")
    )


def lineage_history(commune: Commune, *, on: datetime.date | None = None):
    """Where the commune came from and what it became (communes.lineage), and, for a commune
    formed by the 2025 merger, its predecessors' public assessments and recognitions before
    01/07/2025 with the merged-commune title (reports.selectors.merger_history). Public facts
    only, so any reader of the commune may see them. Two queries, five with predecessors
    (however many predecessors, assessments or recognitions)."""
    lineage = lineage_for(commune, on=on)
    own = list(Recognition.objects.filter(commune=commune)) if lineage.predecessors else []
    return lineage, merger_history(commune, own, lineage.predecessors)


@dataclass
class Comparison:
    older: Assessment
    newer: Assessment
    gained: list[str]
    lost: list[str]
    changed: list[tuple[str, str, str]]
    # Every criterion whose result changed, with both results in words (a move between
    # "chưa đạt" and "cơ bản đạt" is neither gained nor lost, but it is shown).
    results_changed: list[tuple[str, str, str]] = field(default_factory=list)


def _value_text(value: IndicatorValue | None) -> str:
    if value is None:
        return "—"
    if value.value_number is not None:
        return f"{value.value_number.normalize():f}".replace(".", ",")
    if value.value_bool is not None:
        return "✓" if value.value_bool else "✗"
    return "—"


def compare(first: Assessment, second: Assessment) -> Comparison:
    """Criteria gained and lost between two assessments, the older first, by criterion number
    (so two sets can be compared). "Gained" is "met" now and not before: "cơ bản đạt" is not
    met, here as on the dossier, the dashboards and the exports. Also every criterion whose
    result changed, and the indicator values changed (by indicator code). Four queries."""
    older, newer = sorted([first, second], key=lambda a: (a.assessed_on, a.pk))
    labels = dict(ResultStatus.choices)

    def results(assessment):
        rows = CriterionResult.objects.filter(assessment=assessment).select_related("criterion")
        return {r.criterion.number: (r.criterion, r.status) for r in rows}

    def values(assessment):
        rows = IndicatorValue.objects.filter(assessment=assessment).select_related("indicator")
        return {v.indicator.code: v for v in rows}

    before, after = results(older), results(newer)

    def met(rows):
        return {n for n, (_, status) in rows.items() if status == ResultStatus.MET}

    gained = [str(after[n][0]) for n in sorted(met(after) - met(before))]
    lost = [str(before[n][0]) for n in sorted(met(before) - met(after))]
    results_changed = []
    for n in sorted(set(before) | set(after)):
        old_status = before[n][1] if n in before else ""
        new_status = after[n][1] if n in after else ""
        if old_status != new_status:
            criterion = (after.get(n) or before.get(n))[0]
            results_changed.append(
                (
                    str(criterion),
                    str(labels.get(old_status, "—")),
                    str(labels.get(new_status, "—")),
                )
            )
    old_values, new_values = values(older), values(newer)
    changed = []
    for code in sorted(set(old_values) | set(new_values), key=_code_key):
        old, new = _value_text(old_values.get(code)), _value_text(new_values.get(code))
        if old != new:
            indicator = (new_values.get(code) or old_values.get(code)).indicator
            changed.append((str(indicator), old, new))
    return Comparison(older, newer, gained, lost, changed, results_changed)


def _code_key(code: str):
    return [int(p) if p.isdigit() else 0 for p in code.split(".")]


# --- The audit trail (django-simple-history) ---------------------------------------------------


@dataclass
class AuditChange:
    field: str
    old: str
    new: str


@dataclass
class AuditEntry:
    when: datetime.datetime
    who: str
    kind: str  # "+" created, "~" changed, "-" deleted
    what: str
    changes: list[AuditChange]


def _display(record, f) -> str:
    value = getattr(record, f.attname)
    if value is None or value == "":
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    return str(value)


def audit_trail(assessment: Assessment) -> list[AuditEntry]:
    """Every recorded change to the assessment, its results, values, evidence and
    recognitions, newest first: who, when, which field, old value → new value. A fixed
    number of queries: each history table is read once and diffed in Python."""
    labels_criterion = {c.pk: str(c) for c in assessment.criteria_set.criteria.all()}
    labels_indicator = {
        i.pk: f"{i.code} {i.name}"
        for i in Indicator.objects.filter(criterion__criteria_set=assessment.criteria_set)
    }
    skip = {"id", "assessment", "version", "updated_at", "file"}
    sources = [
        (Assessment.history.filter(id=assessment.pk), lambda r: str(_("dossier"))),
        (
            CriterionResult.history.filter(assessment_id=assessment.pk),
            lambda r: labels_criterion.get(r.criterion_id, "?"),
        ),
        (
            IndicatorValue.history.filter(assessment_id=assessment.pk),
            lambda r: labels_indicator.get(r.indicator_id, "?"),
        ),
        (
            Evidence.history.filter(assessment_id=assessment.pk),
            lambda r: f"{_('evidence')}: {r.title}",
        ),
        (
            Recognition.history.filter(assessment_id=assessment.pk),
            lambda r: f"{_('recognition')} {r.decision_number}",
        ),
    ]
    entries = []
    for queryset, describe in sources:
        model = queryset.model.instance_type
        fields = [f for f in model._meta.concrete_fields if f.name not in skip]
        previous = {}
        for record in queryset.select_related("history_user").order_by("history_date", "pk"):
            before = previous.get(record.id)
            if record.history_type == "-":
                changes = []
            else:
                changes = [
                    AuditChange(
                        str(f.verbose_name),
                        _display(before, f) if before is not None else "—",
                        _display(record, f),
                    )
                    for f in fields
                    if before is None or getattr(before, f.attname) != getattr(record, f.attname)
                ]
                changes = [c for c in changes if c.old != c.new]
            previous[record.id] = record
            if record.history_type == "~" and not changes:
                continue
            entries.append(
                AuditEntry(
                    when=record.history_date,
                    who=record.history_user.get_username() if record.history_user else "—",
                    kind=record.history_type,
                    what=describe(record),
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def covers_commune(user, commune: Commune) -> bool:
    """Whether ``commune`` lies in ``user``'s subtree, without a query beyond the scope's."""
    scope = scope_for(user)
    return scope.everything or bool(
        (scope.province_id and scope.province_id == commune.province_id)
        or (scope.district_id and scope.district_id == commune.district_id)
        or (scope.commune_id and scope.commune_id == commune.pk)
    )


def enters_assessments_for(user, commune: Commune) -> bool:
    """Whether ``user`` is one of the commune's own officials (who start its assessments)."""
    scope = scope_for(user)
    return scope.role == Role.COMMUNE_OFFICIAL and scope.commune_id == commune.pk
