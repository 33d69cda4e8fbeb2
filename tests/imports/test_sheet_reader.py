"""The xlsx reader reads the cells as openpyxl's load_workbook(data_only=True) does."""

import datetime
import io

import openpyxl

from criteria.imports.reader import read_book

from .workbooks import TAN_TRU, to_bytes


def _openpyxl_rows(data):
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_reader_reads_what_openpyxl_reads():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kiểu"
    ws.append(["text & <tags>", 1, 2.5, True, datetime.datetime(2024, 5, 8), None, "Đ"])
    ws.append([None, "  ", -3, 1e-7, False, datetime.date(2025, 12, 20), "=A1"])
    ws["H2"] = "=SUM(B1:C1)"
    ws.merge_cells("A4:C5")
    hidden = wb.create_sheet("Ẩn")
    hidden.sheet_state = "hidden"
    hidden["C3"] = "x"
    data = to_bytes(wb)
    expected = _openpyxl_rows(data)

    book = read_book(data, "kieu.xlsx")

    sheets = {s.title: s for s in book.sheets}
    for title, rows in expected.items():
        trimmed = [[None if isinstance(v, str) and not v.strip() else v for v in r] for r in rows]
        while trimmed and all(v is None for v in trimmed[-1]):
            trimmed.pop()
        assert sheets[title].rows == trimmed
    assert sheets["Kiểu"].merged == [(4, 1, 5, 3)]
    assert sheets["Kiểu"].uncached == {(2, 7), (2, 8)}  # formulas openpyxl saved unevaluated
    assert sheets["Ẩn"].hidden and not sheets["Kiểu"].hidden


def test_reader_reads_the_office_sheet_as_openpyxl_does():
    data = TAN_TRU.read_bytes()

    book = read_book(data, TAN_TRU.name)

    expected = _openpyxl_rows(data)
    for sheet_ in book.sheets:
        rows = expected[sheet_.title][: sheet_.n_rows]
        assert sheet_.rows == [
            [None if isinstance(v, str) and not v.strip() else v for v in r] for r in rows
        ]
