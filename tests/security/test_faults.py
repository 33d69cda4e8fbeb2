"""Injected faults: a database error at any point of a multi-row write (the commune's draft
save, the recognition decision, an imported or recorded assessment) leaves no partial data.

Each test first counts the write statements (INSERT, UPDATE, DELETE) the operation runs, then
repeats it once per statement with that statement failing, and checks every table is as it was.
"""

import datetime
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, OperationalError, connection, transaction
from simple_history.manager import HistoryManager

from communes.enums import AssessmentStatus as S
from communes.enums import ResultStatus
from communes.models import Commune
from criteria import workflow
from criteria.models import Assessment, CriteriaSet, CriterionResult, Recognition
from criteria.services import record_assessment
from criteria.workflow import CriterionInput
from ntm_portal.backup import backed_up_models
from reports import cache as report_cache
from tests.factories import legacy_unit

# The district tier of the demo (kyanh verifies) works while Huyện Kỳ Anh exists.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_the_merger")]


@pytest.fixture(autouse=True)
def no_report_change_pruning(monkeypatch):
    """Every operation here runs once to count its writes, then once per write with that write
    failing: the count must not change between runs. reports.cache folds its change log when a
    new row's id is a multiple of PRUNE_EVERY, and on PostgreSQL ids are not reused after a
    rollback, so a run could meet a fold the counting run did not. Folding has tests of its
    own (tests/reports/test_dashboard_cache.py)."""
    monkeypatch.setattr(report_cache, "PRUNE_EVERY", 2**62)


User = get_user_model()
HATINH_SET = "HATINH_NTM_XA_2017_2020"
LAM_HOP = "18838"
WRITES = ("INSERT", "UPDATE", "DELETE")


class Fault(OperationalError):
    """The injected database error."""


@contextmanager
def failing_write(n: int | None, counter: list[int]):
    """Count write statements; raise Fault instead of running the n-th (None: never)."""

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            counter[0] += 1
            if counter[0] == n:
                raise Fault(f"injected failure of write {n}: {sql[:60]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


def everything() -> dict:
    """Every table's rows (as tuples), cheap enough for the few hundred rows that change."""
    snapshot = {}
    for model in backed_up_models():
        rows = model._default_manager.order_by("pk")
        if model._meta.label_lower in {"communes.commune", "communes.village"}:
            # Units are read, never written here: their count stands for them.
            snapshot[model._meta.label_lower] = rows.count()
        else:
            snapshot[model._meta.label_lower] = list(rows.values_list())
    return snapshot


def count_writes(operation) -> int:
    counter = [0]
    with transaction.atomic():
        with failing_write(None, counter):
            operation()
        transaction.set_rollback(True)
    return counter[0]


def assert_all_or_nothing(operation, minimum_writes: int):
    total = count_writes(operation)
    assert total >= minimum_writes, f"only {total} writes: the test would prove little"
    before = everything()
    for n in range(1, total + 1):
        counter = [0]
        with pytest.raises(DatabaseError), failing_write(n, counter):
            operation()
        assert everything() == before, f"write {n} of {total} failed and left partial data"
    # Without the fault, the operation goes through (so the faults above hit real writes).
    operation()
    assert everything() != before


def user(username):
    return User.objects.get(username=username)


@pytest.fixture
def draft():
    return workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 10, 1),
    )


def test_save_draft_failing_at_any_write_saves_nothing(draft):
    # Every criterion changes (the copied results are flipped), so each is rewritten.
    flipped = {
        r.criterion_id: CriterionInput(
            ResultStatus.NOT_MET if r.status == ResultStatus.MET else ResultStatus.MET,
            "Đã rà soát lại",
        )
        for r in draft.results.all()
    }

    def save():
        current = Assessment.objects.get(pk=draft.pk)
        workflow.save_draft(
            user=user("lamhop"),
            assessment=current,
            expected_version=current.version,
            results=flipped,
            values={},
            notes="Ghi chú mới",
        )

    assert len(flipped) == 20
    # In bulk: the results in one UPDATE, their history rows in one INSERT, the assessment.
    assert_all_or_nothing(save, minimum_writes=3)


@pytest.fixture
def appraised(draft):
    # Only a dossier meeting every criterion is appraised: the copied results (16/20) are not.
    draft.results.update(status=ResultStatus.MET)
    dossier = workflow.submit(user=user("lamhop"), assessment=draft)
    dossier = workflow.verify(user=user("kyanh"), assessment=dossier)
    return workflow.appraise(user=user("hatinh"), assessment=dossier)


def test_recognise_failing_at_any_write_records_nothing(appraised):
    def recognise():
        workflow.recognise(
            user=user("hatinh"),
            assessment=Assessment.objects.get(pk=appraised.pk),
            decision_number="1234/QĐ-UBND",
            decided_on=datetime.date(2020, 12, 20),
            signer="Chủ tịch UBND tỉnh",
        )

    assert_all_or_nothing(recognise, minimum_writes=4)
    dossier = Assessment.objects.get(pk=appraised.pk)
    assert dossier.status == S.RECOGNISED
    assert Recognition.objects.filter(assessment=dossier).count() == 1


def test_record_assessment_failing_at_any_write_records_nothing():
    criteria_set = CriteriaSet.objects.get(code="NTM_XA_2016_2020")
    numbers = list(criteria_set.criteria.values_list("number", flat=True))
    codes = [c for c in criteria_set.criteria.values_list("indicators__code", flat=True) if c]

    def record():
        record_assessment(
            unit=legacy_unit(Commune, LAM_HOP),
            criteria_set=criteria_set,
            assessed_on=datetime.date(2019, 6, 1),
            results={n: (ResultStatus.MET, "") for n in numbers},
            indicators_met=dict.fromkeys(codes, True),
            status=S.APPROVED,
            is_imported=True,
            import_source="tong-hop-2019.xlsx",
        )

    assert_all_or_nothing(record, minimum_writes=3)


def test_save_draft_failing_after_the_results_are_written_saves_nothing(draft):
    """The same through unittest.mock: the results are updated in bulk, then writing their
    history rows raises."""
    flipped = {
        r.criterion_id: CriterionInput(ResultStatus.NOT_MET, "Chưa đạt sau rà soát")
        for r in draft.results.all()
    }
    before = everything()
    calls = []

    def bulk_history_create(self, objs, *args, **kwargs):
        calls.append(len(objs))
        raise DatabaseError("disk I/O error")

    with (
        mock.patch.object(HistoryManager, "bulk_history_create", bulk_history_create),
        pytest.raises(DatabaseError),
    ):
        workflow.save_draft(
            user=user("lamhop"),
            assessment=draft,
            expected_version=draft.version,
            results=flipped,
            values={},
        )
    assert calls == [20]  # the fault was hit, after the 20 results had been written
    assert everything() == before
    assert (
        CriterionResult.objects.filter(assessment=draft, note="Chưa đạt sau rà soát").count() == 0
    )
