"""Bad files get a clear message, never an exception; values as offices type them."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from communes.enums import ResultStatus
from criteria.imports.errors import ImportFileError
from criteria.imports.reader import OLE_MAGIC, read_book
from criteria.imports.values import parse_date, parse_mark, parse_number

from .workbooks import TAN_TRU, to_bytes


def test_real_sheet_reads_merged_header_and_both_sheets():
    book = read_book(TAN_TRU.read_bytes(), TAN_TRU.name)

    sheet = book.sheets[0]
    assert [s.title for s in book.visible()] == ["NTMNC 2024", "Danh mục tiêu chí"]
    # B6:B7 is merged: row 7 reads the label too; D6:V6 carries the group label over V6.
    assert sheet.header_value(7, 2) == "Mã ĐVHC"
    assert sheet.header_value(6, 22).startswith("Tiêu chí")
    assert sheet.value(7, 22) == 19


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("data.pdf", b"%PDF-1.4", "Only .xlsx and .csv"),
        ("data.xlsx", b"", "empty"),
        ("data.xlsx", b"GIF89a not a workbook", "not an Excel workbook"),
        ("data.xlsx", b"PK\x03\x04 truncated zip", "damaged"),
        ("data.xlsx", OLE_MAGIC + "EncryptionInfo".encode("utf-16-le"), "password-protected"),
        ("data.xlsx", OLE_MAGIC + b"\x00" * 64, "Excel 97"),
        ("data.csv", OLE_MAGIC + b"\x00" * 64, "not a CSV text file"),
        ("data.csv", b"M\xe3;T\xean\n", "not in UTF-8"),
    ],
    ids=["extension", "empty", "renamed", "corrupt", "encrypted", "xls", "csv-binary", "csv-enc"],
)
def test_bad_file_is_refused_with_a_message(name, data, message):
    with pytest.raises(ImportFileError, match=message):
        read_book(data, name)


def test_renamed_docx_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")

    with pytest.raises(ImportFileError, match="not an Excel workbook"):
        read_book(out.getvalue(), "report.xlsx")


def test_empty_workbook_is_refused():
    with pytest.raises(ImportFileError, match="no data"):
        read_book(to_bytes(openpyxl.Workbook()), "empty.xlsx")


def test_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000

    with pytest.raises(ImportFileError, match="the limit is 0,0 MB"):
        read_book(TAN_TRU.read_bytes(), "big.xlsx")


def test_too_many_rows_is_refused(settings):
    settings.IMPORT_MAX_ROWS = 10

    with pytest.raises(ImportFileError, match="has 19 rows; the limit is 10"):
        read_book(TAN_TRU.read_bytes(), TAN_TRU.name)


def test_decompression_bomb_is_refused_before_unpacking(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    source = zipfile.ZipFile(io.BytesIO(to_bytes(wb)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info, source.read(info))
        bomb.writestr("xl/media/padding.bin", b"\x00" * (5 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 50_000  # small on disk, 5 MB unpacked

    with pytest.raises(ImportFileError, match="unpacks to more than"):
        read_book(data, "bomb.xlsx")


def test_csv_with_semicolons_and_bom():
    data = "\ufeffMã ĐVHC;Đơn vị;1\n28078;Xã Tân Bình;Đ\n".encode()

    sheet = read_book(data, "tong-hop.csv").sheets[0]

    assert sheet.rows == [["Mã ĐVHC", "Đơn vị", "1"], ["28078", "Xã Tân Bình", "Đ"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.datetime(2024, 5, 8, 0, 0), datetime.date(2024, 5, 8)),
        ("08/5/2024", datetime.date(2024, 5, 8)),
        ("8.5.2024", datetime.date(2024, 5, 8)),
        ("2024-05-08", datetime.date(2024, 5, 8)),
    ],
)
def test_dates(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"), [("31/02/2024", "not a real date"), ("May 8", "dd/mm")]
)
def test_bad_dates(value, message):
    with pytest.raises(ValueError, match=message):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.234,5", Decimal("1234.5")),
        ("1234.5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("45,2", Decimal("45.2")),
        ("1.234.567", Decimal("1234567")),
        (16, Decimal(16)),
        (" 7 ", Decimal(7)),
    ],
)
def test_numbers(value, expected):
    assert parse_number(value) == expected


def test_bad_number():
    with pytest.raises(ValueError, match="not a number"):
        parse_number("mười")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Đ", ResultStatus.MET),
        (" đạt ", ResultStatus.MET),
        ("ĐẠT", ResultStatus.MET),
        ("x", ResultStatus.MET),
        (1, ResultStatus.MET),
        ("CĐ", ResultStatus.NOT_MET),
        ("chưa  đạt", ResultStatus.NOT_MET),
        ("chua dat", ResultStatus.NOT_MET),
        # A blank cell says nothing (None), never "not met".
        (None, None),
        ("  ", None),
        (0, ResultStatus.NOT_MET),
        ("CBĐ", ResultStatus.BASICALLY_MET),
        ("cơ bản đạt", ResultStatus.BASICALLY_MET),
        ("C.B.Đ", ResultStatus.BASICALLY_MET),
        ("cbd", ResultStatus.BASICALLY_MET),
    ],
)
def test_marks(value, expected):
    assert parse_mark(value) == expected


def test_unknown_mark():
    with pytest.raises(ValueError, match="not a result"):
        parse_mark("đang làm")
