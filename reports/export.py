"""The dashboard's matrix as an Excel workbook, laid out like the offices' summary sheets:
title rows, a header of criterion numbers, one row per commune, a totals row."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from communes.enums import ResultStatus

from .dashboard import EXPORT_MARKS, Dashboard

# A spreadsheet evaluates a cell starting with one of these as a formula (or, for tab and
# carriage return, may shift it into one): OWASP "CSV injection".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` with a leading quote when Excel could read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def dashboard_workbook(dashboard: Dashboard) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Matrix")[:31]

    def row(*values):
        sheet.append([neutralise(v) for v in values])

    if dashboard.is_province:
        row(dashboard.unit.name)
    else:
        row(dashboard.unit.name, dashboard.province.name)
    if dashboard.criteria_set:
        row(dashboard.criteria_set.name, dashboard.criteria_set.code)
    else:
        row(_("No criteria set"))
    row(_("As of %(date)s") % {"date": dashboard.as_of.strftime("%d/%m/%Y")})
    header = [_("Code"), _("Commune"), *[c.number for c in dashboard.criteria], _("Met")]
    row(*header)
    header_row = sheet.max_row
    for row_data in dashboard.rows:
        row(
            row_data.commune.code,
            row_data.commune.name,
            *[EXPORT_MARKS[s] or None for s in row_data.cells],
            row_data.met_count if row_data.assessment else None,
        )
    row(
        "",
        _("Communes meeting the criterion"),
        *[share_met(dashboard, i) for i in range(len(dashboard.criteria))],
        sum(r.met_count for r in dashboard.assessed_rows),
    )
    for cell in (*sheet[1], *sheet[header_row], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    for cell in sheet[header_row]:
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    _communes_sheet(workbook.create_sheet(_("Communes")[:31]), dashboard)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _communes_sheet(sheet, dashboard: Dashboard) -> None:
    """The per-commune table: for each set any commune is tracked on, the criteria met in the
    latest public assessment (out of the set's total, named in the header) and its date."""

    def row(*values):
        sheet.append([neutralise(v) for v in values])

    sets = dashboard.table_sets
    totals = {}
    for commune_row in dashboard.rows:
        for assessment in commune_row.all_sets:
            totals[assessment.criteria_set_id] = assessment.criteria_total
    row(dashboard.unit.name, _("Criteria met per set"))
    row(_("As of %(date)s") % {"date": dashboard.as_of.strftime("%d/%m/%Y")})
    header = [_("Code"), _("Commune")]
    for criteria_set in sets:
        name = criteria_set.short_name or criteria_set.code
        header += [f"{name} (/{totals[criteria_set.pk]})", _("%(set)s: date") % {"set": name}]
    row(*header, _("Recognitions"))
    header_row = sheet.max_row
    for commune_row in dashboard.rows:
        by_set = {a.criteria_set_id: a for a in commune_row.all_sets}
        values = []
        for criteria_set in sets:
            assessment = by_set.get(criteria_set.pk)
            values += [
                assessment.criteria_met if assessment else None,
                assessment.assessed_on if assessment else None,
            ]
        recognitions = ", ".join(
            f"{r.get_title_display()} {r.decided_on:%Y}" for r in commune_row.recognitions
        )
        row(commune_row.commune.code, commune_row.commune.name, *values, recognitions)
    for cell in (*sheet[1], *sheet[header_row]):
        cell.font = Font(bold=True)
    for column in range(4, 3 + 2 * len(sets), 2):
        for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=column, max_col=column):
            cell.number_format = "DD/MM/YYYY"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)


def share_met(dashboard: Dashboard, index: int) -> int:
    return sum(1 for r in dashboard.rows if r.cells[index] == ResultStatus.MET)
