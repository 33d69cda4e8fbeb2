"""Read an uploaded xlsx or csv file into plain rows of values, refusing anything unsafe or
unreadable with a message the user can act on (never an exception the view cannot show).

Limits come from the settings IMPORT_MAX_BYTES, IMPORT_MAX_ROWS and
IMPORT_MAX_UNCOMPRESSED_BYTES.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ImportFileError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted xlsx is an OLE container holding these streams (names are UTF-16 in the file).
ENCRYPTION_MARKER = "EncryptionInfo".encode("utf-16-le")
ALLOWED_EXTENSIONS = (".xlsx", ".csv")


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


def max_uncompressed_bytes() -> int:
    return settings.IMPORT_MAX_UNCOMPRESSED_BYTES


@dataclass
class Sheet:
    title: str
    rows: list[list[object]]
    hidden: bool = False
    # (min_row, min_col, max_row, max_col), 1-based, of every merged range.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    # Formula cells the file holds no computed value for, as (row, column).
    uncached: set[tuple[int, int]] = field(default_factory=set)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int):
        """The value at a 1-based position (None outside the data)."""
        if 1 <= row <= len(self.rows) and 1 <= col <= len(self.rows[row - 1]):
            return self.rows[row - 1][col - 1]
        return None

    def header_value(self, row: int, col: int):
        """Like value(), but a cell inside a merged range reads the range's value: a label
        merged across several columns or rows belongs to each of them."""
        for min_row, min_col, max_row, max_col in self.merged:
            if min_row <= row <= max_row and min_col <= col <= max_col:
                return self.value(min_row, min_col)
        return self.value(row, col)

    @property
    def is_empty(self) -> bool:
        return not any(v not in (None, "") for row in self.rows for v in row)


@dataclass
class Book:
    name: str
    kind: str  # "xlsx" or "csv"
    sheets: list[Sheet]

    def visible(self) -> list[Sheet]:
        return [s for s in self.sheets if not s.hidden]

    def get(self, title: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise ImportFileError(_("The workbook has no sheet named “%(name)s”.") % {"name": title})


def read_book(data: bytes, filename: str) -> Book:
    """Parse ``data`` (the uploaded file's bytes). Raises ImportFileError."""
    lower = (filename or "").lower()
    if not lower.endswith(ALLOWED_EXTENSIONS):
        raise ImportFileError(
            _("Only .xlsx and .csv files can be imported; “%(name)s” is neither.")
            % {"name": filename}
        )
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > max_bytes():
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": _mb(len(data)), "limit": _mb(max_bytes())}
        )
    book = _read_csv(data, filename) if lower.endswith(".csv") else _read_xlsx(data, filename)
    for sheet in book.sheets:
        if sheet.n_rows > max_rows():
            raise ImportFileError(
                _("The sheet “%(sheet)s” has %(rows)s rows; the limit is %(limit)s.")
                % {"sheet": sheet.title, "rows": sheet.n_rows, "limit": max_rows()}
            )
    if all(s.is_empty for s in book.visible()):
        raise ImportFileError(_("The file holds no data."))
    return book


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".replace(".", ",")


def _read_csv(data: bytes, filename: str) -> Book:
    if b"\x00" in data[:4096] or data.startswith((OLE_MAGIC, b"PK")):
        raise ImportFileError(
            _(
                "“%(name)s” is not a CSV text file. Save the sheet as CSV (UTF-8), or upload "
                "the .xlsx."
            )
            % {"name": filename}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The CSV file is not in UTF-8. In Excel choose “CSV UTF-8” when saving.")
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    rows = [[v if v != "" else None for v in r] for r in rows]
    return Book(name=filename, kind="csv", sheets=[Sheet(title=filename, rows=_trim(rows))])


def _read_xlsx(data: bytes, filename: str) -> Book:
    if data.startswith(OLE_MAGIC):
        if ENCRYPTION_MARKER in data:
            raise ImportFileError(
                _("The workbook is password-protected. Remove the password and upload it again.")
            )
        raise ImportFileError(
            _("This is an old Excel 97–2003 (.xls) file. Save it as .xlsx and upload it again.")
        )
    if not data.startswith(b"PK"):
        raise ImportFileError(
            _("“%(name)s” is not an Excel workbook, although its name ends in .xlsx.")
            % {"name": filename}
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(_("The workbook is damaged and cannot be opened.")) from None
    # A few kilobytes of zip can unpack to gigabytes: check the declared sizes before openpyxl
    # inflates anything.
    if sum(i.file_size for i in infos) > max_uncompressed_bytes():
        raise ImportFileError(
            _("The workbook unpacks to more than %(limit)s MB, which is not a normal data sheet.")
            % {"limit": _mb(max_uncompressed_bytes())}
        )
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise ImportFileError(
            _("“%(name)s” is not an Excel workbook, although its name ends in .xlsx.")
            % {"name": filename}
        )
    has_formulas = False
    try:
        for info in infos:
            is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            if is_sheet and b"<f" in archive.read(info):
                has_formulas = True
                break
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data)) if has_formulas else None
    except Exception:  # openpyxl raises many types on damaged files
        raise ImportFileError(_("The workbook is damaged and cannot be opened.")) from None
    sheets = []
    for ws in values.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        uncached = set()
        if formulas is not None:
            fws = formulas[ws.title]
            for row in fws.iter_rows():
                for cell in row:
                    if cell.data_type == "f" and ws.cell(cell.row, cell.column).value is None:
                        uncached.add((cell.row, cell.column))
        sheets.append(
            Sheet(
                title=ws.title,
                rows=_trim(rows),
                hidden=ws.sheet_state != "visible",
                merged=[
                    (r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges
                ],
                uncached=uncached,
            )
        )
    return Book(name=filename, kind="xlsx", sheets=sheets)


def _trim(rows: list[list[object]]) -> list[list[object]]:
    """Drop trailing empty rows (formatting often stretches a sheet far below its data)."""
    rows = [[None if isinstance(v, str) and not v.strip() else v for v in r] for r in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows
