"""Cell values as Vietnamese offices type them: dates, numbers, result marks and unit names.

Each parser returns the parsed value or raises ValueError with a message for the user.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from communes.enums import ResultStatus


def normalise(text) -> str:
    """NFC, lower case, single spaces: how two spellings of a label are compared."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text)).lower()
    return " ".join(text.split())


def fold(text) -> str:
    """normalise() without diacritics ("Đức Tân" and "duc tan" fold alike)."""
    if isinstance(text, str):
        return _fold_text(text)
    return _fold_text(str(text)) if text is not None else ""


# A national sheet folds ~250,000 cells (19 marks a row, names twice), of a few thousand
# distinct texts.
@functools.lru_cache(maxsize=65536)
def _fold_text(text: str) -> str:
    text = normalise(text).replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# -- Dates --------------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value) -> datetime.date:
    """A real Excel date, dd/mm/yyyy (also with . or -), or ISO yyyy-mm-dd."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    try:
        if m := _DMY.match(text):
            day, month, year = (int(g) for g in m.groups())
            return datetime.date(year, month, day)
        if m := _ISO.match(text):
            year, month, day = (int(g) for g in m.groups())
            return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a real date.") % {"value": text}) from None
    raise ValueError(
        _("“%(value)s” is not a date: write it as dd/mm/yyyy, e.g. 08/05/2024.") % {"value": text}
    )


# -- Numbers ------------------------------------------------------------------------------

_VN_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$|^-?\d+,\d+$")
_DOT_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$")


def parse_number(value) -> Decimal:
    """A number cell, or text in the Vietnamese form (1.234,5) or the dot form (1234.5)."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = str(value or "").strip().replace(" ", "").replace("\u00a0", "")
    if _VN_NUMBER.match(text):
        text = text.replace(".", "").replace(",", ".")
    elif _DOT_NUMBER.match(text):
        text = text.replace(",", "")
    else:
        raise ValueError(
            _("“%(value)s” is not a number: write e.g. 1.234,5 or 1234.5.") % {"value": value}
        )
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from None


# -- Result marks -------------------------------------------------------------------------

# Not a ResultStatus: "no result for this criterion" (written KĐG): importing it removes a
# result. A blank cell is not this: it says nothing, and leaves the portal's result as it is
# (an untouched template must change nothing, and a blank never becomes "not met").
NOT_ASSESSED = "not_assessed"

_MARKS = {
    # met
    "d": ResultStatus.MET,
    "dat": ResultStatus.MET,
    "x": ResultStatus.MET,
    "1": ResultStatus.MET,
    "co": ResultStatus.MET,
    "✓": ResultStatus.MET,
    "met": ResultStatus.MET,
    # not met
    "cd": ResultStatus.NOT_MET,
    "chua dat": ResultStatus.NOT_MET,
    "0": ResultStatus.NOT_MET,
    "khong dat": ResultStatus.NOT_MET,
    "-": ResultStatus.NOT_MET,
    "not met": ResultStatus.NOT_MET,
    # basically met
    "cbd": ResultStatus.BASICALLY_MET,
    "co ban dat": ResultStatus.BASICALLY_MET,
    "basically met": ResultStatus.BASICALLY_MET,
    # not assessed: the unit has no result for this criterion (exports write KĐG)
    "kdg": NOT_ASSESSED,
    "khong danh gia": NOT_ASSESSED,
    "chua danh gia": NOT_ASSESSED,
    "not assessed": NOT_ASSESSED,
}
# Yes / no answers of boolean indicators, on top of the marks.
_YES_NO = {"khong": False, "yes": True, "no": False, "true": True, "false": False}
# Exports write these, and the sheets offices use read the same.
MARK_FOR_STATUS = {
    ResultStatus.MET: "Đ",
    ResultStatus.NOT_MET: "CĐ",
    ResultStatus.BASICALLY_MET: "CBĐ",
    NOT_ASSESSED: "KĐG",
}


def parse_mark(value) -> str | None:
    """Đ / đạt / x / 1 → met; CĐ / chưa đạt / 0 → not met; CBĐ / cơ bản đạt → basically met;
    KĐG / không đánh giá → not assessed; a blank cell → None (the file says nothing). Case,
    diacritics, dots and spaces do not matter ("C.Đ", "đạt ")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ResultStatus.MET if value else ResultStatus.NOT_MET
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return ResultStatus.MET if value == 1 else ResultStatus.NOT_MET
    key = fold(value).replace(".", "").strip()
    if key == "":
        return None
    if key in _MARKS:
        return _MARKS[key]
    key = key.replace(" ", "")
    for mark, status in _MARKS.items():
        if key == mark.replace(" ", ""):
            return status
    raise ValueError(
        _("“%(value)s” is not a result: write Đ (met), CĐ (not met) or CBĐ (basically met).")
        % {"value": value}
    )


def parse_yes_no(value) -> bool:
    """A yes/no indicator value: Có / x / 1 / Đ → yes; Không / 0 / CĐ → no."""
    if isinstance(value, bool):
        return value
    key = fold(value).replace(".", "").strip()
    if key in _YES_NO:
        return _YES_NO[key]
    try:
        status = parse_mark(value)
    except ValueError:
        status = None
    if value not in (None, "") and status in (ResultStatus.MET, ResultStatus.NOT_MET):
        return status == ResultStatus.MET
    raise ValueError(_("“%(value)s” is not yes or no: write Có or Không.") % {"value": value})


# -- Unit names ---------------------------------------------------------------------------

# Longest first, so "thị trấn" is not read as something shorter.
UNIT_PREFIXES = ("thi tran", "phuong", "dac khu", "xa")


def split_unit_name(name) -> tuple[str, str]:
    """(prefix, bare name) folded: "Xã Phú Lộc" → ("xa", "phu loc"), "Phú Lộc" → ("", ...)."""
    folded = fold(name)
    for prefix in UNIT_PREFIXES:
        if folded.startswith(prefix + " "):
            return prefix, folded[len(prefix) + 1 :]
    return "", folded


# -- Formula-like text --------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP's CSV
    injection advice); everything else is written as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_text(value) -> str:
    """The inverse of neutralise() for imported text, so an export re-imports unchanged."""
    text = "" if value is None else str(value).strip()
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
