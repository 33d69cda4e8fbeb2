"""Read assessments from a summary sheet as the offices keep them ("matrix" format): title
rows, a header row holding the criterion numbers or names (often under a merged group label),
then one row per commune with Đ / CĐ / CBĐ marks, optional total columns, a "Tổng cộng" row and
footnotes.

The parser does not write anything: it turns the sheet into a tablib Dataset in the shape the
AssessmentResource imports, remembering which sheet cell every value came from so that errors
found later point at the right cell.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import tablib
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet

from .errors import CellError, ImportFileError, MissingDateError
from .matching import CommuneMatcher, MatchError
from .reader import Book, Sheet
from .values import fold, parse_date, parse_mark, parse_number

HEADER_SEARCH_ROWS = 40
_NUMBERED = re.compile(r"^(?:tc|tieu chi|tieu chi so|chi tieu)?\s*(\d{1,3})(?:[.)]|\s|$)")
_AS_OF = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# Rows below the data that are not communes (the last two: the totals row of a dashboard
# export, in Vietnamese and in English).
_SKIP_PREFIXES = (
    "tong cong",
    "tong so",
    "cong",
    "ghi chu",
    "nguon",
    "luu y",
    "total",
    "note",
    "so xa dat",
    "communes meeting",
)


@dataclass
class Columns:
    criteria: dict[int, int] = field(default_factory=dict)  # criterion number -> column
    code: int | None = None
    name: int | None = None
    district: int | None = None
    total: int | None = None
    date: int | None = None


@dataclass
class ParsedSheet:
    """A sheet turned into rows for the resource. ``positions`` maps each dataset row index to
    {dataset header: (sheet row, sheet column)} (a mapping with ``[]`` and ``get``)."""

    sheet: str
    dataset: tablib.Dataset
    positions: list[Mapping[str, tuple[int, int | None]]]
    errors: list[CellError]
    skipped: list[tuple[int, str]]
    criteria: list[int]
    criteria_set: CriteriaSet | None = None
    # Sheet row -> the unit as written (code or name), so that a row rejected while reading
    # can still be named in the preview.
    labels: dict[int, str] = field(default_factory=dict)
    # The sheet itself, so that an error found later shows the value of the very cell it
    # points at.
    source: Sheet | None = None
    # Rows of a commune with no mark at all: nothing to write (an untouched template).
    blank: list[tuple[int, str]] = field(default_factory=list)
    # What the user must know about how the file was read (e.g. where the date came from).
    notices: list[str] = field(default_factory=list)

    def cell_value(self, row: int | None, column: int | None):
        if self.source is None or not row or not column:
            return None
        return self.source.value(row, column)


def uncached_formula_message() -> str:
    return _(
        "This formula has no saved result. Open the file in Excel, let it calculate, save "
        "it, and upload it again (or type the value)."
    )


def no_dates_in(sheet: Sheet, header_row: int, date_column: int | None) -> bool:
    """Whether the sheet gives no date in its rows: no date column, or an empty one (the
    portal's own templates)."""
    return date_column is None or all(
        sheet.value(r, date_column) in (None, "") for r in range(header_row + 1, sheet.n_rows + 1)
    )


def finish_sheet(
    sheet: Sheet,
    dataset: tablib.Dataset,
    *,
    positions,
    errors: list[CellError],
    skipped: list[tuple[int, str]],
    criteria_set: CriteriaSet,
    labels: dict[int, str],
    notices: list[str],
    blank: list[tuple[int, str]] | None = None,
    empty_message: str,
) -> ParsedSheet:
    """The ParsedSheet of a summary sheet or a list, once its rows are read; raises
    ImportFileError (``empty_message``) for a sheet with nothing below its header: no row
    to write, no error, no commune left blank."""
    blank = blank or []
    if not dataset and not errors and not blank:
        raise ImportFileError(empty_message % {"sheet": sheet.title})
    return ParsedSheet(
        sheet.title,
        dataset,
        positions,
        errors,
        skipped,
        # The criteria numbers of the dataset's columns ("1", "2", ...; not indicators).
        sorted({int(h) for h in dataset.headers if h.isdigit()}),
        criteria_set,
        labels,
        source=sheet,
        blank=blank,
        notices=notices,
    )


def criterion_for_header(value, by_name: dict[str, int], numbers: set[int]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() and int(value) in numbers else None
    folded = fold(value)
    if m := _NUMBERED.match(folded):
        number = int(m.group(1))
        return number if number in numbers else None
    return by_name.get(folded)


def find_columns(sheet: Sheet, criteria_set: CriteriaSet) -> tuple[int, Columns]:
    """The header row (1-based) and what each column holds. Raises ImportFileError."""
    criteria = list(criteria_set.criteria.all())
    numbers = {c.number for c in criteria}
    by_name = {fold(c.name): c.number for c in criteria}
    best_row, best = None, {}
    n_cols = sheet.n_cols  # the widest row: a pass over the whole sheet
    for r in range(1, min(sheet.n_rows, HEADER_SEARCH_ROWS) + 1):
        found = {}
        for c in range(1, n_cols + 1):
            number = criterion_for_header(sheet.value(r, c), by_name, numbers)
            if number is not None and number not in found:
                found[number] = c
        if len(found) > len(best):
            best_row, best = r, found
    # A criteria list printed down a column puts one number per row: a header needs several.
    if best_row is None or len(best) < min(3, len(numbers)):
        raise ImportFileError(
            _(
                "No header row found in the sheet “%(sheet)s”: one row within the first "
                "%(n)s must hold the criterion numbers (1, 2, …) or names of the set "
                "“%(set)s”."
            )
            % {"sheet": sheet.title, "n": HEADER_SEARCH_ROWS, "set": criteria_set.display_name}
        )
    columns = Columns(criteria=best)
    taken = set(best.values())
    for c in range(1, n_cols + 1):
        if c in taken:
            continue
        labels = [fold(sheet.header_value(best_row, c))]
        if best_row > 1:
            labels.append(fold(sheet.header_value(best_row - 1, c)))
        label = " ".join(x for x in labels if x)
        if not label:
            continue
        if (
            columns.total is None
            and ("dat" in label and ("so" in label or "tong" in label))
            or columns.total is None
            and label.startswith("total")
        ):
            columns.total = c
        elif columns.code is None and (
            label.startswith("ma ") or label == "ma" or "code" in label or "ma dvhc" in label
        ):
            columns.code = c
        elif columns.district is None and ("huyen" in label or "district" in label):
            columns.district = c
        elif columns.date is None and ("ngay" in label or "date" in label):
            columns.date = c
        elif columns.name is None and (
            "don vi" in label or "ten" in label or label in ("xa", "commune", "name")
        ):
            columns.name = c
    if columns.code is None and columns.name is None:
        raise ImportFileError(
            _(
                "The header row %(row)s of the sheet “%(sheet)s” has no commune column: name one "
                "column “Mã ĐVHC” (GSO code) or “Đơn vị” (name)."
            )
            % {"row": best_row, "sheet": sheet.title}
        )
    return best_row, columns


def sheet_date(sheet: Sheet, header_row: int) -> datetime.date | None:
    """The "as of" date of the title block, e.g. "(Số liệu tính đến ngày 08/5/2024)"."""
    found = sheet_date_line(sheet, header_row)
    return found[0] if found else None


def sheet_date_line(sheet: Sheet, header_row: int) -> tuple[datetime.date, str] | None:
    """The "as of" date of the title block and the text it was read from."""
    for r in range(1, header_row):
        for value in sheet.rows[r - 1]:
            is_as_of = isinstance(value, str) and ("ngay" in fold(value) or "den" in fold(value))
            if is_as_of and (m := _AS_OF.search(value)):
                try:
                    return parse_date(m.group(0)), value.strip()
                except ValueError:
                    return None
    return None


def missing_date_error() -> MissingDateError:
    return MissingDateError(
        _(
            "The assessment date is missing: choose it here, or write it in the sheet (a "
            "“Ngày đánh giá” column, or “Số liệu tính đến ngày dd/mm/yyyy” above the header)."
        )
    )


def choose_sheet(book: Book, criteria_set: CriteriaSet, sheet_name: str | None) -> Sheet:
    """The chosen sheet, or the first visible one with a header row. Hidden sheets are only
    read when chosen by name."""
    if sheet_name:
        return book.get(sheet_name)
    first_error = None
    for sheet in book.visible():
        if sheet.is_empty:
            continue
        try:
            find_columns(sheet, criteria_set)
            return sheet
        except ImportFileError as error:
            first_error = first_error or error
    raise first_error or ImportFileError(_("The file holds no data."))


def parse_matrix(
    book: Book,
    *,
    criteria_set: CriteriaSet,
    matcher: CommuneMatcher,
    assessed_on: datetime.date | None = None,
    sheet_name: str | None = None,
) -> ParsedSheet:
    sheet = choose_sheet(book, criteria_set, sheet_name)
    header_row, columns = find_columns(sheet, criteria_set)
    notices: list[str] = []
    default_date = assessed_on
    if default_date is None and (found := sheet_date_line(sheet, header_row)):
        default_date, line = found
        if columns.date is None:
            # Offices write their assessment date so, but a dashboard export's "Tính đến
            # ngày" is only the date its figures were read: say where the date came from.
            notices.append(
                _(
                    "Every row is taken as assessed on %(date)s, read from “%(line)s” above the "
                    "header. If that is not the assessment date, choose the date in the form."
                )
                % {"date": default_date.strftime("%d/%m/%Y"), "line": line}
            )
    if default_date is None and no_dates_in(sheet, header_row, columns.date):
        # The portal's own template has an empty date column: a question for the form.
        raise missing_date_error()
    numbers = sorted(columns.criteria)
    headers = ["row", "commune", "assessed_on", *[str(n) for n in numbers]]
    data_rows, positions, errors, skipped = [], [], [], []
    blank: list[tuple[int, str]] = []
    labels: dict[int, str] = {}
    seen: dict[tuple[str, datetime.date], int] = {}

    def error(row, col, message):
        errors.append(
            CellError(sheet.title, row, col, sheet.value(row, col) if col else None, message)
        )

    # Every data row is read the same way: the columns, each mark's status and where each
    # value came from are worked out once for the sheet, not once per row (a national sheet
    # has ~10,000 rows of 19 marks).
    in_sheet = list(columns.criteria.items())  # errors come in the order of the cells
    # Where each criterion's status is in the list read in sheet order, by number.
    by_number = [n for n, _c in in_sheet]
    reorder = None if by_number == numbers else [by_number.index(n) for n in numbers]
    used = [c for c in (columns.code, columns.name, columns.total, columns.date) if c]
    checked = [*used, *columns.criteria.values()]
    uncached = sheet.uncached
    width = max([*checked, columns.district or 0])
    unit_col = columns.code or columns.name
    where = {
        "row": None,
        "commune": unit_col,
        "assessed_on": columns.date or unit_col,
        **{str(n): c for n, c in columns.criteria.items()},
    }
    # The status of each distinct mark (a sheet has a handful), or the error it gives.
    marks_read: dict[tuple[type, object], tuple[str | None, str | None]] = {}

    def read_mark(value):
        key = (type(value), value)
        known = marks_read.get(key)
        if known is None:
            try:
                known = (parse_mark(value), None)
            except ValueError as e:
                known = (None, str(e))
            marks_read[key] = known
        return known

    for r in range(header_row + 1, sheet.n_rows + 1):
        values = sheet.rows[r - 1]
        if len(values) < width:  # a short csv line: the missing cells are empty
            values = [*values, *[None] * (width - len(values))]
        code = values[columns.code - 1] if columns.code else None
        name = values[columns.name - 1] if columns.name else None
        if code is None and name is None and all(v is None for v in values):
            continue
        first_text = next((v for v in values if isinstance(v, str)), "")
        label = fold(name if isinstance(name, str) else first_text)
        if label.startswith(_SKIP_PREFIXES) and not code:
            skipped.append((r, str(name or first_text)))
            continue
        if code is not None or name is not None:
            labels[r] = " ".join(str(v) for v in (code, name) if v is not None)
        else:
            if any(values[c - 1] is not None for _n, c in in_sheet):
                error(r, columns.code or columns.name, _("The row has marks but no commune."))
            else:
                skipped.append((r, str(first_text)))
            continue
        if all(
            values[c - 1] is None or (isinstance(values[c - 1], str) and not values[c - 1].strip())
            for _n, c in in_sheet
        ) and not any((r, c) in uncached for _n, c in in_sheet):
            # No mark at all: the row says nothing about the commune.
            blank.append((r, labels[r]))
            continue
        n_errors = len(errors)
        if uncached:
            for c in checked:
                if (r, c) in uncached:
                    error(r, c, uncached_formula_message())
        day = default_date
        if columns.date and values[columns.date - 1] is not None:
            try:
                day = parse_date(values[columns.date - 1])
            except ValueError as e:
                error(r, columns.date, str(e))
                day = None
        elif day is None:
            error(
                r,
                columns.date,
                _("The row has marks but no assessment date: write it here as dd/mm/yyyy."),
            )
        commune = None
        try:
            commune = matcher.match(
                code=code,
                name=name,
                district=values[columns.district - 1] if columns.district else None,
                on=day,
            )
        except MatchError as e:
            col = columns.code if e.field == "code" and columns.code else columns.name
            error(r, col or columns.code, str(e))
        statuses = []
        for _n, c in in_sheet:
            if uncached and (r, c) in uncached:
                continue
            status, message = read_mark(values[c - 1])
            if message is None:
                statuses.append(status)  # None for a blank cell: no change
            else:
                error(r, c, message)
        if (
            columns.total
            and values[columns.total - 1] is not None
            and (r, columns.total) not in uncached
        ):
            _check_total(sheet, r, columns.total, statuses, len(errors) > n_errors, error)
        if commune is not None and day is not None:
            key = (commune.code, day)
            if key in seen:
                error(
                    r,
                    columns.code or columns.name,
                    _("%(unit)s is already on row %(row)s for the same date.")
                    % {"unit": commune.name, "row": seen[key]},
                )
            seen.setdefault(key, r)
        if len(errors) > n_errors:
            continue
        if reorder is not None:
            statuses = [statuses[i] for i in reorder]
        data_rows.append([r, commune.code, day.isoformat(), *statuses])
        positions.append(RowPositions(r, where))
    # Built in one go: Dataset.append checks every row's width, which showed in profiles.
    return finish_sheet(
        sheet,
        tablib.Dataset(*data_rows, headers=headers),
        positions=positions,
        errors=errors,
        skipped=skipped,
        criteria_set=criteria_set,
        labels=labels,
        notices=notices,
        blank=blank,
        empty_message=_("The sheet “%(sheet)s” has a header row but no commune rows below it."),
    )


class RowPositions:
    """{dataset header: (sheet row, sheet column)} of one matrix row, read from the columns
    every row shares instead of a dict per row."""

    __slots__ = ("row", "columns")

    def __init__(self, row: int, columns: dict[str, int | None]):
        self.row, self.columns = row, columns

    def __getitem__(self, key: str) -> tuple[int, int | None]:
        return (self.row, self.columns[key])

    def get(self, key: str, default=None):
        return (self.row, self.columns[key]) if key in self.columns else default


def _check_total(sheet, r, col, statuses, row_has_errors, error):
    """A total column must agree with the marks (``statuses``: those read without error).
    Only Đ counts: offices do not count CBĐ in "Số tiêu chí đạt" (see the Tân Trụ sheet:
    Bình Trinh Đông, 13 with one CBĐ)."""
    value = sheet.value(r, col)
    try:
        total = parse_number(value)
    except ValueError as e:
        error(r, col, str(e))
        return
    if row_has_errors:
        return
    met = sum(1 for s in statuses if s == "met")
    if total != met:
        error(
            r,
            col,
            _(
                "The total says %(total)s, but the marks give %(met)s criteria met (Đ). "
                "Correct the marks or the total; basically met (CBĐ) does not count."
            )
            % {"total": value, "met": met},
        )
