"""The dashboard's matrix as an Excel workbook, laid out like the offices' summary sheets:
title rows (area, set, as-of date), a header of criterion numbers, one row per commune with
its assessment date, a totals row; the marks coloured, columns fitted to their text, the
header frozen and printed on every page, and a legend sheet.

Each commune row carries the date of the assessment its marks come from: re-imported, the
sheet then changes nothing (the "as of" line is when the figures were read, not when the
communes were assessed)."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from communes.enums import ResultStatus

from .dashboard import EXPORT_MARKS, Dashboard

# A spreadsheet evaluates a cell starting with one of these as a formula (or, for tab and
# carriage return, may shift it into one): OWASP "CSV injection".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Fills of the marks, as on the dashboard (light tints, so that the text stays readable
# when printed in black and white).
MARK_FILLS = {
    "Đ": PatternFill("solid", start_color="FFC6E7CE", end_color="FFC6E7CE"),
    "CBĐ": PatternFill("solid", start_color="FFFCE8B2", end_color="FFFCE8B2"),
    "CĐ": PatternFill("solid", start_color="FFF4C7C3", end_color="FFF4C7C3"),
}
HEADER_FILL = PatternFill("solid", start_color="FFE3ECE6", end_color="FFE3ECE6")
# Column widths in characters: at least the header's, at most a long commune name's.
MIN_WIDTH, MAX_WIDTH = 4, 40


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

    # One text per title line, in column A, so that it runs over the empty cells beside it
    # instead of being cut at the narrow code column.
    if dashboard.is_province:
        row(dashboard.unit.name)
    else:
        row(f"{dashboard.unit.name}, {dashboard.province.name}")
    if dashboard.criteria_set:
        row(f"{dashboard.criteria_set.name} ({dashboard.criteria_set.code})")
    else:
        row(_("No criteria set"))
    row(_("As of %(date)s") % {"date": dashboard.as_of.strftime("%d/%m/%Y")})
    n = len(dashboard.criteria)
    header = [
        _("Code"),
        _("Commune"),
        *[c.number for c in dashboard.criteria],
        _("Number of criteria met"),
        _("Assessment date"),
    ]
    row(*header)
    header_row = sheet.max_row
    for row_data in dashboard.rows:
        assessment = row_data.assessment
        row(
            row_data.commune.code,
            row_data.commune.name,
            *[EXPORT_MARKS[s] or None for s in row_data.cells],
            row_data.met_count if assessment else None,
            assessment.assessed_on if assessment else None,
        )
    row(
        "",
        _("Communes meeting the criterion"),
        *[share_met(dashboard, i) for i in range(n)],
        sum(r.met_count for r in dashboard.assessed_rows),
    )
    date_column = n + 4
    for (cell,) in sheet.iter_rows(
        min_row=header_row + 1, min_col=date_column, max_col=date_column
    ):
        cell.number_format = "DD/MM/YYYY"
    for cells in sheet.iter_rows(min_row=header_row + 1, min_col=3, max_col=n + 2):
        for cell in cells:
            cell.alignment = Alignment(horizontal="center")
            if fill := MARK_FILLS.get(cell.value):
                cell.fill = fill
    for cell in sheet[1]:
        cell.font = Font(bold=True, size=13)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cell in (*sheet[header_row], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    for cell in sheet[header_row]:
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = HEADER_FILL
    sheet.row_dimensions[header_row].height = 45  # three lines of a wrapped header
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    _fit_columns(sheet, header_row, title_rows=header_row - 1)
    _print_setup(sheet, header_row)
    _communes_sheet(workbook.create_sheet(_("Communes")[:31]), dashboard)
    _legend_sheet(workbook.create_sheet(_("Legend")[:31]), dashboard)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fit_columns(sheet, header_row: int, *, title_rows: int) -> None:
    """Each column as wide as its longest value below the title rows (the title's long
    lines overflow into the empty cells beside them), within MIN_WIDTH and MAX_WIDTH."""
    widths: dict[int, int] = {}
    for cells in sheet.iter_rows(min_row=title_rows + 1):
        for cell in cells:
            if cell.value is None:
                continue
            text = (
                cell.value.strftime("%d/%m/%Y") if hasattr(cell.value, "strftime") else cell.value
            )
            # A wrapped header counts by its longest word, on at most three lines.
            words = str(text).split() or [""]
            longest = max(len(word) for word in words)
            header_width = max(longest, -(-len(str(text)) // 3))
            length = header_width if cell.row == header_row else len(str(text))
            widths[cell.column] = max(widths.get(cell.column, 0), length)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )


def _print_setup(sheet, header_row: int | None) -> None:
    """A4 landscape, one page wide, the title and header rows repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if header_row:
        sheet.print_title_rows = f"1:{header_row}"


def _legend_sheet(sheet, dashboard: Dashboard) -> None:
    """What the marks, colours and counts of the other sheets mean."""

    def row(*values):
        sheet.append([neutralise(v) for v in values])

    row(_("Legend"))
    row(
        dashboard.unit.name,
        dashboard.criteria_set.name if dashboard.criteria_set else _("No criteria set"),
    )
    row(_("As of %(date)s") % {"date": dashboard.as_of.strftime("%d/%m/%Y")})
    row()
    row(_("Mark"), _("Meaning"))
    marks_row = sheet.max_row
    row("Đ", _("met"))
    row("CBĐ", _("basically met"))
    row("CĐ", _("not met"))
    row(_("(blank)"), _("not assessed: no public assessment of the commune has a result for it"))
    for (cell,) in sheet.iter_rows(min_row=marks_row + 1, max_row=marks_row + 3, max_col=1):
        cell.fill = MARK_FILLS[cell.value]
        cell.alignment = Alignment(horizontal="center")
    row()
    row(
        _("Number of criteria met"),
        _("criteria marked Đ in the commune's latest public assessment on or before the date"),
    )
    row(_("Assessment date"), _("the date of that assessment"))
    row(
        _("Communes meeting the criterion"),
        _("communes of the area whose latest public assessment marks the criterion Đ"),
    )
    for cell in (*sheet[1], *sheet[marks_row]):
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 80
    _print_setup(sheet, None)


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
    row(f"{dashboard.unit.name}: {_('Criteria met per set')}")
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
    for cell in sheet[header_row]:
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = HEADER_FILL
    sheet.row_dimensions[header_row].height = 45
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    _fit_columns(sheet, header_row, title_rows=header_row - 1)
    _print_setup(sheet, header_row)


def share_met(dashboard: Dashboard, index: int) -> int:
    return sum(1 for r in dashboard.rows if r.cells[index] == ResultStatus.MET)
