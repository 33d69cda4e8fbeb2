"""Matrix-format assessment imports: dry run, messages, all-or-nothing, error workbook."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import LEGACY_VALID_TO, Commune, District, Province
from criteria.imports import services
from criteria.imports.errors import ImportFileError
from criteria.imports.resources import AssessmentResource
from criteria.imports.services import ImportChanged, ImportOptions
from criteria.models import Assessment, CriteriaSet, CriterionResult
from tests.factories import legacy_unit

from .workbooks import TAN_TRU, marks, summary_sheet, to_bytes, with_cached_values

pytestmark = pytest.mark.django_db

NTMNC = "NTMNC_XA_2021_2025"


@pytest.fixture
def admin():
    return get_user_model().objects.get(username="admin")


@pytest.fixture
def ntmnc():
    return CriteriaSet.objects.get(code=NTMNC)


def options(criteria_set, **kwargs):
    return ImportOptions(criteria_set_id=criteria_set.pk, **kwargs)


def dry_run(user, data, criteria_set, name="tong-hop.xlsx", **kwargs):
    return services.dry_run(
        user=user, data=data, file_name=name, options=options(criteria_set, **kwargs)
    )


def apply(user, data, criteria_set, name="tong-hop.xlsx", **kwargs):
    opts = options(criteria_set, **kwargs)
    preview = services.dry_run(user=user, data=data, file_name=name, options=opts)
    return services.apply_import(
        user=user, data=data, file_name=name, options=opts, fingerprint=preview.fingerprint
    )


def results_of(code, criteria_set, day=datetime.date(2024, 5, 8)):
    assessment = Assessment.objects.get(
        commune__code=code, criteria_set=criteria_set, assessed_on=day
    )
    return dict(assessment.results.values_list("criterion__number", "status")), assessment


# -- The real office sheet ----------------------------------------------------------------


def test_tan_tru_sheet_dry_run_counts_and_skips_total_and_footnote(admin, ntmnc):
    before = Assessment.objects.count()

    preview = dry_run(admin, TAN_TRU.read_bytes(), ntmnc, name=TAN_TRU.name)

    # Quê Mỹ Thạnh and Bình Trinh Đông are already in the demo data, with the figures their
    # article reports (unmet: the criteria the article names) and not district-verified: the
    # office's sheet, whose marks differ, updates them.
    assert preview.counts == {"new": 7, "update": 2, "skip": 0, "rejected": 0}
    assert preview.errors == []
    assert [row for row, _label in preview.skipped] == [17, 19]
    assert {r.unit: r.action for r in preview.rows}["Xã Quê Mỹ Thạnh"] == "update"
    assert Assessment.objects.count() == before


def test_tan_tru_sheet_applies_as_approved_history_with_audit_fields(admin, ntmnc):
    apply(
        admin,
        TAN_TRU.read_bytes(),
        ntmnc,
        name=TAN_TRU.name,
        status=AssessmentStatus.APPROVED,
    )

    results, assessment = results_of("28093", ntmnc)  # Tân Phước Tây, two CBĐ
    assert assessment.status == AssessmentStatus.APPROVED
    assert assessment.is_imported and assessment.import_source == TAN_TRU.name
    assert assessment.author == admin
    assert results[15] == ResultStatus.BASICALLY_MET
    assert list(results.values()).count(ResultStatus.MET) == 12
    # The sheet date comes from "(Số liệu tính đến ngày 08/5/2024)".
    assert assessment.assessed_on == datetime.date(2024, 5, 8)


def test_reimporting_the_same_sheet_changes_nothing(admin, ntmnc):
    data = TAN_TRU.read_bytes()
    apply(admin, data, ntmnc)

    preview = dry_run(admin, data, ntmnc)

    assert preview.counts == {"new": 0, "update": 0, "skip": 9, "rejected": 0}
    assert not preview.can_apply


def test_changed_mark_is_an_update_listing_the_change(admin, ntmnc):
    wb = openpyxl.load_workbook(TAN_TRU)
    wb.active["L9"] = "Đ"  # Quê Mỹ Thạnh, criterion 9: CĐ → Đ
    wb.active["W9"] = 16
    # Only drafts and imported approved history may be overwritten: replace the demo's reported
    # figures by the sheet's own marks, as a draft.
    Assessment.objects.filter(commune__code__in=["28084", "28090"]).delete()
    apply(admin, TAN_TRU.read_bytes(), ntmnc)

    preview = dry_run(admin, to_bytes(wb), ntmnc)

    row = next(r for r in preview.rows if r.unit == "Xã Quê Mỹ Thạnh")
    assert row.action == "update"
    assert row.changes == ["criterion 9: CĐ → Đ"]


def test_verified_assessment_is_not_overwritten(admin, ntmnc):
    wb = openpyxl.load_workbook(TAN_TRU)
    wb.active["L9"] = "Đ"
    wb.active["W9"] = 16
    Assessment.objects.filter(commune__code="28084").update(status=AssessmentStatus.VERIFIED)

    preview = dry_run(admin, to_bytes(wb), ntmnc)

    assert preview.counts["rejected"] == 1
    (error,) = preview.errors
    assert (error.row, error.cell) == (9, "B9")
    assert "does not overwrite" in error.message


# -- Marks, totals and names --------------------------------------------------------------


def test_wrong_total_is_an_error_at_the_total_cell(admin, ntmnc):
    wb = summary_sheet([("28078", "Xã Tân Bình", marks(met=range(1, 15), basically=[15]), 15)])

    preview = dry_run(admin, to_bytes(wb), ntmnc)

    (error,) = preview.errors
    assert (error.cell, error.value) == ("W8", 15)
    assert "marks give 14 criteria met" in error.message
    assert preview.counts["rejected"] == 1


def test_x_and_blank_marks_and_names_without_diacritics_or_prefix(admin, ntmnc):
    rows = [
        ("", "Tan Binh", marks(met=range(1, 11), met_mark="x", not_met_mark=None), 10),
        ("", "lạc  TẤN", marks(met=[1], basically=[2], met_mark="đạt", not_met_mark="0"), 1),
    ]
    wb = summary_sheet(rows, with_codes=False)

    # Long An has two "Xã Tân Bình": the district settles it.
    tan_tru = legacy_unit(District, "805")

    preview = dry_run(admin, to_bytes(wb), ntmnc, district_id=tan_tru.pk)

    assert preview.errors == []
    assert [r.unit for r in preview.rows] == ["Xã Tân Bình", "Xã Lạc Tấn"]
    # A blank cell says nothing: it is never "not met" (CĐ).
    assert preview.rows[0].summary == "Đ 10 · CBĐ 0 · CĐ 0"
    assert preview.rows[0].values == [f"{n}: Đ" for n in range(1, 11)]


def test_ambiguous_name_lists_the_candidates(admin):
    ntm = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    wb = summary_sheet([("", "Xã Phú Lộc", marks(met=[1]), 1)], with_codes=False)

    preview = dry_run(admin, to_bytes(wb), ntm)

    (error,) = preview.errors
    assert "ambiguous" in error.message
    assert "16072" in error.message and "18454" in error.message
    # "Thị trấn Phú Lộc" (Huế) is not a candidate for "Xã Phú Lộc".
    assert "20107" not in error.message


def test_province_in_the_form_resolves_an_ambiguous_name(admin):
    ntm = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    wb = summary_sheet([("", "Phu Loc", marks(met=[1]), 1)], with_codes=False)
    ha_tinh = legacy_unit(Province, "42")

    preview = dry_run(admin, to_bytes(wb), ntm, province_id=ha_tinh.pk)

    assert preview.errors == []
    assert preview.rows[0].unit == "Xã Phú Lộc"


def test_bad_marks_unknown_code_and_name_mismatch_are_cell_errors(admin, ntmnc):
    rows = [
        ("28078", "Xã Tân Bình", ["Đ", "maybe", *marks(n=17)], None),
        ("99999", "Xã Không Có", marks(), None),
        ("28087", "Xã Tân Bình", marks(), None),
    ]
    wb = summary_sheet(rows, with_total=False)

    preview = dry_run(admin, to_bytes(wb), ntmnc)

    cells = {e.cell: e.message for e in preview.errors}
    assert "not a result" in cells["E8"]
    assert "No commune with code 99999" in cells["B9"]
    assert "Code 28087 is Xã Lạc Tấn" in cells["C10"]
    assert preview.counts["rejected"] == 3


def test_date_outside_the_set_period_is_rejected(admin, ntmnc):
    wb = summary_sheet([("28078", "Xã Tân Bình", marks(met=[1]), 1)], as_of=None)

    preview = dry_run(admin, to_bytes(wb), ntmnc, assessed_on=datetime.date(2019, 1, 1))

    (error,) = preview.errors
    assert "outside the period" in error.message


def test_missing_date_is_a_file_error(admin, ntmnc):
    wb = summary_sheet([("28078", "Xã Tân Bình", marks(met=[1]), 1)], as_of=None)

    with pytest.raises(ImportFileError, match="assessment date is missing"):
        dry_run(admin, to_bytes(wb), ntmnc)


def test_missing_header_row_is_a_file_error(admin, ntmnc):
    wb = openpyxl.Workbook()
    wb.active.append(["Mã", "Tên", "Ghi chú"])
    wb.active.append(["28078", "Xã Tân Bình", "Đ"])

    with pytest.raises(ImportFileError, match="No header row found"):
        dry_run(admin, to_bytes(wb), ntmnc)


def test_hidden_sheet_is_ignored_unless_chosen(admin, ntmnc):
    wb = summary_sheet([("28078", "Xã Tân Bình", marks(met=[1]), 1)], hidden_first=True)
    hidden = wb["Ẩn"]
    for row in wb["Tổng hợp"].iter_rows(values_only=True):
        hidden.append(row)
    hidden["B8"], hidden["C8"] = "28087", "Xã Lạc Tấn"

    default = dry_run(admin, to_bytes(wb), ntmnc)
    chosen = dry_run(admin, to_bytes(wb), ntmnc, sheet="Ẩn", assessed_on=datetime.date(2024, 5, 8))

    assert default.sheet == "Tổng hợp" and default.rows[0].unit == "Xã Tân Bình"
    assert chosen.errors == []
    assert chosen.sheet == "Ẩn" and chosen.rows[0].unit == "Xã Lạc Tấn"


# -- Formulas -----------------------------------------------------------------------------


def _formula_sheet():
    wb = summary_sheet([("28078", "Xã Tân Bình", marks(met=range(1, 17)), None)])
    wb.active["W8"] = '=COUNTIF(D8:V8,"Đ")'
    return to_bytes(wb)


def test_formula_without_cached_value_is_rejected(admin, ntmnc):
    preview = dry_run(admin, _formula_sheet(), ntmnc)

    (error,) = preview.errors
    assert error.cell == "W8"
    assert "formula has no saved result" in error.message


def test_formula_with_cached_value_is_read_by_value(admin, ntmnc):
    good = with_cached_values(_formula_sheet(), {"W8": 16})
    wrong = with_cached_values(_formula_sheet(), {"W8": 17})

    assert dry_run(admin, good, ntmnc).errors == []
    assert "says 17" in dry_run(admin, wrong, ntmnc).errors[0].message


# -- All or nothing -----------------------------------------------------------------------


def test_one_bad_row_blocks_the_whole_file(admin, ntmnc):
    wb = openpyxl.load_workbook(TAN_TRU)
    wb.active["D16"] = "??"
    data = to_bytes(wb)
    preview = dry_run(admin, data, ntmnc)
    before = Assessment.objects.count()

    assert not preview.can_apply
    with pytest.raises(ImportChanged):
        services.apply_import(
            user=admin,
            data=data,
            file_name="f.xlsx",
            options=options(ntmnc),
            fingerprint=preview.fingerprint,
        )
    assert Assessment.objects.count() == before


def test_failure_on_the_last_write_leaves_the_database_as_it_was(admin, ntmnc):
    data = TAN_TRU.read_bytes()
    opts = options(ntmnc)
    preview = services.dry_run(user=admin, data=data, file_name="f.xlsx", options=opts)
    before = (Assessment.objects.count(), CriterionResult.objects.count())
    writes = []

    def fail_on_the_results_history(execute, sql, params, many, context):
        # The last statement of the import: the history of the last batch's results.
        if sql.startswith("INSERT") and "historicalcriterionresult" in sql:
            writes.append(sql)
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with (
        connection.execute_wrapper(fail_on_the_results_history),
        pytest.raises(ImportChanged, match="nothing was imported"),
    ):
        services.apply_import(
            user=admin, data=data, file_name="f.xlsx", options=opts, fingerprint=preview.fingerprint
        )

    assert len(writes) == 1
    assert (Assessment.objects.count(), CriterionResult.objects.count()) == before


def test_confirm_refuses_when_the_data_changed_since_the_preview(admin, ntmnc):
    data = TAN_TRU.read_bytes()
    opts = options(ntmnc)
    preview = services.dry_run(user=admin, data=data, file_name="f.xlsx", options=opts)
    Assessment.objects.filter(commune__code="28084").delete()  # someone else edits meanwhile

    with pytest.raises(ImportChanged, match="changed since the preview"):
        services.apply_import(
            user=admin, data=data, file_name="f.xlsx", options=opts, fingerprint=preview.fingerprint
        )
    assert not Assessment.objects.filter(commune__code="28078").exists()


# -- Error workbook -----------------------------------------------------------------------


def test_error_workbook_highlights_the_bad_cell_with_the_message(admin, ntmnc):
    wb = summary_sheet([("28078", "Xã Tân Bình", ["Đ", "??", *marks(n=17)], 1)])
    data = to_bytes(wb)
    preview = dry_run(admin, data, ntmnc)

    content = services.error_workbook(data=data, file_name="f.xlsx", errors=preview.errors)

    ws = openpyxl.load_workbook(io.BytesIO(content))["Tổng hợp"]
    assert ws["E8"].fill.fgColor.rgb == "FFF4B6B6"
    assert "not a result" in ws["E8"].comment.text
    assert ws["D8"].comment is None
    assert ws["E8"].value == "??"  # the original content is kept


# -- Round trip ---------------------------------------------------------------------------


def test_exported_matrix_reimports_without_changes(admin, ntmnc):
    apply(admin, TAN_TRU.read_bytes(), ntmnc)
    resource = AssessmentResource(criteria_set=ntmnc)
    header, rows = resource.export_rows(Assessment.objects.filter(criteria_set=ntmnc))
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)

    preview = dry_run(admin, to_bytes(wb), ntmnc)

    assert preview.errors == []
    assert preview.counts == {"new": 0, "update": 0, "skip": len(rows), "rejected": 0}
    assert len(rows) == Assessment.objects.filter(criteria_set=ntmnc, commune__isnull=False).count()
    legacy = Commune.objects.valid_on(LEGACY_VALID_TO)
    assert legacy.filter(code__in=[r[0] for r in rows]).count() == len(rows)
