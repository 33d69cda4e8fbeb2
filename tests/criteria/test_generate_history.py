"""manage.py generate_history on one province (Long An, 80) with two years: one round pair on
the 2016–2020 set, one on the 2021–2025 set."""

import datetime
import io
from collections import defaultdict

import pytest
from django.core.management import call_command

from communes.enums import CommuneKind, ResultStatus
from communes.models import LEGACY_VALID_TO, Commune, Village
from criteria import generate
from criteria.models import Assessment, CriterionResult, Recognition, Target

pytestmark = pytest.mark.django_db

PROVINCE = "80"


def run(*args):
    out = io.StringIO()
    call_command(
        "generate_history",
        "--province",
        PROVINCE,
        "--years",
        "2",
        "--end-year",
        "2021",
        "--villages",
        "2",
        *args,
        stdout=out,
    )
    return out.getvalue()


def snapshot():
    """Everything generated, by natural values (not ids)."""
    results = sorted(
        CriterionResult.objects.filter(
            assessment__import_source__startswith=generate.MARK
        ).values_list(
            "assessment__commune__code",
            "assessment__assessed_on",
            "criterion__criteria_set__code",
            "criterion__number",
            "status",
        )
    )
    recognitions = sorted(
        Recognition.objects.filter(note__startswith=generate.MARK).values_list(
            "commune__code", "village__code", "title", "decided_on"
        ),
        key=str,
    )
    targets = sorted(
        Target.objects.filter(note__startswith=generate.MARK).values_list(
            "commune__code", "planned_year"
        )
    )
    return results, recognitions, targets


def test_generate_history_counts_match_what_it_prints():
    before = Assessment.objects.exclude(import_source__startswith=generate.MARK).count()
    out = run()
    generated = generate.generated_assessments()
    # The generated history lies on the pre-2025 map.
    legacy = Commune.objects.valid_on(LEGACY_VALID_TO)
    xa = legacy.filter(province__code=PROVINCE, kind=CommuneKind.COMMUNE)
    all_communes = legacy.filter(province__code=PROVINCE).count()
    assert generated.values("commune").distinct().count() == xa.count()
    # Four rounds, of which a commune skips one now and then (never the first).
    assert 3.5 * xa.count() <= generated.count() <= 4 * xa.count()
    assert f"assessments: {generated.count()}" in out
    results = CriterionResult.objects.filter(assessment__in=generated).count()
    assert results == 19 * generated.count()
    assert f"criterion results: {results}" in out
    assert Village.objects.filter(
        code__startswith="G", commune__province__code=PROVINCE
    ).count() == (2 * all_communes)
    assert Target.objects.filter(note__startswith=generate.MARK).count() <= xa.count()
    # Generated assessments are public and bound to the set in force on their date: QĐ 1980
    # until QĐ 318/QĐ-TTg takes effect on 08/03/2022.
    for set_code, day in generated.values_list("criteria_set__code", "assessed_on").distinct():
        expected = "NTM_XA_2016_2020" if day < datetime.date(2022, 3, 8) else "NTM_XA_2021_2025"
        assert set_code == expected
    assert all(a.is_public for a in generated[:50])
    # Nothing else was touched.
    assert Assessment.objects.exclude(import_source__startswith=generate.MARK).count() == before


def test_generate_history_is_idempotent_and_reproducible():
    run()
    first = snapshot()
    out = run()
    assert "nothing created" in out
    assert snapshot() == first
    run("--reset")
    assert snapshot() == first
    run("--reset", "--seed", "7")
    assert snapshot() != first


def test_generate_history_reset_deletes_only_generated_rows():
    others = (
        Assessment.objects.count(),
        Recognition.objects.count(),
        Target.objects.count(),
        Village.objects.count(),
    )
    run()
    deleted = generate.reset_history()
    assert deleted["assessment"] > 0
    after = (
        Assessment.objects.count(),
        Recognition.objects.count(),
        Target.objects.count(),
        Village.objects.count(),
    )
    assert after == others


def test_generate_history_progress_mostly_improves():
    run()
    met = defaultdict(dict)  # commune -> {date: criteria met}
    for assessment in generate.generated_assessments().with_progress():
        met[assessment.commune_id][assessment.assessed_on] = assessment.criteria_met
    within_set = [
        (days[datetime.date(2021, 6, 30)], days[datetime.date(2021, 12, 15)])
        for days in met.values()
        if datetime.date(2021, 6, 30) in days and datetime.date(2021, 12, 15) in days
    ]
    improved = sum(1 for a, b in within_set if b >= a)
    assert improved >= 0.85 * len(within_set)
    assert any(b < a for a, b in within_set) or len(within_set) < 50  # a few regress


def test_generate_history_recognitions_follow_results():
    run()
    all_met = {}
    for assessment in generate.generated_assessments().with_progress():
        if assessment.criteria_met == assessment.criteria_total:
            key = (assessment.commune_id, assessment.criteria_set_id)
            if key not in all_met or assessment.assessed_on < all_met[key].assessed_on:
                all_met[key] = assessment
    recognitions = Recognition.objects.filter(
        note__startswith=generate.MARK, commune__isnull=False
    ).select_related("assessment")
    assert len(recognitions) == len(all_met) > 0
    for recognition in recognitions:
        first = all_met[(recognition.commune_id, recognition.criteria_set_id)]
        assert recognition.assessment == first
        assert recognition.decided_on == first.assessed_on
        assert not recognition.assessment.results.exclude(status=ResultStatus.MET).exists()
    for target in Target.objects.filter(note__startswith=generate.MARK):
        reached = all_met.get((target.commune_id, target.criteria_set_id))
        if reached:
            assert target.planned_year == reached.assessed_on.year
        else:
            assert target.planned_year >= 2021


def test_generate_history_crosses_the_merger():
    """2025–2026 on Hà Tĩnh (42): the round of 30/06/2025 on the old communes, the later ones
    on the new communes, each against the set valid that day; a new commune starts from
    what every predecessor met."""
    from communes.models import MERGER_DATE, CommuneSuccession

    call_command(
        "generate_history",
        "--province",
        "42",
        "--years",
        "2",
        "--end-year",
        "2026",
        # The round of 15/12/2026 is in the data only once its day has come.
        "--until",
        "2026-12-31",
        "--villages",
        "1",
        stdout=io.StringIO(),
    )
    generated = generate.generated_assessments().select_related("commune", "criteria_set")
    expected_sets = {
        datetime.date(2025, 6, 30): "NTM_XA_2021_2025",
        datetime.date(2025, 12, 15): "NTM_XA_2021_2025",
        datetime.date(2026, 6, 30): "NTM_XA_2026_2030",
        datetime.date(2026, 12, 15): "NTM_XA_2026_2030",
    }
    for assessment in generated:
        assert assessment.commune.is_valid_on(assessment.assessed_on)
        assert assessment.criteria_set.code == expected_sets[assessment.assessed_on]
    days = set(generated.values_list("assessed_on", flat=True))
    assert days == set(expected_sets)
    assert generated.filter(commune__valid_to=LEGACY_VALID_TO).exists()
    assert generated.filter(commune__valid_from=MERGER_DATE).exists()

    def met_on(commune_id, day):
        return set(
            CriterionResult.objects.filter(
                assessment__in=generated,
                assessment__commune_id=commune_id,
                assessment__assessed_on=day,
                status=ResultStatus.MET,
            ).values_list("criterion__number", flat=True)
        )

    checked = 0
    links = CommuneSuccession.objects.filter(successor__province__code="42")
    by_successor = defaultdict(list)
    for successor_id, predecessor_id in links.values_list("successor_id", "predecessor_id"):
        by_successor[successor_id].append(predecessor_id)
    for successor_id, predecessor_ids in by_successor.items():
        before = [met_on(p, datetime.date(2025, 6, 30)) for p in predecessor_ids]
        first = datetime.date(2025, 12, 15)
        if (
            not all(before)
            or not generated.filter(commune_id=successor_id, assessed_on=first).exists()
        ):
            continue
        if any(
            not generated.filter(commune_id=p, assessed_on=datetime.date(2025, 6, 30)).exists()
            for p in predecessor_ids
        ):
            continue
        assert met_on(successor_id, first) == set.intersection(*before)
        checked += 1
    assert checked > 5


def test_generate_history_dates_nothing_after_today():
    """Next year's rounds are in the future whatever today is: none is generated, nor any
    recognition they would bring; this year's rounds up to today are."""
    from django.utils import timezone

    today = timezone.localdate()
    call_command(
        "generate_history",
        "--province",
        "42",
        "--years",
        "2",
        "--end-year",
        str(today.year + 1),
        "--villages",
        "1",
        stdout=io.StringIO(),
    )
    days = set(generate.generated_assessments().values_list("assessed_on", flat=True))
    assert days == set(generate.round_dates(years=1, end_year=today.year, until=today))
    assert max(days) <= today
    decided = Recognition.objects.filter(note__startswith=generate.MARK).values_list(
        "decided_on", flat=True
    )
    assert all(day <= today for day in decided)


def test_generate_history_stops_at_the_date_of_the_run():
    call_command(
        "generate_history",
        "--province",
        "42",
        "--years",
        "2",
        "--end-year",
        "2026",
        "--until",
        "2026-12-04",
        "--villages",
        "0",
        stdout=io.StringIO(),
    )
    days = set(generate.generated_assessments().values_list("assessed_on", flat=True))
    assert days == {
        datetime.date(2025, 6, 30),
        datetime.date(2025, 12, 15),
        datetime.date(2026, 6, 30),
    }


def test_generate_history_refuses_a_run_with_no_round_left():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="until"):
        call_command(
            "generate_history",
            "--province",
            "42",
            "--years",
            "1",
            "--end-year",
            "2026",
            "--until",
            "2026-06-29",
            stdout=io.StringIO(),
        )
