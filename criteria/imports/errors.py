"""What can go wrong in an import, said precisely enough for the user to fix it."""

from dataclasses import dataclass

from openpyxl.utils import get_column_letter


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, too large, corrupt, no header...).
    The message is for the user."""


class MissingDateError(ImportFileError):
    """No row of the file has an assessment date and none was chosen: the form asks for one
    (a file-level problem of the date field, not of the file)."""


@dataclass(frozen=True)
class CellError:
    """One problem in one place: ``row`` and ``column`` are 1-based sheet positions; either may
    be None when the problem concerns a whole row or column."""

    sheet: str
    row: int | None
    column: int | None
    value: object
    message: str

    @property
    def column_letter(self) -> str:
        return get_column_letter(self.column) if self.column else ""

    @property
    def cell(self) -> str:
        return f"{self.column_letter}{self.row or ''}"

    @property
    def shown_value(self) -> str:
        return "" if self.value is None else str(self.value)
