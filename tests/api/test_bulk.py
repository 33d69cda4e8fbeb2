"""The bulk files stream from the database, hold exactly the public data, and neutralise
spreadsheet formulas in their text cells."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from communes.enums import PUBLIC_ASSESSMENT_STATUSES
from communes.models import Commune
from criteria.models import Assessment, CriterionResult, Recognition
from tests.factories import legacy_unit, make_recognition

pytestmark = pytest.mark.django_db


def _body(response):
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def _rows(client, name):
    response = client.get(f"/open-data/{name}.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="ntm-{name}-')
    text = _body(response)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_assessments_csv_is_every_public_assessment(client, drafts):
    rows = _rows(client, "assessments")
    public = Assessment.objects.filter(status__in=PUBLIC_ASSESSMENT_STATUSES).with_progress()
    expected = {
        a.pk: (a.unit.code, a.criteria_set.code, a.assessed_on.isoformat(), a.criteria_met)
        for a in public.select_related("criteria_set", "commune", "village", "district")
    }
    got = {
        int(r["assessment_id"]): (
            r["unit_code"],
            r["criteria_set"],
            r["assessed_on"],
            int(r["criteria_met"]),
        )
        for r in rows
    }
    assert got == expected
    assert [int(r["assessment_id"]) for r in rows] == sorted(expected)
    lam_hop = next(r for r in rows if r["unit_code"] == "18838")
    assert (lam_hop["criteria_met"], lam_hop["criteria_total"]) == ("16", "20")


def test_results_csv_is_every_result_of_a_public_assessment(client, drafts):
    rows = _rows(client, "results")
    expected = CriterionResult.objects.filter(assessment__status__in=PUBLIC_ASSESSMENT_STATUSES)
    assert len(rows) == expected.count()
    assert {int(r["assessment_id"]) for r in rows}.isdisjoint({drafts["near"].pk, drafts["far"].pk})
    assert {r["status"] for r in rows} <= {"met", "basically_met", "not_met"}


def test_recognitions_csv_neutralises_formulas(client):
    make_recognition(
        unit=legacy_unit(Commune, "18838"),
        authority='=HYPERLINK("http://evil.example","UBND")',
        decision_number="+1/QĐ",
        revoked_on="2024-01-01",
        revocation_reason="@SUM(A1)",
    )
    rows = _rows(client, "recognitions")
    assert len(rows) == Recognition.objects.count()
    row = next(r for r in rows if r["decision_number"].endswith("1/QĐ"))
    assert row["authority"] == '\'=HYPERLINK("http://evil.example","UBND")'
    assert row["decision_number"] == "'+1/QĐ"
    assert row["revocation_reason"] == "'@SUM(A1)"
    assert row["revoked_on"] == "2024-01-01"


def test_jsonl_holds_assessments_with_results_then_recognitions(client, drafts):
    response = client.get("/open-data/ntm-open-data.jsonl")
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assessments = [x for x in lines if x["type"] == "assessment"]
    recognitions = [x for x in lines if x["type"] == "recognition"]
    assert (
        len(assessments) == Assessment.objects.filter(status__in=PUBLIC_ASSESSMENT_STATUSES).count()
    )
    assert len(recognitions) == Recognition.objects.count()
    assert lines.index(recognitions[0]) == len(assessments)
    lam_hop = next(a for a in assessments if a["unit_code"] == "18838")
    assert lam_hop["criteria_met"] == 16
    assert sum(1 for s in lam_hop["results"].values() if s == "met") == 16
    assert lam_hop["results"]["1"] == "not_met"
    total = sum(len(a["results"]) for a in assessments)
    assert (
        total
        == CriterionResult.objects.filter(assessment__status__in=PUBLIC_ASSESSMENT_STATUSES).count()
    )


def test_the_file_is_generated_while_it_is_read(client, django_assert_num_queries):
    """Nothing is queried before the body is read (the response is a generator)."""
    with django_assert_num_queries(0):
        response = client.get("/open-data/results.csv")
    with django_assert_num_queries(1):
        _body(response)
