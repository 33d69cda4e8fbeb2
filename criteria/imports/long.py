"""Read assessments in the long format: one row per unit × criterion (optionally indicator),

    code and/or name | district, province (optional) | set code (optional) | date |
    criterion | indicator code (optional) | result mark | value | note

and group the rows into one dataset row per commune and date, in the shape the
AssessmentResource imports (see resources.py). Like matrix.py, it writes nothing and remembers
where every value came from.
"""

from __future__ import annotations

import datetime

import tablib
from django.utils.translation import gettext as _

from communes.enums import ResultStatus
from criteria.models import CriteriaSet, Indicator

from .errors import CellError, ImportFileError, MissingDateError
from .matching import CommuneMatcher, MatchError, clean_code
from .matrix import (
    HEADER_SEARCH_ROWS,
    ParsedSheet,
    criterion_for_header,
    finish_sheet,
    no_dates_in,
    uncached_formula_message,
)
from .reader import Book, Sheet
from .resources import indicator_key, note_key
from .values import fold, parse_date, parse_mark, parse_number, parse_yes_no, unescape_text

# Which column a header label names. The first rule that matches wins, so the more specific
# labels come first ("Mã bộ tiêu chí" is the set, "Mã chỉ tiêu" the indicator, "Ngày đánh giá"
# the date, not the result).
LABEL_RULES = (
    ("set", lambda label: "bo tieu chi" in label or label in ("set", "criteria set")),
    ("indicator", lambda label: "chi tieu" in label or "indicator" in label),
    ("date", lambda label: "ngay" in label or "date" in label),
    ("criterion", lambda label: "tieu chi" in label or "criterion" in label or label == "tc"),
    (
        "status",
        lambda label: (
            "ket qua" in label or "danh gia" in label or label in ("status", "result", "muc dat")
        ),
    ),
    ("value", lambda label: "gia tri" in label or "so lieu" in label or label == "value"),
    ("note", lambda label: "ghi chu" in label or label in ("note", "notes")),
    ("code", lambda label: label == "ma" or label.startswith("ma ") or "code" in label),
    ("province", lambda label: label.startswith("tinh") or "province" in label),
    ("district", lambda label: "huyen" in label or "district" in label),
    (
        "name",
        lambda label: (
            "ten" in label or "don vi" in label or label in ("xa", "commune", "name", "unit")
        ),
    ),
)


def find_long_columns(sheet: Sheet) -> tuple[int, dict[str, int]]:
    """The header row (1-based) and {column kind: column}. Raises ImportFileError."""
    for r in range(1, min(sheet.n_rows, HEADER_SEARCH_ROWS) + 1):
        columns: dict[str, int] = {}
        for c in range(1, sheet.n_cols + 1):
            label = fold(sheet.header_value(r, c))
            if not label:
                continue
            for kind, rule in LABEL_RULES:
                if rule(label):
                    columns.setdefault(kind, c)
                    break
        if "criterion" in columns and ("code" in columns or "name" in columns):
            return r, columns
    raise ImportFileError(
        _(
            "No header row found in the sheet “%(sheet)s”: one row within the first %(n)s must "
            "name the columns “Mã ĐVHC” or “Đơn vị”, “Tiêu chí” and “Kết quả”."
        )
        % {"sheet": sheet.title, "n": HEADER_SEARCH_ROWS}
    )


def choose_long_sheet(book: Book, sheet_name: str | None) -> Sheet:
    if sheet_name:
        return book.get(sheet_name)
    first_error = None
    for sheet in book.visible():
        if sheet.is_empty:
            continue
        try:
            find_long_columns(sheet)
            return sheet
        except ImportFileError as error:
            first_error = first_error or error
    raise first_error or ImportFileError(_("The file holds no data."))


def _set_for_file(sheet, header_row, columns, chosen, allowed_sets) -> CriteriaSet:
    """The one set the file is about: chosen in the form, or named in the set column."""
    codes = set()
    if "set" in columns:
        for r in range(header_row + 1, sheet.n_rows + 1):
            value = sheet.value(r, columns["set"])
            if value not in (None, ""):
                codes.add(str(value).strip().upper())
    if chosen is not None:
        return chosen
    if not codes:
        raise ImportFileError(
            _(
                "Choose the criteria set in the form, or add a column “Mã bộ tiêu chí” with the "
                "set's code."
            )
        )
    if len(codes) > 1:
        raise ImportFileError(
            _("The file names several criteria sets (%(codes)s): import one set per file.")
            % {"codes": ", ".join(sorted(codes))}
        )
    (code,) = codes
    found = allowed_sets.filter(code__iexact=code).first()
    if found is None:
        raise ImportFileError(
            _("There is no criteria set with the code “%(code)s” that you may import into.")
            % {"code": code}
        )
    return found


def parse_long(
    book: Book,
    *,
    criteria_set: CriteriaSet | None,
    allowed_sets,
    matcher: CommuneMatcher,
    assessed_on: datetime.date | None = None,
    sheet_name: str | None = None,
) -> ParsedSheet:
    sheet = choose_long_sheet(book, sheet_name)
    header_row, columns = find_long_columns(sheet)
    criteria_set = _set_for_file(sheet, header_row, columns, criteria_set, allowed_sets)
    if assessed_on is None and no_dates_in(sheet, header_row, columns.get("date")):
        raise MissingDateError(
            _(
                "The assessment date is missing: choose it here, or fill in the sheet's "
                "column “Ngày đánh giá”."
            )
        )
    notices: list[str] = []
    if "status" not in columns:
        # Without the column every result would be blank: say that none is read, rather
        # than store indicators as not met.
        notices.append(
            _(
                "The sheet has no “Kết quả” column: no criterion result is read, and "
                "indicator values are stored without a met / not met mark."
            )
        )
    criteria = {c.number: c for c in criteria_set.criteria.all()}
    by_name = {fold(c.name): c.number for c in criteria.values()}
    indicators: dict[str, list[Indicator]] = {}
    for indicator in Indicator.objects.filter(criterion__criteria_set=criteria_set).select_related(
        "criterion"
    ):
        indicators.setdefault(fold(indicator.code), []).append(indicator)

    errors: list[CellError] = []
    skipped: list[tuple[int, str]] = []
    labels: dict[int, str] = {}
    # (commune code, date) -> {"first": sheet row, "values": {key: value}, "positions": ...}
    groups: dict[tuple[str, datetime.date], dict] = {}
    seen: dict[tuple[str, datetime.date, str], int] = {}
    bad_groups: set[tuple[str, datetime.date]] = set()

    def col(kind):
        return columns.get(kind)

    def cell(r, kind):
        return sheet.value(r, columns[kind]) if kind in columns else None

    def error(r, c, message):
        errors.append(CellError(sheet.title, r, c, sheet.value(r, c) if c else None, message))

    unit_col = col("code") or col("name")
    for r in range(header_row + 1, sheet.n_rows + 1):
        values = sheet.rows[r - 1]
        if all(v is None for v in values):
            continue
        n_errors = len(errors)
        for c in columns.values():
            if (r, c) in sheet.uncached:
                error(r, c, uncached_formula_message())
        code, name = cell(r, "code"), cell(r, "name")
        if code is not None or name is not None:
            labels[r] = " ".join(str(v) for v in (code, name) if v is not None)
        if code is None and name is None:
            skipped.append((r, str(next((v for v in values if v is not None), ""))))
            continue
        set_code = cell(r, "set")
        if (
            set_code not in (None, "")
            and str(set_code).strip().upper() != criteria_set.code.upper()
        ):
            error(
                r,
                col("set"),
                _("This row is for the set “%(code)s”, but the file imports into “%(set)s”.")
                % {"code": set_code, "set": criteria_set.code},
            )
        day = assessed_on
        if cell(r, "date") is not None:
            try:
                day = parse_date(cell(r, "date"))
            except ValueError as e:
                error(r, col("date"), str(e))
                day = None
        elif day is None:
            error(r, col("date"), _("The row has no date."))
        commune = None
        try:
            commune = matcher.match(
                code=code,
                name=name,
                district=cell(r, "district"),
                province=cell(r, "province"),
                on=day,
            )
        except MatchError as e:
            error(r, col("code") if e.field == "code" and col("code") else unit_col, str(e))
        # Which criterion, and which indicator if any.
        number, indicator = None, None
        raw_indicator = cell(r, "indicator")
        if cell(r, "criterion") is not None:
            number = criterion_for_header(cell(r, "criterion"), by_name, set(criteria))
            if number is None:
                error(
                    r,
                    col("criterion"),
                    _("There is no criterion “%(value)s” in the set “%(set)s”.")
                    % {"value": cell(r, "criterion"), "set": criteria_set.display_name},
                )
        if raw_indicator not in (None, ""):
            candidates = indicators.get(fold(clean_code(raw_indicator, 0)), [])
            if number is not None:
                candidates = [i for i in candidates if i.criterion.number == number]
            if len(candidates) == 1:
                indicator = candidates[0]
                number = indicator.criterion.number
            else:
                error(
                    r,
                    col("indicator"),
                    _("There is no indicator “%(code)s” under this criterion in the set “%(set)s”.")
                    % {"code": raw_indicator, "set": criteria_set.display_name},
                )
        elif number is None and cell(r, "criterion") is None:
            error(r, col("criterion"), _("The row names no criterion."))
        status = None
        try:
            status = parse_mark(cell(r, "status"))
        except ValueError as e:
            error(r, col("status"), str(e))
        if indicator is not None and status == ResultStatus.BASICALLY_MET:
            error(
                r,
                col("status"),
                _("An indicator is met or not met (Đ or CĐ); “basically met” is for criteria."),
            )
        value = cell(r, "value")
        parsed_value = None
        if value is not None and indicator is None and number is not None:
            error(
                r,
                col("value"),
                _("A value belongs to an indicator: add the indicator code in this row."),
            )
        elif value is not None and indicator is not None:
            try:
                if indicator.kind == "numeric":
                    parsed_value = parse_number(value)
                else:
                    parsed_value = parse_yes_no(value)
            except ValueError as e:
                error(r, col("value"), str(e))
        note = unescape_text(cell(r, "note"))
        if commune is None or day is None:
            continue
        group_key = (commune.code, day)
        item = indicator_key(indicator.code) if indicator else str(number)
        if len(errors) > n_errors:
            bad_groups.add(group_key)
            continue
        if (commune.code, day, item) in seen:
            error(
                r,
                col("indicator") if indicator else col("criterion"),
                _("This criterion or indicator of %(unit)s is already on row %(row)s.")
                % {"unit": commune.name, "row": seen[(commune.code, day, item)]},
            )
            bad_groups.add(group_key)
            continue
        seen[(commune.code, day, item)] = r
        group = groups.setdefault(group_key, {"first": r, "values": {}, "positions": {}})
        group["positions"].setdefault("commune", (r, unit_col))
        group["positions"].setdefault("assessed_on", (r, col("date") or unit_col))
        if indicator is None:
            group["values"][item] = status
            group["positions"][item] = (r, col("status") or col("criterion"))
            if "note" in columns:
                group["values"][note_key(number)] = note
        else:
            group["values"][item] = status
            group["positions"][item] = (r, col("status") or col("indicator"))
            if "value" in columns:
                group["values"][indicator_key(indicator.code, "value")] = (
                    "" if parsed_value is None else parsed_value
                )
            if "note" in columns:
                group["values"][indicator_key(indicator.code, "note")] = note

    keys = sorted({k for g in groups.values() for k in g["values"]}, key=_column_order)
    dataset = tablib.Dataset(headers=["row", "commune", "assessed_on", *keys])
    positions = []
    for (code, day), group in groups.items():
        if (code, day) in bad_groups:
            continue
        dataset.append(
            [group["first"], code, day.isoformat(), *[group["values"].get(k) for k in keys]]
        )
        positions.append({"row": (group["first"], None), **group["positions"]})
    return finish_sheet(
        sheet,
        dataset,
        positions=positions,
        errors=errors,
        skipped=skipped,
        criteria_set=criteria_set,
        labels=labels,
        notices=notices,
        empty_message=_("The sheet “%(sheet)s” has a header row but no rows below it."),
    )


def _column_order(key: str):
    """Criteria by number (each with its note), then indicators by code."""
    head = key.split(":")[0]
    return (0, int(head), key) if head.isdigit() else (1, 0, key)
