"""The shape of an assessment import, and the django-import-export resource of the exports.

Whatever the file looked like, the parsers (matrix.py, long.py) turn a sheet into rows of
this shape

    row | commune (GSO code) | assessed_on (ISO) | <criterion number> ... (ResultStatus)

plus, from the long format, "<n>:note" and the indicator columns of indicator_key(). A None
cell means "the file says nothing about this". plan.py finds, compares, validates and writes
them in bulk (it says why imports no longer go through this resource). Exports write the same
marks (MARK_FOR_STATUS), so an export re-imports without changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from import_export import fields, resources, widgets

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import Commune
from criteria.models import Assessment, CriteriaSet, CriterionResult, IndicatorValue

from .values import MARK_FOR_STATUS, NOT_ASSESSED

# Assessments an import may overwrite: drafts and approved history brought in earlier.
# Anything else is in the district/province workflow and is not an import's to change.
# Figures a unit reported (a public source, never verified) give way to an office's sheet.
OVERWRITABLE = (AssessmentStatus.DRAFT, AssessmentStatus.APPROVED, AssessmentStatus.REPORTED)


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
    def from_row(cls, row, criteria, indicators, keys=None) -> Imported:
        """``keys``: keys_of(row, ...) for rows that all have the same keys (a dataset's)."""
        imported = cls()
        for key, kind, arg in cls.keys_of(row, criteria, indicators) if keys is None else keys:
            value = row[key]
            if value is None:
                continue
            if kind == "result":
                imported.results[arg] = value
            elif kind == "note":
                imported.notes[arg] = value
            else:
                code, part = arg
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

    @staticmethod
    def keys_of(row, criteria, indicators) -> list[tuple[str, str, object]]:
        """What each key of a row holds: (key, "result", number), (key, "note", number) or
        (key, "indicator", (code, part)); keys of nothing imported are left out."""
        keys = []
        for key in row:
            if key.isdigit() and int(key) in criteria:
                keys.append((key, "result", int(key)))
            elif key.endswith(":note") and key[:-5].isdigit():
                keys.append((key, "note", int(key[:-5])))
            elif key.startswith("i:"):
                code, _sep, part = key[2:].partition(":")
                if code in indicators:
                    keys.append((key, "indicator", (code, part)))
        return keys


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

    def __init__(self, *, criteria_set: CriteriaSet):
        super().__init__()
        self.criteria_set = criteria_set
        self.criteria = {c.number: c for c in criteria_set.criteria.all()}
        for number in self.criteria:
            key = str(number)
            self.fields[key] = fields.Field(
                attribute=None, column_name=key, widget=ResultWidget(), readonly=False
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
                shown = indicator_value(value)
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


def indicator_value(value: IndicatorValue):
    """The number or yes/no of an indicator value, as imports compare it."""
    return value.value_bool if value.value_bool is not None else value.value_number
