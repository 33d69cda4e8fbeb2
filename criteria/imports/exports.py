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
from criteria.models import Assessment, CriteriaSet

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
