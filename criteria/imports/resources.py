"""The django-import-export resource every assessment import goes through, whatever the file
looked like: the parsers (matrix.py, long.py) turn a sheet into rows of this shape

    row | commune (GSO code) | assessed_on (ISO) | <criterion number> ... (ResultStatus)

and the resource finds, compares, validates and writes. Exports use the same resource, so an
export re-imports without changes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import Commune
from criteria.models import Assessment, CriteriaSet, CriterionResult
from criteria.services import AssessmentError, check_assessment_fits

from .values import MARK_FOR_STATUS

# Assessments an import may overwrite: drafts and approved history brought in earlier.
# Anything else is in the district/province workflow and is not an import's to change.
OVERWRITABLE = (AssessmentStatus.DRAFT, AssessmentStatus.APPROVED)


class ResultWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return value or ResultStatus.NOT_MET

    def render(self, value, obj=None, **kwargs):
        return MARK_FOR_STATUS.get(value, "")


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
        for number in self.criteria:
            key = str(number)
            self.fields[key] = fields.Field(
                attribute=None, column_name=key, widget=ResultWidget(), readonly=False
            )
        self.changes: dict[int, list] = {}

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
        instance._imported_results = {
            int(key): row[key] for key in row if key.isdigit() and int(key) in self.criteria
        }

    def _existing_results(self, instance) -> dict[int, str]:
        if instance.pk is None:
            return {}
        return dict(instance.results.values_list("criterion__number", "status"))

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None:
            return False
        existing = self._existing_results(instance)
        changed = [
            (n, existing.get(n), s)
            for n, s in sorted(instance._imported_results.items())
            if existing.get(n) != s
        ]
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
        self.write_results(instance, instance._imported_results)

    def write_results(self, assessment, results: dict[int, str]):
        """Replace the assessment's results for the criteria in the file (others stay)."""
        CriterionResult.objects.filter(
            assessment=assessment, criterion__number__in=list(results)
        ).delete()
        CriterionResult.objects.bulk_create(
            CriterionResult(assessment=assessment, criterion=self.criteria[n], status=s)
            for n, s in results.items()
        )

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
                    *[MARK_FOR_STATUS.get(marks.get(n), "") for n in numbers],
                    sum(1 for s in marks.values() if s == ResultStatus.MET),
                ]
            )
        return header, rows
