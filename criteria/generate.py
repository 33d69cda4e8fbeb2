"""A realistic, reproducible national history of assessments, for benchmarks and load tests.

``generate_history`` builds, on top of the administrative units, public assessments of every
rural commune (xã) against the national NTM set in force at each date, two rounds a year (none
dated after today, or after the ``until`` date of the run), with plausible progress; the
recognitions and targets that follow from those results; and a few villages per commune.

The history crosses the 2025 merger (default 2020–2026): a round dated before 01/07/2025 is
held by the communes of the old map, a later one by the communes of the 34 provinces, each
against the set in force that day (QĐ 318 from 08/03/2022, the 2026–2030 set from
15/02/2026). A new commune starts from its predecessors' last state: a criterion counts as
met only when every predecessor met it (the merger's title rule, README "History that
follows the commune").

Generated data is written with ``bulk_create`` only: it has **no audit history**
(django-simple-history records nothing for bulk inserts) and no workflow events. Every
generated row is marked, so ``reset_history`` removes exactly those rows:

- Assessment.import_source and Recognition.note / Target.note start with ``MARK``;
- Village.code starts with ``VILLAGE_CODE_PREFIX`` (real GSO codes are digits only).

Each commune draws from its own random generator, seeded by (seed, GSO code), so a commune's
history does not depend on which other provinces are generated.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from communes.enums import AssessmentStatus, CommuneKind, ResultStatus, VillageKind
from communes.models import (
    LEGACY_VALID_TO,
    MERGER_DATE,
    Commune,
    CommuneSuccession,
    Province,
    Village,
)
from communes.services import load_admin_units
from reports.cache import record_change

from .enums import Title
from .models import (
    Assessment,
    AssessmentEvent,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Evidence,
    IndicatorValue,
    Recognition,
    Target,
    in_force_windows,
)
from .services import load_criteria_fixture

MARK = "generate_history"
VILLAGE_CODE_PREFIX = "G"
DEFAULT_SEED = 2024
DEFAULT_YEARS = 7
DEFAULT_END_YEAR = 2026
DEFAULT_VILLAGES = 3
# The national commune sets, oldest first: each round uses the one valid on its date.
SET_CODES = ("NTM_XA_2016_2020", "NTM_XA_2021_2025", "NTM_XA_2026_2030")
# Two rounds a year (month, day): mid-year review and year-end review.
ROUNDS = ((6, 30), (12, 15))
BATCH_SIZE = 2000
EXPECTED_COMMUNES = 10_051
EXPECTED_NEW_COMMUNES = 3_321


def mark(seed: int) -> str:
    return f"{MARK} seed {seed}"


@dataclass
class GenerationSummary:
    seed: int
    communes: int = 0
    assessments: int = 0
    results: int = 0
    recognitions: int = 0
    village_recognitions: int = 0
    targets: int = 0
    villages: int = 0
    units_loaded: bool = False
    already_present: bool = False
    deleted: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        if self.already_present:
            return [f"Generated history ({MARK}) already present: nothing created (use --reset)."]
        return [
            f"seed {self.seed}: {self.communes} communes (xã) assessed",
            f"assessments: {self.assessments}",
            f"criterion results: {self.results}",
            f"recognitions (commune NTM): {self.recognitions}",
            f"recognitions (village NTM): {self.village_recognitions}",
            f"targets: {self.targets}",
            f"villages: {self.villages}",
        ]


@dataclass
class _Round:
    day: datetime.date
    criteria_set: CriteriaSet
    criteria: list[Criterion]


def round_dates(*, years: int, end_year: int, until: datetime.date) -> list[datetime.date]:
    """The rounds' dates, none after ``until``: an assessment is a record of what was found,
    so generated data never dates one in the future (the year-end round of the current year
    is left out until its day has come)."""
    return [
        day
        for year in range(end_year - years + 1, end_year + 1)
        for month, day_of_month in ROUNDS
        if (day := datetime.date(year, month, day_of_month)) <= until
    ]


def _rounds(*, years: int, end_year: int, until: datetime.date) -> list[_Round]:
    sets = list(CriteriaSet.objects.filter(code__in=SET_CODES).order_by("valid_from"))
    criteria = {s.pk: list(s.criteria.order_by("number")) for s in sets}
    # The set in force that day (from its legal effective date until the next one's), as the
    # assessment start form offers it.
    windows = in_force_windows(sets)
    rounds = []
    for day in round_dates(years=years, end_year=end_year, until=until):
        valid = [s for s in sets if windows[s.pk].contains(day)]
        if valid:
            rounds.append(_Round(day=day, criteria_set=valid[-1], criteria=criteria[valid[-1].pk]))
    return rounds


def generated_assessments():
    return Assessment.objects.filter(import_source__startswith=MARK)


def _ensure_reference_data(province_codes: list[str] | None) -> bool:
    """Load the units (and the criteria sets) when the ones asked for are missing."""
    # The generated history lies on both maps: the old one until 30/06/2025, the new after.
    communes = Commune.objects.valid_on(LEGACY_VALID_TO)
    new = Commune.objects.valid_on(MERGER_DATE)
    if province_codes:
        communes = communes.filter(province__code__in=province_codes)
        new = new.filter(province__code__in=province_codes)
    loaded = False
    if not Province.objects.exists() or (
        communes.count() == 0
        if province_codes
        else communes.count() < EXPECTED_COMMUNES or new.count() < EXPECTED_NEW_COMMUNES
    ):
        load_admin_units(province_codes=province_codes)
        loaded = True
    if CriteriaSet.objects.filter(code__in=SET_CODES).count() < len(SET_CODES):
        load_criteria_fixture()
    return loaded


def generate_history(
    *,
    seed: int = DEFAULT_SEED,
    years: int = DEFAULT_YEARS,
    end_year: int = DEFAULT_END_YEAR,
    until: datetime.date | None = None,
    villages: int = DEFAULT_VILLAGES,
    province_codes: Iterable[str] | None = None,
    reset: bool = False,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Generate the history (see the module docstring). No round is dated after ``until``
    (default today): recognitions follow the rounds, so none is dated later either.

    Side effects, in one transaction: runs load_admin_units (and load_criteria) when units or
    the national sets are missing; with ``reset``, deletes every generated row first (any
    seed); creates Village, Assessment (status approved, public), CriterionResult, Recognition
    and Target rows with bulk inserts (no history, no events). When generated assessments
    already exist and ``reset`` is false, creates nothing (idempotent).
    """
    codes = [str(c).zfill(2) for c in province_codes] if province_codes else None
    summary = GenerationSummary(seed=seed)
    with transaction.atomic():
        # Bulk inserts send no signals: every province's cached reports are stale.
        record_change(province_id=None)
        summary.units_loaded = _ensure_reference_data(codes)
        if reset:
            summary.deleted = reset_history()
        elif generated_assessments().exists():
            summary.already_present = True
            return summary
        rounds = _rounds(years=years, end_year=end_year, until=until or timezone.localdate())
        if not rounds:
            raise ValueError(
                "No national commune set is valid on a round date of the years asked for "
                "(rounds after --until, by default today, are left out)."
            )
        # The old map first: a new commune starts from its predecessors' last state.
        old = Province.objects.valid_on(LEGACY_VALID_TO).order_by("code")
        new = Province.objects.valid_on(MERGER_DATE).order_by("code")
        if codes:
            old, new = old.filter(code__in=codes), new.filter(code__in=codes)
        provinces = [*old, *new] if any(r.day >= MERGER_DATE for r in rounds) else list(old)
        predecessors = defaultdict(list)
        for successor_id, predecessor_id in CommuneSuccession.objects.values_list(
            "successor_id", "predecessor_id"
        ):
            predecessors[successor_id].append(predecessor_id)
        last_met = {}  # commune id -> {criterion number: met} after its last round
        # Targets are unique per commune and title: never collide with one a user entered.
        taken_targets = set(
            Target.objects.filter(title=Title.NTM, commune__isnull=False).values_list(
                "commune_id", flat=True
            )
        )
        for province in provinces:
            _generate_province(
                province,
                rounds=rounds,
                seed=seed,
                villages=villages,
                end_year=end_year,
                taken_targets=taken_targets,
                summary=summary,
                predecessors=predecessors,
                last_met=last_met,
            )
            if progress:
                progress(f"{province.code} {province.name}: {summary.assessments} assessments")
    return summary


def _generate_province(
    province,
    *,
    rounds,
    seed,
    villages,
    end_year,
    taken_targets,
    summary,
    predecessors,
    last_met,
):
    source = mark(seed)
    # Each commune takes the rounds of its own validity; one with none is left alone.
    rounds_of = {}
    for commune in Commune.objects.filter(province=province).order_by("code"):
        held = [r for r in rounds if commune.is_valid_on(r.day)]
        if held:
            rounds_of[commune] = held
    communes = list(rounds_of)
    new_villages = []
    for commune in communes:
        kind = VillageKind.THON if commune.kind == CommuneKind.COMMUNE else VillageKind.TO_DAN_PHO
        prefix = "Thôn" if kind == VillageKind.THON else "Tổ dân phố"
        new_villages += [
            Village(
                code=f"{VILLAGE_CODE_PREFIX}{commune.code}{i:02d}",
                name=f"{prefix} {i}",
                kind=kind,
                commune=commune,
                # A village lives as long as its commune: codes repeat between the two maps.
                valid_from=commune.valid_from,
                valid_to=commune.valid_to,
            )
            for i in range(1, villages + 1)
        ]
    Village.objects.bulk_create(new_villages, batch_size=BATCH_SIZE)
    summary.villages += len(new_villages)
    villages_of = {}
    for village in new_villages:
        villages_of.setdefault(village.commune_id, []).append(village)

    # Plan every commune's history first (pure Python), then insert in a few bulk statements.
    plans = []
    for commune in communes:
        if commune.kind != CommuneKind.COMMUNE:
            continue  # NTM titles are for rural communes (xã) only.
        start = None
        before = [last_met[p] for p in predecessors.get(commune.pk, ()) if p in last_met]
        if before:
            # Met only when every predecessor met it.
            start = {n: all(m.get(n, False) for m in before) for n in range(1, 20)}
        steps, met = _plan_commune(commune, rounds=rounds_of[commune], seed=seed, start=start)
        last_met[commune.pk] = met
        if steps:
            plans.append((commune, steps))
    assessments = [
        Assessment(
            commune=commune,
            criteria_set=step.criteria_set,
            assessed_on=step.day,
            status=AssessmentStatus.APPROVED,
            is_imported=True,
            import_source=source,
        )
        for commune, steps in plans
        for step, _statuses in steps
    ]
    Assessment.objects.bulk_create(assessments, batch_size=BATCH_SIZE)
    summary.communes += len(plans)
    summary.assessments += len(assessments)

    results, recognitions, targets = [], [], []
    it = iter(assessments)
    for commune, steps in plans:
        rng = random.Random(f"{seed}:{commune.code}:after")
        recognised = {}  # set id -> (assessment, recognition)
        for step, statuses in steps:
            assessment = next(it)
            results += [
                CriterionResult(assessment_id=assessment.pk, criterion_id=c.pk, status=s)
                for c, s in zip(step.criteria, statuses, strict=True)
            ]
            set_id = step.criteria_set.pk
            if set_id not in recognised and all(s == ResultStatus.MET for s in statuses):
                recognition = Recognition(
                    commune=commune,
                    title=Title.NTM,
                    criteria_set=step.criteria_set,
                    assessment=assessment,
                    decision_number=f"{rng.randint(100, 4999)}/QĐ-UBND",
                    decided_on=step.day,
                    authority=f"UBND {province.name}",
                    note=source,
                )
                recognised[set_id] = (assessment, recognition)
                recognitions.append(recognition)
                for village in villages_of.get(commune.pk, []):
                    if rng.random() < 0.5:
                        recognitions.append(
                            Recognition(
                                village=village,
                                title=Title.VILLAGE_NTM,
                                decided_on=step.day,
                                authority=f"UBND {commune.name}",
                                note=source,
                            )
                        )
                        summary.village_recognitions += 1
        if commune.pk not in taken_targets:
            last_step, last_statuses = steps[-1]
            done = recognised.get(last_step.criteria_set.pk)
            if done:
                planned = done[0].assessed_on.year
            else:
                missing = sum(1 for s in last_statuses if s != ResultStatus.MET)
                # Most plan ahead by how much is left; some keep a year already past (overdue).
                planned = end_year if rng.random() < 0.15 else end_year + 1 + missing // 4
            targets.append(
                Target(
                    commune=commune,
                    title=Title.NTM,
                    planned_year=planned,
                    criteria_set=last_step.criteria_set,
                    note=source,
                )
            )
        if len(results) >= 10 * BATCH_SIZE:
            CriterionResult.objects.bulk_create(results, batch_size=BATCH_SIZE)
            summary.results += len(results)
            results = []
    CriterionResult.objects.bulk_create(results, batch_size=BATCH_SIZE)
    summary.results += len(results)
    Recognition.objects.bulk_create(recognitions, batch_size=BATCH_SIZE)
    summary.recognitions += sum(1 for r in recognitions if r.commune_id)
    Target.objects.bulk_create(targets, batch_size=BATCH_SIZE)
    summary.targets += len(targets)


def _plan_commune(commune, *, rounds: list[_Round], seed: int, start: dict | None = None):
    """([(round, [status per criterion])], criteria met after the last round) for one
    commune: most improve round after round, a few regress; a new (stricter) set loses some
    criteria met under the old one. ``start``: what a commune formed on 01/07/2025 inherits
    from its predecessors (criterion number -> met)."""
    # A code names two communes across the merger: the new one draws its own numbers.
    key = (
        f"{commune.code}" if commune.valid_from is None else f"{commune.code}:{commune.valid_from}"
    )
    rng = random.Random(f"{seed}:{key}")
    capacity = rng.random()
    improve = 0.08 + 0.32 * rng.random()
    lose = 0.06 if rng.random() < 0.06 else 0.002  # about 6% of communes regress
    met = {n: rng.random() < 0.45 + 0.5 * capacity for n in range(1, 20)}
    if start is not None:
        met = dict(start)
    steps, previous_set = [], None
    for i, step in enumerate(rounds):
        if previous_set is not None and step.criteria_set.pk != previous_set:
            met = {n: m and rng.random() < 0.88 for n, m in met.items()}
        previous_set = step.criteria_set.pk
        if i and rng.random() < 0.03:
            continue  # a round this commune skipped
        if i:
            met = {
                n: (rng.random() >= lose) if m else (rng.random() < improve) for n, m in met.items()
            }
        statuses = []
        for criterion in step.criteria:
            if met.get(criterion.number, False):
                statuses.append(ResultStatus.MET)
            elif rng.random() < 0.35:
                statuses.append(ResultStatus.BASICALLY_MET)
            else:
                statuses.append(ResultStatus.NOT_MET)
        steps.append((step, statuses))
    return steps, met


def reset_history() -> dict[str, int]:
    """Delete every generated row (any seed) and nothing else. Returns counts per table.

    Raw DELETEs: the ORM's delete() would load every row to send the history app's
    post_delete signals (one history row per deleted row), which is what bulk generation
    avoids in the first place."""
    assessment = Assessment._meta.db_table
    generated = f"SELECT id FROM {assessment} WHERE import_source LIKE %s"  # noqa: S608
    like = f"{MARK}%"
    village = Village._meta.db_table
    generated_villages = f"SELECT id FROM {village} WHERE code LIKE %s"  # noqa: S608
    steps = [
        (CriterionResult, f"assessment_id IN ({generated})", [like]),
        (IndicatorValue, f"assessment_id IN ({generated})", [like]),
        (AssessmentEvent, f"assessment_id IN ({generated})", [like]),
        (Evidence, f"assessment_id IN ({generated})", [like]),
        (
            Recognition,
            f"note LIKE %s OR assessment_id IN ({generated}) OR village_id IN "
            f"({generated_villages})",
            [like, like, f"{VILLAGE_CODE_PREFIX}%"],
        ),
        (Assessment, "import_source LIKE %s", [like]),
        (Target, "note LIKE %s", [like]),
        (Village, "code LIKE %s", [f"{VILLAGE_CODE_PREFIX}%"]),
    ]
    deleted = {}
    with transaction.atomic(), connection.cursor() as cursor:
        record_change(province_id=None)  # raw DELETEs send no signals
        for model, where, params in steps:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {where}", params)  # noqa: S608
            deleted[model._meta.model_name] = cursor.rowcount
    return deleted
