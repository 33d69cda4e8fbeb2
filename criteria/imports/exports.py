"""Workbooks the portal hands out: exports of a set's assessments (matrix and long format) and
blank templates for each import, all generated from the database so that they re-import.

Text that a spreadsheet would run as a formula is neutralised with a leading apostrophe, and
the importers drop that apostrophe again (values.unescape_text), so an export round-trips.
"""

from __future__ import annotations

import io

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from communes.selectors import communes_for_user, unit_scope_q
from criteria.models import Assessment, CriteriaSet, Indicator, Threshold

from .resources import AssessmentResource
from .values import neutralise

BOLD = Font(bold=True)


def _workbook(title: str, sheet_title: str, header, rows, *, widths=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    ws.append([neutralise(title)])
    ws["A1"].font = BOLD
    ws.append([])
    ws.append([neutralise(v) for v in header])
    for cell in ws[3]:
        cell.font = BOLD
    for row in rows:
        ws.append([neutralise(v) for v in row])
    ws.freeze_panes = "A4"
    for i, width in enumerate(widths or [], 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def assessments_for_user(user, criteria_set: CriteriaSet):
    """The set's commune assessments the user may see, whatever their status."""
    return Assessment.objects.filter(unit_scope_q(user), criteria_set=criteria_set)


def assessments_workbook(*, criteria_set: CriteriaSet, fmt: str, user) -> bytes:
    """The user's assessments against ``criteria_set`` as an xlsx in the matrix or long
    format, ready to be corrected and imported again."""
    resource = AssessmentResource(criteria_set=criteria_set)
    queryset = assessments_for_user(user, criteria_set)
    if fmt == "long":
        header, rows = resource.export_long_rows(queryset)
        widths = [10, 28, 22, 14, 9, 12, 9, 12, 40]
    else:
        header, rows = resource.export_rows(queryset)
        widths = [10, 28, 14]
    return _workbook(criteria_set.name, criteria_set.display_name[:31], header, rows, widths=widths)


def communes_for_template(user, *, province=None, district=None):
    communes = communes_for_user(user).select_related("district")
    if district is not None:
        communes = communes.filter(district=district)
    elif province is not None:
        communes = communes.filter(province=province)
    return communes.order_by("code")


def set_workbook(criteria_set: CriteriaSet | None = None) -> bytes:
    """The workbook the set import reads: the set's own rows when given (its export), else
    an empty template with the headers only."""
    from .sets import COLUMNS

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {kind: wb.create_sheet(kind) for kind in COLUMNS}
    for kind, ws in sheets.items():
        ws.append(list(COLUMNS[kind]))
        for cell in ws[1]:
            cell.font = BOLD
    if criteria_set is not None:
        s = criteria_set
        sheets["set"].append(
            [neutralise(v) for v in (
                s.code, s.name, s.name_en, s.short_name, s.level, s.title, s.legal_basis,
                s.valid_from, s.valid_to, s.province.code if s.province_id else "",
                s.prerequisite.code if s.prerequisite_id else "", s.declared_criteria_count,
                s.declared_indicator_count, s.verification_summary, s.sources, s.notes,
            )]
        )  # fmt: skip
        for c in s.criteria.order_by("number"):
            sheets["criteria"].append(
                [neutralise(v) for v in (
                    c.number, c.name, c.name_en, c.group, c.verification, c.source, c.note,
                )]
            )  # fmt: skip
        indicators = Indicator.objects.filter(criterion__criteria_set=s).select_related("criterion")
        for i in indicators.order_by("criterion__number", "order", "code"):
            sheets["indicators"].append(
                [neutralise(v) for v in (
                    i.criterion.number, i.code, i.order, i.name, i.unit, i.kind, i.comparison,
                    i.verification, i.source, i.reference_note,
                )]
            )  # fmt: skip
        thresholds = Threshold.objects.filter(indicator__criterion__criteria_set=s).select_related(
            "indicator__criterion", "province"
        )
        for t in thresholds.order_by("indicator__criterion__number", "indicator__code", "pk"):
            sheets["thresholds"].append(
                [neutralise(v) for v in (
                    t.indicator.criterion.number, t.indicator.code, t.scope, t.region,
                    t.commune_group, t.province.code if t.province_id else "", t.year,
                    t.value, t.value_text, t.verification, t.source, t.note,
                )]
            )  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def matrix_template(*, criteria_set: CriteriaSet, communes) -> bytes:
    """A summary sheet to fill in: the set's criteria as columns, the communes as rows."""
    numbers = list(criteria_set.criteria.order_by("number").values_list("number", flat=True))
    header = ["Mã ĐVHC", "Đơn vị", "Ngày đánh giá", *[str(n) for n in numbers], "Số tiêu chí đạt"]
    rows = [[c.code, c.name] for c in communes]
    return _workbook(
        criteria_set.name, criteria_set.display_name[:31], header, rows, widths=[10, 28, 14]
    )


def long_template(*, criteria_set: CriteriaSet | None = None) -> bytes:
    from .resources import LONG_HEADER

    title = criteria_set.name if criteria_set else "Kết quả đánh giá theo tiêu chí"
    return _workbook(title, "Danh sách", LONG_HEADER, [], widths=[10, 28, 22, 14, 9, 12, 9, 12, 40])


def units_template() -> bytes:
    from communes.resources import COLUMNS

    wb = openpyxl.Workbook()
    wb.active.title = "units"
    wb.active.append(list(COLUMNS))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
