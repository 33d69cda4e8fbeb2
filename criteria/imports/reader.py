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
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601

from .errors import ImportFileError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted xlsx is an OLE container holding these streams (names are UTF-16 in the file).
ENCRYPTION_MARKER = "EncryptionInfo".encode("utf-16-le")
ALLOWED_EXTENSIONS = (".xlsx", ".csv")
_DIGITS = "0123456789"
# Where a sheet parser sends character data.
_NOWHERE, _VALUE, _INLINE = "nowhere", "value", "inline"


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
    try:
        sheets = _read_sheets(data)
    except Exception:  # zip, XML and openpyxl's readers raise many types on damaged files
        raise ImportFileError(_("The workbook is damaged and cannot be opened.")) from None
    return Book(name=filename, kind="xlsx", sheets=sheets)


def _read_sheets(data: bytes) -> list[Sheet]:
    """The worksheets' cell values as openpyxl's ``load_workbook(data_only=True)`` gives them,
    without building openpyxl's cell objects.

    Why: openpyxl turns every cell into objects (an inline string into a rich-text tree); a
    national sheet (10,051 rows × 22 cells) took 12 s to load, and 96 s while tracemalloc
    counts allocations as the benchmark does. Here openpyxl still reads the small parts (the
    workbook and its relationships, shared strings, styles: which cells hold dates) and a
    plain expat parser reads the sheets' cells, with openpyxl's own conversions (and its
    workbook's ``_date_formats``: openpyxl is pinned in pyproject.toml).
    """
    excel = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    excel.read_manifest()
    excel.read_strings()
    excel.read_workbook()
    wb = excel.wb
    apply_stylesheet(excel.archive, wb)
    sheets = []
    for sheet, rel in excel.parser.find_sheets():
        if rel.target not in excel.valid_files or "chartsheet" in rel.Type:
            continue
        parser = _SheetParser(
            excel.shared_strings, wb._date_formats, wb._timedelta_formats, wb.epoch
        )
        parser.parse(excel.archive.read(rel.target))
        sheets.append(
            Sheet(
                title=sheet.name,
                rows=_trim(parser.rows()),
                hidden=(sheet.state or "visible") != "visible",
                merged=parser.merged,
                uncached=parser.uncached,
            )
        )
    excel.archive.close()
    return sheets


class _SheetParser:
    """Cell values of one worksheet part, converted as openpyxl's WorkSheetParser converts
    them with ``data_only``: shared and inline strings, numbers (int or float), booleans,
    errors, ISO dates, and serial numbers in a date style as datetimes. A formula cell with
    no saved result is None and listed in ``uncached``."""

    def __init__(self, shared_strings, date_styles, timedelta_styles, epoch):
        self.shared_strings = shared_strings
        self.date_styles = date_styles
        self.timedelta_styles = timedelta_styles
        self.epoch = epoch
        self.cells: list[tuple[int, int, object]] = []
        self.merged: list[tuple[int, int, int, int]] = []
        self.uncached: set[tuple[int, int]] = set()
        self.max_row = self.max_col = 0
        self.row = self.col = 0
        self.kind = "n"
        self.style = 0
        self.formula = False
        # The texts of the cell's <v> and of its inline string's <t>s, None until they start;
        # strings rather than lists of parts (expat buffers a text into one piece anyway).
        self.value_text: str | None = None
        self.inline_text: str | None = None
        self.target = _NOWHERE  # where character data goes now
        self.in_phonetic = False
        self.names: dict[str, str] = {}
        self.columns: dict[str, int] = {}  # column letters -> number

    def parse(self, xml: bytes) -> None:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.characters
        parser.Parse(xml, True)

    def _local(self, name: str) -> str:
        # "x:c" -> "c", cached: a new string per element is measurable on a national sheet.
        local = self.names.get(name)
        if local is None:
            local = self.names[name] = name.rpartition(":")[2]
        return local

    def start(self, name, attrs):
        name = self.names.get(name) or self._local(name)
        if name == "c":
            ref = attrs.get("r")
            if ref:
                # As coordinate_to_tuple, with the column letters looked up once per column.
                letters = ref.rstrip(_DIGITS)
                col = self.columns.get(letters)
                if col is None:
                    col = self.columns[letters] = column_index_from_string(letters)
                self.row, self.col = int(ref[len(letters) :]), col
            else:
                self.col += 1
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.formula = False
            self.value_text = self.inline_text = None
        elif name == "v":
            self.value_text = ""
            self.target = _VALUE
        elif name == "t" and self.inline_text is not None and not self.in_phonetic:
            self.target = _INLINE
        elif name == "is":
            self.inline_text = ""
        elif name == "f":
            self.formula = True
        elif name == "row":
            self.row = int(attrs["r"]) if attrs.get("r") else self.row + 1
            self.col = 0
        elif name == "rPh":
            self.in_phonetic = True
        elif name == "mergeCell" and attrs.get("ref"):
            min_col, min_row, max_col, max_row = range_boundaries(attrs["ref"])
            self.merged.append((min_row, min_col, max_row, max_col))

    def end(self, name):
        name = self.names.get(name) or self._local(name)
        if name == "c":
            value = self._value()
            row, col = self.row, self.col
            if value is None:
                if self.formula:
                    self.uncached.add((row, col))
            else:
                self.cells.append((row, col, value))
            if row > self.max_row:
                self.max_row = row
            if col > self.max_col:
                self.max_col = col
        elif name in ("v", "t"):
            self.target = _NOWHERE
        elif name == "rPh":
            self.in_phonetic = False

    def characters(self, text):
        target = self.target
        if target is _VALUE:
            self.value_text += text
        elif target is _INLINE:
            self.inline_text += text

    def _value(self):
        kind = self.kind
        if kind == "inlineStr":
            return self.inline_text
        value = self.value_text
        if not value:
            return None
        if kind == "n":
            number = _cast_number(value)
            if self.style in self.date_styles:
                try:
                    return from_excel(
                        number, self.epoch, timedelta=self.style in self.timedelta_styles
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.shared_strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value  # "str" (a formula's text result) and "e" (an error such as #N/A)

    def rows(self) -> list[list[object]]:
        """Rows 1..max_row of columns 1..max_col, as openpyxl's iter_rows(values_only)."""
        rows = [[None] * self.max_col for _ in range(self.max_row)]
        for r, c, value in self.cells:
            rows[r - 1][c - 1] = value
        return rows


def _cast_number(text: str) -> int | float:
    """A number cell's text as openpyxl reads it."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _trim(rows: list[list[object]]) -> list[list[object]]:
    """Drop trailing empty rows (formatting often stretches a sheet far below its data)."""
    rows = [[None if isinstance(v, str) and not v.strip() else v for v in r] for r in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows
