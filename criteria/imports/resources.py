"""The django-import-export resource every assessment import goes through, whatever the file
looked like: the parsers (matrix.py, long.py) turn a sheet into rows of this shape

    row | commune (GSO code) | assessed_on (ISO) | <criterion number> ... (ResultStatus)

plus, from the long format, "<n>:note" and the indicator columns of indicator_key(). A None
cell means "the file says nothing about this".

and the resource finds, compares, validates and writes. Exports use the same resource, so an
export re-imports without changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import Commune
from criteria.models import Assessment, CriteriaSet, CriterionResult, Indicator, IndicatorValue
from criteria.services import AssessmentError, check_assessment_fits

from .values import MARK_FOR_STATUS, NOT_ASSESSED

# Assessments an import may overwrite: drafts and approved history brought in earlier.
# Anything else is in the district/province workflow and is not an import's to change.
OVERWRITABLE = (AssessmentStatus.DRAFT, AssessmentStatus.APPROVED)


class ResultWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return value or ResultStatus.NOT_MET

    def render(self, value, obj=None, **kwargs):
        return MARK_FOR_STATUS.get(value, "")


def note_key(number: int) -> str:
    return f"{number}:note"


def indicator_key(code: str, part: str = "") -> str:
    """Dataset columns of an indicator: "i:<code>" (met mark), "i:<code>:value",
    "i:<code>:note"."""
    return f"i:{code}:{part}" if part else f"i:{code}"


@dataclass
class Imported:
    """What one dataset row says about an assessment. A criterion or part the file does not
    mention is absent (left as it is); NOT_ASSESSED removes a result."""

    results: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    # indicator code -> {"is_met": bool | None, "value": Decimal | bool | None, "note": str}
    indicators: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row, criteria, indicators) -> Imported:
        imported = cls()
        for key in row:
            value = row[key]
            if value is None:
                continue
            if key.isdigit() and int(key) in criteria:
                imported.results[int(key)] = value
            elif key.endswith(":note") and key[:-5].isdigit():
                imported.notes[int(key[:-5])] = value
            elif key.startswith("i:"):
                code, _sep, part = key[2:].partition(":")
                if code in indicators:
                    entry = imported.indicators.setdefault(code, {})
                    if part == "value":
                        entry["value"] = None if value == "" else value
                    elif part == "note":
                        entry["note"] = value
                    else:
                        entry["is_met"] = {
                            ResultStatus.MET: True,
                            ResultStatus.NOT_MET: False,
                        }.get(value)
        return imported


class AssessmentResource(resources.ModelResource):
    commune = fields.Field(
        attribute="commune",
        column_name="commune",
        widget=widgets.ForeignKeyWidget(Commune, field="code"),
    )
    assessed_on = fields.Field(
        attribute="assessed_on", column_name="assessed_on", widget=widgets.DateWidget("%Y-%m-%d")
    )

    class Meta:
        model = Assessment
        fields = ("commune", "assessed_on")
        import_id_fields = ("commune", "assessed_on")
        skip_diff = True
        report_skipped = True
        use_transactions = True

    def __init__(
        self, *, criteria_set: CriteriaSet, status=AssessmentStatus.DRAFT, author=None, source=""
    ):
        super().__init__()
        self.criteria_set = criteria_set
        self.status = status
        self.author = author
        self.source = source
        self.criteria = {c.number: c for c in criteria_set.criteria.all()}
        self.indicators = {
            i.code: i
            for i in Indicator.objects.filter(criterion__criteria_set=criteria_set).select_related(
                "criterion"
            )
        }
        for number in self.criteria:
            key = str(number)
            self.fields[key] = fields.Field(
                attribute=None, column_name=key, widget=ResultWidget(), readonly=False
            )
        # assessment pk -> readable changes, for the preview
        self.changes: dict[int, list[str]] = {}

    def get_import_fields(self):
        return [self.fields["commune"], self.fields["assessed_on"]]

    def get_queryset(self):
        return Assessment.objects.filter(criteria_set=self.criteria_set)

    def get_instance(self, instance_loader, row):
        try:
            commune = Commune.objects.get(code=row["commune"])
        except Commune.DoesNotExist:
            return None
        return (
            self.get_queryset()
            .filter(commune=commune, assessed_on=row["assessed_on"])
            .order_by("pk")
            .first()
        )

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.criteria_set = self.criteria_set
        instance._imported = Imported.from_row(row, self.criteria, self.indicators)

    def _existing(self, instance):
        if instance.pk is None:
            return {}, {}
        results = {
            number: (status, note)
            for number, status, note in instance.results.values_list(
                "criterion__number", "status", "note"
            )
        }
        values = {
            v.indicator.code: v for v in instance.indicator_values.select_related("indicator")
        }
        return results, values

    def describe_changes(self, instance) -> list[str]:
        """What importing the row would change in the existing assessment, readably."""
        imported: Imported = instance._imported
        results, values = self._existing(instance)
        changes = []
        for n, new in sorted(imported.results.items()):
            old = results.get(n, (None, ""))[0]
            new = None if new == NOT_ASSESSED else new
            if old != new:
                changes.append(
                    _("criterion %(n)s: %(old)s → %(new)s")
                    % {
                        "n": n,
                        "old": MARK_FOR_STATUS.get(old, "—"),
                        "new": MARK_FOR_STATUS.get(new, "—"),
                    }
                )
        for n, note in sorted(imported.notes.items()):
            has_result = imported.results.get(n, results.get(n, (None,))[0]) not in (
                None,
                NOT_ASSESSED,
            )
            if has_result and results.get(n, (None, ""))[1] != note:
                changes.append(_("criterion %(n)s: note") % {"n": n})
        for code, entry in sorted(imported.indicators.items()):
            old = values.get(code)
            if old is None:
                if entry.get("is_met") is not None or entry.get("value") is not None:
                    changes.append(_("indicator %(code)s: new value") % {"code": code})
                continue
            if (
                ("is_met" in entry and entry["is_met"] != old.is_met)
                or ("value" in entry and entry["value"] != _indicator_value(old))
                or ("note" in entry and entry["note"] != old.note)
            ):
                changes.append(_("indicator %(code)s: changed") % {"code": code})
        return changes

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None:
            return False
        changed = self.describe_changes(instance)
        self.changes[instance.pk] = changed
        return not changed

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.commune_id and "commune" not in errors:
            try:
                check_assessment_fits(
                    unit=instance.commune,
                    criteria_set=self.criteria_set,
                    assessed_on=instance.assessed_on,
                    allow_outside_period=False,
                )
            except AssessmentError as e:
                errors["commune"] = ValidationError(str(e))
        if instance.pk and instance.status not in OVERWRITABLE:
            errors["commune"] = ValidationError(
                _(
                    "%(unit)s already has an assessment on this date in the workflow (%(status)s); "
                    "an import does not overwrite it."
                )
                % {"unit": instance.commune, "status": instance.get_status_display()}
            )
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        instance.status = self.status
        instance.author = self.author
        instance.is_imported = True
        instance.import_source = self.source[:300]
        if not is_create:
            instance.version += 1
        instance.save()
        imported: Imported = instance._imported
        self.write_results(instance, imported.results, notes=imported.notes)
        self.write_indicators(instance, imported.indicators)

    def write_results(self, assessment, results: dict[int, str], notes=None):
        """Set the results of the criteria in the file (others stay); NOT_ASSESSED removes
        one. A note the file does not give is kept."""
        notes = notes or {}
        existing = {r.criterion_id: r for r in assessment.results.all()}
        to_create, to_update, to_delete = [], [], []
        for n, status in results.items():
            criterion = self.criteria[n]
            current = existing.get(criterion.pk)
            if status == NOT_ASSESSED:
                if current is not None:
                    to_delete.append(current.pk)
            elif current is None:
                to_create.append(
                    CriterionResult(
                        assessment=assessment,
                        criterion=criterion,
                        status=status,
                        note=notes.get(n, ""),
                    )
                )
            else:
                current.status = status
                current.note = notes.get(n, current.note)
                to_update.append(current)
        CriterionResult.objects.filter(pk__in=to_delete).delete()
        CriterionResult.objects.bulk_update(to_update, ["status", "note"])
        CriterionResult.objects.bulk_create(to_create)

    def write_indicators(self, assessment, entries: dict[str, dict]):
        if not entries:
            return
        existing = {v.indicator_id: v for v in assessment.indicator_values.all()}
        for code, entry in entries.items():
            indicator = self.indicators[code]
            value = existing.get(indicator.pk) or IndicatorValue(
                assessment=assessment, indicator=indicator
            )
            if "is_met" in entry:
                value.is_met = entry["is_met"]
            if "value" in entry:
                number = entry["value"]
                value.value_bool = number if isinstance(number, bool) else None
                value.value_number = None if isinstance(number, bool) else number
            if "note" in entry:
                value.note = entry["note"]
            value.save()

    # -- Export ---------------------------------------------------------------------------

    def export_rows(self, queryset):
        """Header and rows of the matrix export: code, name, date, one column per criterion
        and the "Số tiêu chí đạt" total."""
        numbers = sorted(self.criteria)
        header = [
            "Mã ĐVHC",
            "Đơn vị",
            "Ngày đánh giá",
            *[str(n) for n in numbers],
            "Số tiêu chí đạt",
        ]
        rows = []
        queryset = queryset.filter(commune__isnull=False).select_related("commune")
        results = {}
        for assessment_id, number, status in CriterionResult.objects.filter(
            assessment__in=queryset
        ).values_list("assessment_id", "criterion__number", "status"):
            results.setdefault(assessment_id, {})[number] = status
        for assessment in queryset.order_by("commune__code", "assessed_on"):
            marks = results.get(assessment.pk, {})
            rows.append(
                [
                    assessment.commune.code,
                    assessment.commune.name,
                    f"{assessment.assessed_on:%d/%m/%Y}",
                    *[MARK_FOR_STATUS[marks.get(n, NOT_ASSESSED)] for n in numbers],
                    sum(1 for s in marks.values() if s == ResultStatus.MET),
                ]
            )
        return header, rows

    def export_long_rows(self, queryset):
        """Header and rows of the long export: one row per result and per indicator value."""
        header = list(LONG_HEADER)
        queryset = queryset.filter(commune__isnull=False).select_related("commune")
        results, values = {}, {}
        for result in CriterionResult.objects.filter(assessment__in=queryset).select_related(
            "criterion"
        ):
            results.setdefault(result.assessment_id, []).append(result)
        for value in IndicatorValue.objects.filter(assessment__in=queryset).select_related(
            "indicator__criterion"
        ):
            values.setdefault(value.assessment_id, []).append(value)
        rows = []
        for assessment in queryset.order_by("commune__code", "assessed_on"):
            unit = [
                assessment.commune.code,
                assessment.commune.name,
                self.criteria_set.code,
                f"{assessment.assessed_on:%d/%m/%Y}",
            ]
            for result in sorted(results.get(assessment.pk, []), key=lambda r: r.criterion.number):
                rows.append(
                    [
                        *unit,
                        result.criterion.number,
                        "",
                        MARK_FOR_STATUS[result.status],
                        "",
                        result.note,
                    ]
                )
            for value in sorted(
                values.get(assessment.pk, []),
                key=lambda v: (v.indicator.criterion.number, v.indicator.order, v.indicator.code),
            ):
                mark = {True: ResultStatus.MET, False: ResultStatus.NOT_MET}.get(
                    value.is_met, NOT_ASSESSED
                )
                shown = _indicator_value(value)
                if isinstance(shown, bool):
                    shown = "Có" if shown else "Không"
                rows.append(
                    [
                        *unit,
                        value.indicator.criterion.number,
                        value.indicator.code,
                        MARK_FOR_STATUS[mark],
                        "" if shown is None else shown,
                        value.note,
                    ]
                )
        return header, rows


# The long format's columns as exports and templates write them (the parser also accepts
# other wordings, see long.py).
LONG_HEADER = (
    "Mã ĐVHC",
    "Đơn vị",
    "Mã bộ tiêu chí",
    "Ngày đánh giá",
    "Tiêu chí",
    "Mã chỉ tiêu",
    "Kết quả",
    "Giá trị",
    "Ghi chú",
)


def _indicator_value(value: IndicatorValue):
    return value.value_bool if value.value_bool is not None else value.value_number
