"""Write workflows for criteria sets. Each function's docstring lists its side effects."""

import datetime
import io
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from communes.enums import AssessmentStatus
from communes.models import Commune, CommuneSuccession, District, Province, Village
from reports.cache import record_change

from .enums import Comparison, IndicatorKind, SetLevel, Verification
from .models import (
    Assessment,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Indicator,
    IndicatorValue,
    Threshold,
)

CRITERIA_FIXTURE = settings.BASE_DIR / "fixtures" / "criteria.json"


@dataclass
class CriteriaLoadSummary:
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"{name}: {self.after[name]} ({self.after[name] - self.before[name]:+d})"
            for name in self.after
        ]

    @property
    def created(self) -> int:
        return sum(self.after[name] - self.before[name] for name in self.after)


def _counts() -> dict[str, int]:
    return {
        "sets": CriteriaSet.objects.count(),
        "criteria": Criterion.objects.count(),
        "indicators": Indicator.objects.count(),
        "thresholds": Threshold.objects.count(),
    }


def load_criteria_fixture(*, path=CRITERIA_FIXTURE) -> CriteriaLoadSummary:
    """Load the reference criteria sets, updating rows in place by natural key.

    Side effects: creates or updates CriteriaSet, Criterion, Indicator and Threshold rows, in
    one transaction. Rows an admin added (e.g. imported ward items) are left alone.
    Raises ValueError, before writing anything, when a province the fixture references is
    missing (provinces come from load_admin_units).
    """
    rows = json.loads(path.read_text(encoding="utf-8"))
    needed = {row["fields"]["province"][0] for row in rows if row["fields"].get("province")}
    present = set(Province.objects.filter(code__in=needed).values_list("code", flat=True))
    if needed - present:
        missing = ", ".join(sorted(needed - present))
        raise ValueError(
            f"Provinces {missing} are missing: run `manage.py load_admin_units` first."
        )
    summary = CriteriaLoadSummary(before=_counts())
    with transaction.atomic():
        call_command("loaddata", str(path), verbosity=0, stdout=io.StringIO())
        record_change(province_id=None)  # loaddata saves raw rows: no signal records it
    summary.after = _counts()
    return summary


PLACEHOLDER_INDICATOR_NAME = (
    "Chỉ tiêu chưa có văn bản gốc (mục giữ chỗ, không phải chỉ tiêu chính thức)"
)
PLACEHOLDER_CRITERION_NAME = (
    "Tiêu chí chưa có văn bản gốc (mục giữ chỗ, không phải tiêu chí chính thức)"
)


@transaction.atomic
def add_placeholder_indicators(*, criteria_set: CriteriaSet, up_to: int, why: str) -> int:
    """Fill a set whose legal text has more indicators than the portal knows with clearly
    labelled placeholders, until it holds ``up_to`` indicators. Returns how many were added.

    Side effects: creates Indicator rows with is_placeholder=True and verification PLACEHOLDER,
    spread over the set's criteria in turn (criteria with no known indicator first), since the
    real distribution is not known either.
    """
    criteria = list(criteria_set.criteria.order_by("number"))
    if not criteria:
        raise ValueError(f"{criteria_set.code} has no criteria to hold placeholders.")
    existing = Indicator.objects.filter(criterion__criteria_set=criteria_set)
    missing = up_to - existing.count()
    if missing <= 0:
        return 0
    known = {c.pk: 0 for c in criteria}
    for criterion_id in existing.values_list("criterion_id", flat=True):
        known[criterion_id] += 1
    order = sorted(criteria, key=lambda c: (known[c.pk] > 0, c.number))
    taken = set(existing.values_list("criterion_id", "code"))
    rows = []
    for i in range(missing):
        criterion = order[i % len(order)]
        k = 1
        while (criterion.pk, f"{criterion.number}.x{k}") in taken:
            k += 1
        code = f"{criterion.number}.x{k}"
        taken.add((criterion.pk, code))
        rows.append(
            Indicator(
                criterion=criterion,
                code=code,
                order=900 + k,
                name=PLACEHOLDER_INDICATOR_NAME,
                kind=IndicatorKind.BOOLEAN,
                comparison=Comparison.YES,
                verification=Verification.PLACEHOLDER,
                reference_note=why,
                is_placeholder=True,
            )
        )
    Indicator.objects.bulk_create(rows)
    record_change(province_id=None)  # bulk_create sends no signals
    return len(rows)


@transaction.atomic
def add_placeholder_criteria(*, criteria_set: CriteriaSet, up_to: int, why: str) -> int:
    """Append clearly labelled placeholder criteria until the set holds ``up_to`` criteria.

    Side effects: creates Criterion rows with is_placeholder=True, numbered after the last one.
    """
    count = criteria_set.criteria.count()
    last = criteria_set.criteria.order_by("-number").values_list("number", flat=True).first() or 0
    rows = [
        Criterion(
            criteria_set=criteria_set,
            number=last + i,
            name=PLACEHOLDER_CRITERION_NAME,
            verification=Verification.PLACEHOLDER,
            note=why,
            is_placeholder=True,
        )
        for i in range(1, up_to - count + 1)
    ]
    Criterion.objects.bulk_create(rows)
    record_change(province_id=None)  # bulk_create sends no signals
    return len(rows)


class AssessmentError(ValueError):
    """An assessment that cannot be recorded; the message is for the user."""


def check_assessment_fits(*, unit, criteria_set: CriteriaSet, assessed_on, allow_outside_period):
    """Raise AssessmentError when the set does not apply to the unit or the date."""
    if criteria_set.level != _level_of(unit):
        raise AssessmentError(
            _("The set “%(set)s” applies to a %(level)s, not to %(unit)s.")
            % {
                "set": criteria_set.display_name,
                "level": criteria_set.get_level_display(),
                "unit": unit,
            }
        )
    if criteria_set.province_id and _province_id_of(unit) != criteria_set.province_id:
        raise AssessmentError(
            _("The set “%(set)s” applies only in %(province)s.")
            % {"set": criteria_set.display_name, "province": criteria_set.province}
        )
    if allow_outside_period:
        return
    # The set in force that day: from its legal effective date until the next set of its kind
    # takes effect (CriteriaSet.in_force). A replaced version still fits the dates of its
    # window (history is imported against it); it is only no longer offered.
    window = criteria_set.in_force()
    if (window.start and assessed_on < window.start) or (window.end and assessed_on > window.end):
        raise AssessmentError(
            _("%(date)s is outside the period of the set “%(set)s” (%(start)s – %(end)s).")
            % {
                "date": f"{assessed_on:%d/%m/%Y}",
                "set": criteria_set.display_name,
                "start": f"{window.start:%d/%m/%Y}" if window.start else "…",
                "end": f"{window.end:%d/%m/%Y}" if window.end else "…",
            }
        )


def closed_unit_refusal(unit, day: datetime.date) -> str:
    """Why ``unit`` cannot be assessed on ``day`` (it did not exist that day), naming what it
    became; "" when it can. Since 01/07/2025 a commune closed by the merger is assessed only
    for dates before it, and its successor for dates after."""
    if unit.is_valid_on(day):
        return ""
    values = {"unit": unit.name, "day": f"{day:%d/%m/%Y}"}
    if unit.valid_to is not None and day > unit.valid_to:
        values["end"] = f"{unit.valid_to:%d/%m/%Y}"
        successors = [
            link.successor.name
            for link in getattr(unit, "successor_links", CommuneSuccession.objects.none())
            .select_related("successor")
            .order_by("successor__code")
        ]
        if successors:
            values["successors"] = ", ".join(successors)
            return (
                _(
                    "%(unit)s existed until %(end)s, so it has no assessment on %(day)s; it is "
                    "now part of %(successors)s, whose officials assess it."
                )
                % values
            )
        return _("%(unit)s existed until %(end)s, so it has no assessment on %(day)s.") % values
    values["start"] = f"{unit.valid_from:%d/%m/%Y}"
    return _("%(unit)s exists only from %(start)s, so it has no assessment on %(day)s.") % values


def _level_of(unit) -> str:
    if isinstance(unit, Commune):
        return SetLevel.COMMUNE
    if isinstance(unit, Village):
        return SetLevel.VILLAGE
    if isinstance(unit, District):
        return SetLevel.DISTRICT
    raise TypeError(f"Not an assessable unit: {unit!r}")


def _province_id_of(unit):
    if isinstance(unit, Village):
        return unit.commune.province_id
    return unit.province_id


@transaction.atomic
def record_assessment(
    *,
    unit,
    criteria_set: CriteriaSet,
    assessed_on,
    results: dict[int, tuple[str, str]],
    indicators_met: dict[str, bool] | None = None,
    status: str = AssessmentStatus.DRAFT,
    author=None,
    notes: str = "",
    allow_outside_period: bool = False,
    is_imported: bool = False,
    import_source: str = "",
) -> Assessment:
    """Record a dated assessment of ``unit`` against ``criteria_set``.

    ``results`` maps criterion number -> (ResultStatus, note); ``indicators_met`` maps
    indicator code -> met. Side effects: creates one Assessment, its CriterionResult rows and
    IndicatorValue rows (each with its history row), in one transaction. Raises
    AssessmentError (nothing written) when the set does not fit the unit or date, or a
    criterion/indicator is not in the set.
    """
    check_assessment_fits(
        unit=unit,
        criteria_set=criteria_set,
        assessed_on=assessed_on,
        allow_outside_period=allow_outside_period,
    )
    criteria = {c.number: c for c in criteria_set.criteria.all()}
    unknown = set(results) - set(criteria)
    if unknown:
        raise AssessmentError(
            _("Criteria %(numbers)s are not in the set “%(set)s”.")
            % {"numbers": ", ".join(map(str, sorted(unknown))), "set": criteria_set.display_name}
        )
    indicators = {i.code: i for i in Indicator.objects.filter(criterion__criteria_set=criteria_set)}
    indicators_met = indicators_met or {}
    unknown = set(indicators_met) - set(indicators)
    if unknown:
        raise AssessmentError(
            _("Indicators %(codes)s are not in the set “%(set)s”.")
            % {"codes": ", ".join(sorted(unknown)), "set": criteria_set.display_name}
        )
    assessment = Assessment(
        criteria_set=criteria_set,
        assessed_on=assessed_on,
        status=status,
        author=author,
        notes=notes,
        allow_outside_period=allow_outside_period,
        is_imported=is_imported,
        import_source=import_source,
    )
    assessment.unit = unit
    assessment.save()
    # With history rows, so the audit trail shows what the assessment started with.
    bulk_create_with_history(
        [
            CriterionResult(assessment=assessment, criterion=criteria[n], status=s, note=note)
            for n, (s, note) in results.items()
        ],
        CriterionResult,
        default_user=author,
    )
    bulk_create_with_history(
        [
            IndicatorValue(assessment=assessment, indicator=indicators[code], is_met=met)
            for code, met in indicators_met.items()
        ],
        IndicatorValue,
        default_user=author,
    )
    return assessment
