"""The bulk path of assessment imports (plan.py): what it writes, with which history, all or
nothing, in a number of queries that does not grow with the file."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from communes.enums import AssessmentStatus, ResultStatus
from criteria.imports import plan as plan_module
from criteria.imports import services
from criteria.imports.services import ImportChanged, ImportOptions
from criteria.models import Assessment, CriterionResult, IndicatorValue
from criteria.selectors import audit_trail
from tests.factories import make_assessment, make_commune, make_criteria_set

from .workbooks import table, to_bytes

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 6, 30)
HEADER = ["Mã ĐVHC", "Đơn vị", "Ngày đánh giá", 1, 2, 3, 4]


@pytest.fixture
def admin():
    return get_user_model().objects.get(username="admin")


@pytest.fixture
def criteria_set():
    return make_criteria_set(n_criteria=4)


def sheet(communes, marks=("Đ", "CBĐ", "CĐ", "Đ")):
    return to_bytes(
        table([(c.code, c.name, "30/06/2024", *marks) for c in communes], header=HEADER)
    )


def options(criteria_set):
    return ImportOptions(criteria_set_id=criteria_set.pk, status=AssessmentStatus.DRAFT)


def preview_and_apply(user, data, criteria_set):
    opts = options(criteria_set)
    preview = services.dry_run(user=user, data=data, file_name="bulk.xlsx", options=opts)
    return services.apply_import(
        user=user, data=data, file_name="bulk.xlsx", options=opts, fingerprint=preview.fingerprint
    )


def snapshot():
    """Every table an import writes, with its history."""
    return [
        list(model.objects.order_by("pk").values_list())
        for model in (
            Assessment,
            Assessment.history.model,
            CriterionResult,
            CriterionResult.history.model,
            IndicatorValue,
            IndicatorValue.history.model,
        )
    ]


def test_dry_run_queries_do_not_grow_with_rows(admin, criteria_set):
    communes = [make_commune() for _ in range(12)]
    # Existing drafts to compare with: one unchanged, one changed, per size.
    for commune in (communes[0], communes[1], communes[6], communes[7]):
        make_assessment(
            unit=commune,
            criteria_set=criteria_set,
            met=[1, 4],
            basically_met=[2],
            status=AssessmentStatus.DRAFT,
        )
    communes[1].assessments.update(status=AssessmentStatus.APPROVED)
    CriterionResult.objects.filter(
        assessment__commune__in=[communes[1], communes[7]], criterion__number=3
    ).update(status=ResultStatus.MET)

    def queries(rows):
        data = sheet(rows)
        with CaptureQueriesContext(connection) as ctx:
            preview = services.dry_run(
                user=admin, data=data, file_name="bulk.xlsx", options=options(criteria_set)
            )
        return len(ctx.captured_queries), preview.counts

    queries(communes[:3])  # warm the caches (content types, translations)
    small, small_counts = queries(communes[:3])
    large, large_counts = queries(communes[6:])

    assert small_counts == {"new": 1, "update": 1, "skip": 1, "rejected": 0}
    assert large_counts == {"new": 4, "update": 1, "skip": 1, "rejected": 0}
    assert small == large


def test_apply_writes_rows_and_their_history_as_the_importing_user(admin, criteria_set):
    fresh, changed = make_commune(), make_commune()
    existing = make_assessment(
        unit=changed,
        criteria_set=criteria_set,
        met=[1, 2, 3, 4],
        status=AssessmentStatus.DRAFT,
        assessed_on=DAY,
    )
    data = to_bytes(
        table(
            [
                (fresh.code, fresh.name, "30/06/2024", "Đ", "CBĐ", "CĐ", "KĐG"),
                (changed.code, changed.name, "30/06/2024", "Đ", "CĐ", "Đ", "KĐG"),
            ],
            header=HEADER,
        )
    )

    preview = preview_and_apply(admin, data, criteria_set)

    assert preview.counts == {"new": 1, "update": 1, "skip": 0, "rejected": 0}
    created = Assessment.objects.get(commune=fresh, criteria_set=criteria_set)
    assert (created.status, created.is_imported, created.import_source, created.author) == (
        AssessmentStatus.DRAFT,
        True,
        "bulk.xlsx",
        admin,
    )
    assert dict(created.results.values_list("criterion__number", "status")) == {
        1: ResultStatus.MET,
        2: ResultStatus.BASICALLY_MET,
        3: ResultStatus.NOT_MET,
    }
    existing.refresh_from_db()
    assert existing.version == 2 and existing.is_imported and existing.author == admin
    assert dict(existing.results.values_list("criterion__number", "status")) == {
        1: ResultStatus.MET,
        2: ResultStatus.NOT_MET,
        3: ResultStatus.MET,
    }
    # History: the new assessment and each of its results once ("+"), the update ("~") and
    # only the results that changed; the "not assessed" result's deletion ("-").
    history = CriterionResult.history.model
    assert list(
        Assessment.history.filter(id=created.pk).values_list("history_type", "history_user")
    ) == [("+", admin.pk)]
    assert (
        Assessment.history.filter(id=existing.pk, history_type="~").values_list(
            "version", "history_user"
        )
    ).get() == (2, admin.pk)
    for result in created.results.all():
        record = history.objects.get(id=result.pk)
        assert (record.history_type, record.history_user_id) == ("+", admin.pk)
        assert record.history_change_reason is None
        assert (record.assessment_id, record.criterion_id, record.status, record.note) == (
            result.assessment_id,
            result.criterion_id,
            result.status,
            result.note,
        )
    changes = history.objects.filter(assessment_id=existing.pk).exclude(
        history_type="+", history_user=None
    )
    assert sorted(
        (r.history_type, r.status) for r in changes.select_related(None).order_by("pk")
    ) == [
        ("-", ResultStatus.MET),  # criterion 4, "KĐG"
        ("~", ResultStatus.NOT_MET),  # criterion 2 (1 and 3 stay Đ: no history row)
    ]
    # The dossier's audit trail reads them.
    trail = audit_trail(created)
    assert {(e.kind, e.who) for e in trail} == {("+", "admin")}
    assert len(trail) == 1 + 3


def test_reimporting_what_was_applied_changes_nothing(admin, criteria_set):
    communes = [make_commune() for _ in range(3)]
    preview_and_apply(admin, sheet(communes), criteria_set)
    before = snapshot()

    preview = services.dry_run(
        user=admin, data=sheet(communes), file_name="bulk.xlsx", options=options(criteria_set)
    )

    assert preview.counts == {"new": 0, "update": 0, "skip": 3, "rejected": 0}
    assert snapshot() == before


@pytest.mark.parametrize("failing_insert", [1, 3, 5, 8])
def test_database_failure_in_any_batch_writes_nothing(
    admin, criteria_set, monkeypatch, failing_insert
):
    """Two rows per batch, five rows: the failure hits the first, a middle or the last batch
    (assessments, their history, results or the results' history)."""
    monkeypatch.setattr(plan_module, "ROWS_PER_BATCH", 2)
    communes = [make_commune() for _ in range(5)]
    changed = make_assessment(
        unit=communes[4], criteria_set=criteria_set, status=AssessmentStatus.DRAFT
    )
    data = sheet(communes)
    opts = options(criteria_set)
    preview = services.dry_run(user=admin, data=data, file_name="bulk.xlsx", options=opts)
    assert preview.counts == {"new": 4, "update": 1, "skip": 0, "rejected": 0}
    before = snapshot()
    inserts = []

    def fail(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            inserts.append(sql)
            if len(inserts) == failing_insert:
                raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with (
        connection.execute_wrapper(fail),
        pytest.raises(ImportChanged, match="nothing was imported"),
    ):
        services.apply_import(
            user=admin,
            data=data,
            file_name="bulk.xlsx",
            options=opts,
            fingerprint=preview.fingerprint,
        )

    assert len(inserts) == failing_insert
    assert snapshot() == before
    changed.refresh_from_db()
    assert changed.version == 1


def test_apply_without_the_failure_writes_every_batch(admin, criteria_set, monkeypatch):
    monkeypatch.setattr(plan_module, "ROWS_PER_BATCH", 2)
    communes = [make_commune() for _ in range(5)]

    preview_and_apply(admin, sheet(communes), criteria_set)

    assert Assessment.objects.filter(criteria_set=criteria_set).count() == 5
    assert CriterionResult.objects.filter(assessment__criteria_set=criteria_set).count() == 20
    ids = Assessment.objects.filter(criteria_set=criteria_set).values("pk")
    assert Assessment.history.filter(id__in=ids, history_type="+").count() == 5
    assert CriterionResult.history.filter(assessment_id__in=ids, history_type="+").count() == 20


def written_by_import():
    """What an import wrote, without what differs between two runs of it: ids (sequences do
    not roll back) and the moments of writing. Assessments are named by commune and date."""
    assessments = Assessment.objects.filter(is_imported=True)
    unit = {a.pk: (a.commune_id, a.assessed_on) for a in assessments}
    moments = {"id", "history_id", "history_date", "created_at", "updated_at"}

    def rows(queryset, key):
        names = [f.attname for f in queryset.model._meta.concrete_fields]
        kept = [n for n in names if n not in moments and n != key]
        return sorted(
            (unit.get(values[key]), *(values[n] for n in kept))
            for values in queryset.values(*names)
        )

    return [
        rows(assessments, "id"),
        rows(Assessment.history.filter(id__in=list(unit)), "id"),
        rows(CriterionResult.objects.filter(assessment__in=list(unit)), "assessment_id"),
        rows(CriterionResult.history.filter(assessment_id__in=list(unit)), "assessment_id"),
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_writes_the_rows_and_history_the_orm_writes(admin, criteria_set, monkeypatch):
    monkeypatch.setattr(plan_module, "ROWS_PER_BATCH", 2)
    communes = [make_commune() for _ in range(5)]
    make_assessment(unit=communes[4], criteria_set=criteria_set, status=AssessmentStatus.DRAFT)

    def import_with(copy):
        monkeypatch.setattr(plan_module, "uses_copy", lambda: copy)
        with transaction.atomic():
            preview_and_apply(admin, sheet(communes), criteria_set)
            written = written_by_import()
            kinds = set(
                Assessment.history.filter(is_imported=True).values_list(
                    "history_type", "history_user", "history_change_reason"
                )
            )
            transaction.set_rollback(True)
        return written, kinds

    by_copy, by_orm = import_with(True), import_with(False)

    assert by_copy == by_orm
    (assessments, _history, results, _result_history), kinds = by_copy
    assert (len(assessments), len(results)) == (5, 20)
    assert kinds == {("+", admin.pk, None), ("~", admin.pk, None)}


def test_criteria_columns_out_of_order_land_on_their_criteria(admin, criteria_set):
    commune = make_commune()

    def shuffled(marks):
        header = ["Mã ĐVHC", "Đơn vị", "Ngày đánh giá", 2, 1, 4, 3]
        return to_bytes(table([(commune.code, commune.name, "30/06/2024", *marks)], header=header))

    bad = services.dry_run(
        user=admin,
        data=shuffled(("CBĐ", "Đ", "?", "x?")),
        file_name="b.xlsx",
        options=options(criteria_set),
    )
    preview_and_apply(admin, shuffled(("CBĐ", "Đ", "CĐ", "KĐG")), criteria_set)

    # Each bad mark at its own cell, in the order of the cells.
    assert [(e.row, e.column) for e in bad.errors] == [(2, 6), (2, 7)]
    assessment = Assessment.objects.get(commune=commune, criteria_set=criteria_set)
    assert dict(assessment.results.values_list("criterion__number", "status")) == {
        1: ResultStatus.MET,
        2: ResultStatus.BASICALLY_MET,
        4: ResultStatus.NOT_MET,
    }
