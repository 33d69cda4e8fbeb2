"""Real-looking office workbooks, built with openpyxl for the import tests."""

import io
import re
import zipfile
from pathlib import Path

import openpyxl

DATA = Path(__file__).parent / "data"
TAN_TRU = DATA / "tan-tru-ntmnc-2024-summary.xlsx"

# Tân Trụ (Long An) communes as the GSO lists them.
TAN_TRU_COMMUNES = [
    ("28078", "Xã Tân Bình"),
    ("28087", "Xã Lạc Tấn"),
    ("28093", "Xã Tân Phước Tây"),
]


def to_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def summary_sheet(
    rows,
    *,
    n_criteria=19,
    as_of="(Số liệu tính đến ngày 08/5/2024)",
    with_codes=True,
    with_total=True,
    hidden_first=False,
):
    """An office summary sheet: header block, merged title and "as of" line, a two-row merged
    header with the criterion numbers under a group label, then ``rows`` of
    (code, name, marks list, total), a "Tổng cộng" row and a footnote."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    if hidden_first:
        decoy = ws
        decoy.title = "Ẩn"
        decoy.sheet_state = "hidden"
        ws = wb.create_sheet("Tổng hợp")
    last = 3 + n_criteria + 1
    ws["A1"] = "UBND HUYỆN TÂN TRỤ"
    ws["A3"] = "BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ"
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=last)
    if as_of:
        ws["A4"] = as_of
        ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=last)
    ws["A6"], ws["B6"], ws["C6"] = "TT", "Mã ĐVHC" if with_codes else "", "Đơn vị"
    for col in (1, 2, 3):
        ws.merge_cells(start_row=6, start_column=col, end_row=7, end_column=col)
    ws.cell(6, 4, "Tiêu chí (Đ: đạt; CĐ: chưa đạt; CBĐ: cơ bản đạt)")
    ws.merge_cells(start_row=6, start_column=4, end_row=6, end_column=3 + n_criteria)
    for n in range(1, n_criteria + 1):
        ws.cell(7, 3 + n, n)
    if with_total:
        ws.cell(6, last, "Số tiêu chí đạt")
        ws.merge_cells(start_row=6, start_column=last, end_row=7, end_column=last)
    r = 8
    for i, (code, name, marks, total) in enumerate(rows, 1):
        ws.cell(r, 1, i)
        if with_codes:
            ws.cell(r, 2, code)
        ws.cell(r, 3, name)
        for n, mark in enumerate(marks, 1):
            ws.cell(r, 3 + n, mark)
        if with_total:
            ws.cell(r, last, total)
        r += 1
    ws.cell(r, 3, "Tổng cộng")
    ws.cell(r + 2, 3, "Ghi chú: số liệu minh họa.")
    return wb


def marks(met=(), basically=(), n=19, met_mark="Đ", not_met_mark="CĐ"):
    return [
        met_mark if i in met else "CBĐ" if i in basically else not_met_mark for i in range(1, n + 1)
    ]


def with_cached_values(data: bytes, values: dict[str, object]) -> bytes:
    """openpyxl writes formulas without a computed value; Excel stores both. Patch the sheet
    XML so the formula cells in ``values`` (e.g. {"W8": 16}) carry a cached value."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                text = content.decode()
                for ref, value in values.items():
                    text = re.sub(
                        rf'(<c r="{ref}"[^>]*>)<f>(.*?)</f><v\s*/>',
                        rf"\1<f>\2</f><v>{value}</v>",
                        text,
                    )
                content = text.encode()
            target.writestr(info, content)
    return out.getvalue()


def table(rows, *, header, title="Dữ liệu", title_row=None):
    """A plain sheet: an optional title line, the header, then ``rows``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    if title_row:
        ws.append([title_row])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    return wb
