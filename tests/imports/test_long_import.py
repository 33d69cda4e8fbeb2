"""Long-format assessment imports (one row per unit × criterion or indicator), exports in both
formats, and the round trip: export → import → no changes."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from communes.enums import AssessmentStatus, ResultStatus
from criteria.enums import IndicatorKind
from criteria.imports import services
from criteria.imports.errors import ImportFileError
from criteria.imports.exports import assessments_workbook
from criteria.imports.services import ImportOptions
from criteria.models import Assessment, Indicator, IndicatorValue
from tests.factories import make_assessment, make_commune, make_criteria_set

from .workbooks import table, to_bytes

pytestmark = pytest.mark.django_db

HEADER = ["Mã ĐVHC", "Tên đơn vị", "Mã bộ tiêu chí", "Ngày", "Tiêu chí", "Mã chỉ tiêu",
          "Kết quả", "Giá trị", "Ghi chú"]  # fmt: skip
DAY = "30/06/2024"


@pytest.fixture
def admin():
    return get_user_model().objects.get(username="admin")


@pytest.fixture
def criteria_set():
    criteria_set = make_criteria_set(n_criteria=4, indicators_per_criterion=2)
    Indicator.objects.filter(criterion__criteria_set=criteria_set, code="2.1").update(
        kind=IndicatorKind.NUMERIC
    )
    return criteria_set


@pytest.fixture
def communes():
    first = make_commune()
    return first, make_commune(district=first.district)


def dry_run(user, wb, criteria_set=None, **kwargs):
    opts = ImportOptions(
        criteria_set_id=criteria_set.pk if criteria_set else None, fmt="long", **kwargs
    )
    return services.dry_run(user=user, data=to_bytes(wb), file_name="ds.xlsx", options=opts)


def apply(user, wb, criteria_set=None, **kwargs):
    opts = ImportOptions(
        criteria_set_id=criteria_set.pk if criteria_set else None, fmt="long", **kwargs
    )
    data = to_bytes(wb)
    preview = services.dry_run(user=user, data=data, file_name="ds.xlsx", options=opts)
    return services.apply_import(
        user=user, data=data, file_name="ds.xlsx", options=opts, fingerprint=preview.fingerprint
    )


def test_long_rows_group_into_one_assessment_per_commune_and_date(admin, criteria_set, communes):
    a, b = communes
    code = criteria_set.code
    rows = [
        (a.code, a.name, code, DAY, 1, None, "Đ", None, "Biên bản 12"),
        (a.code, a.name, code, DAY, 2, None, "CBĐ", None, None),
        (a.code, a.name, code, DAY, 2, "2.1", "Đ", "1.234,5", None),
        (a.code, a.name, code, DAY, "TC2", "2.2", "CĐ", "Không", "thiếu hồ sơ"),
        (b.code, b.name, code, DAY, 1, None, "x", None, None),
    ]

    preview = dry_run(admin, table(rows, header=HEADER, title_row="DANH SÁCH"))

    assert preview.errors == []
    assert preview.counts == {"new": 2, "update": 0, "skip": 0, "rejected": 0}
    assert preview.rows[0].summary == "Đ 1 · CBĐ 1 · CĐ 0 · 2 indicators"
    assert not Assessment.objects.filter(criteria_set=criteria_set).exists()


def test_long_import_writes_results_notes_and_indicator_values(admin, criteria_set, communes):
    a, _b = communes
    rows = [
        (a.code, a.name, None, DAY, 1, None, "Đ", None, "Biên bản 12"),
        (a.code, a.name, None, DAY, 2, "2.1", "Đ", "1.234,5", None),
        (a.code, a.name, None, DAY, 2, "2.2", "CĐ", "Không", "thiếu hồ sơ"),
    ]

    apply(admin, table(rows, header=HEADER), criteria_set, status=AssessmentStatus.APPROVED)

    assessment = Assessment.objects.get(commune=a, criteria_set=criteria_set)
    assert assessment.assessed_on == datetime.date(2024, 6, 30)
    assert assessment.status == AssessmentStatus.APPROVED and assessment.is_imported
    result = assessment.results.get()
    assert (result.criterion.number, result.status, result.note) == (
        1,
        ResultStatus.MET,
        "Biên bản 12",
    )
    values = {v.indicator.code: v for v in assessment.indicator_values.all()}
    assert values["2.1"].value_number == Decimal("1234.5") and values["2.1"].is_met is True
    assert values["2.2"].value_bool is False and values["2.2"].is_met is False
    assert values["2.2"].note == "thiếu hồ sơ"


def test_long_reimport_changes_nothing_and_a_changed_note_is_an_update(
    admin, criteria_set, communes
):
    a, _b = communes
    rows = [[a.code, a.name, None, DAY, 1, None, "Đ", None, "cũ"]]
    apply(admin, table(rows, header=HEADER), criteria_set)

    same = dry_run(admin, table(rows, header=HEADER), criteria_set)
    rows[0][8] = "mới"
    changed = dry_run(admin, table(rows, header=HEADER), criteria_set)

    assert same.counts == {"new": 0, "update": 0, "skip": 1, "rejected": 0}
    assert changed.rows[0].action == "update"
    assert changed.rows[0].changes == ["criterion 1: note"]


def test_long_row_errors_point_at_their_cells(admin, criteria_set, communes):
    a, _b = communes
    rows = [
        (a.code, a.name, None, DAY, 9, None, "Đ", None, None),  # no criterion 9
        (a.code, a.name, None, DAY, 1, None, "Đ", 5, None),  # value on a criterion row
        (a.code, a.name, None, DAY, 2, "2.9", "Đ", None, None),  # unknown indicator
        (a.code, a.name, None, DAY, 2, "2.2", "CBĐ", None, None),  # indicator basically met
        (a.code, a.name, None, DAY, 3, None, "Đ", None, None),
        (a.code, a.name, None, DAY, 3, None, "CĐ", None, None),  # duplicate
        (a.code, a.name, None, "31/02/2024", 4, None, "Đ", None, None),
    ]

    preview = dry_run(admin, table(rows, header=HEADER), criteria_set)

    cells = {e.cell: e.message for e in preview.errors}
    assert "no criterion “9”" in cells["E2"]
    assert "belongs to an indicator" in cells["H3"]
    assert "no indicator “2.9”" in cells["F4"]
    assert "met or not met" in cells["G5"]
    assert "already on row 6" in cells["E7"]
    assert "not a real date" in cells["D8"]
    assert not preview.can_apply


def test_set_comes_from_the_column_or_the_form(admin, criteria_set, communes):
    a, _b = communes
    other = make_criteria_set(n_criteria=3)
    rows = [(a.code, a.name, other.code, DAY, 1, None, "Đ", None, None)]

    from_column = dry_run(admin, table(rows, header=HEADER))
    conflicting = dry_run(admin, table(rows, header=HEADER), criteria_set)
    without = [HEADER[:2] + HEADER[3:], *[r[:2] + r[3:] for r in rows]]

    assert from_column.errors == [] and from_column.counts["new"] == 1
    assert "file imports into" in conflicting.errors[0].message
    with pytest.raises(ImportFileError, match="Choose the criteria set"):
        dry_run(admin, table(without[1:], header=without[0]))


def test_long_header_missing_is_a_file_error(admin, criteria_set):
    with pytest.raises(ImportFileError, match="No header row found"):
        dry_run(admin, table([("x", "y")], header=["A", "B"]), criteria_set)


# -- Exports and the round trip -----------------------------------------------------------


def _exported(criteria_set, fmt, user):
    import io

    from openpyxl import load_workbook

    content = assessments_workbook(criteria_set=criteria_set, fmt=fmt, user=user)
    return load_workbook(io.BytesIO(content))


@pytest.mark.parametrize("fmt", ["matrix", "long"])
def test_round_trip_export_then_import_changes_nothing(admin, criteria_set, communes, fmt):
    a, b = communes
    make_assessment(
        unit=a,
        criteria_set=criteria_set,
        met=[1],
        basically_met=[2],
        indicators_met=1,
        status=AssessmentStatus.APPROVED,
    )
    # b was assessed on two criteria only: the others are "not assessed", not "not met".
    partial = make_assessment(
        unit=b, criteria_set=criteria_set, met=[1], others=None, status=AssessmentStatus.DRAFT
    )
    partial.results.filter(criterion__number=1).update(note='=HYPERLINK("x")')
    # 2.1 is a numeric indicator (the factory gives every indicator a yes/no value).
    IndicatorValue.objects.filter(
        assessment__criteria_set=criteria_set, indicator__code="2.1"
    ).update(value_bool=None, value_number=Decimal("12.5"))
    wb = _exported(criteria_set, fmt, admin)
    before = list(Assessment.objects.filter(criteria_set=criteria_set).values_list("version"))

    preview = services.dry_run(
        user=admin,
        data=to_bytes(wb),
        file_name=f"export-{fmt}.xlsx",
        options=ImportOptions(criteria_set_id=criteria_set.pk, fmt=fmt),
    )

    assert preview.errors == []
    assert preview.counts == {"new": 0, "update": 0, "skip": 2, "rejected": 0}
    after = list(Assessment.objects.filter(criteria_set=criteria_set).values_list("version"))
    assert after == before


def test_matrix_export_writes_kdg_for_criteria_without_a_result(admin, criteria_set, communes):
    a, _b = communes
    make_assessment(unit=a, criteria_set=criteria_set, met=[1], others=None)

    ws = _exported(criteria_set, "matrix", admin).active
    rows = list(ws.iter_rows(values_only=True))

    header = next(r for r in rows if r and r[0] == "Mã ĐVHC")
    data = next(r for r in rows if r and r[0] == a.code)
    assert [data[header.index(str(n))] for n in range(1, 5)] == ["Đ", "KĐG", "KĐG", "KĐG"]


def test_export_neutralises_formula_like_text(admin, criteria_set, communes):
    a, _b = communes
    assessment = make_assessment(unit=a, criteria_set=criteria_set, met=[1])
    assessment.results.filter(criterion__number=1).update(note='=HYPERLINK("http://x")')

    ws = _exported(criteria_set, "long", admin).active
    notes = [r[-1] for r in ws.iter_rows(values_only=True)]

    assert '\'=HYPERLINK("http://x")' in notes
    assert not any(isinstance(n, str) and n.startswith("=") for n in notes)
