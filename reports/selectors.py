"""Reads for the public overview (province → district → commune).

Everything here is public: recognitions, and only assessments in a public status
(``Assessment.objects.public()``), never drafts or unverified submissions.

Each function builds its page from a fixed number of queries, whatever the number of
communes or assessments: rows are fetched in bulk (one query per kind of row) and grouped
in Python. tests/reports/test_queries.py pins the counts.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from communes.enums import CommuneKind
from communes.models import (
    LEGACY_VALID_TO,
    Commune,
    District,
    Province,
    Statistic,
)
from criteria.enums import Title
from criteria.models import (
    Assessment,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Recognition,
    SubqueryCount,
    Target,
)

# A commune holding the advanced or model title has met NTM first (the sets name NTM as
# their prerequisite), so it counts as an NTM commune even when the older decision is not
# in the portal.
NTM_COMMUNE_TITLES = (Title.NTM, Title.NTMNC, Title.MODEL)
# Titles shown as columns on the province page, in this order.
COMMUNE_TITLES = (Title.NTM, Title.NTMNC, Title.MODEL, Title.WARD)
VILLAGE_TITLES = (Title.VILLAGE_NTM, Title.VILLAGE_MODEL)


# ---------------------------------------------------------------------------------------------
# Home: provinces
# ---------------------------------------------------------------------------------------------


def province_list(*, on: datetime.date | None = None) -> QuerySet[Province]:
    """Every province valid ``on`` that day (default today: the 34 provinces since
    01/07/2025; the 63 before), with ``commune_count`` (all its communes, wards and towns),
    ``rural_count`` (its communes, xã) and ``recognised_count`` (xã holding an active NTM-level
    recognition). One query.

    The share is of the xã, as on the national ranking (reports.dashboard.national_ranking):
    only a xã can be recognised NTM, and one province must not show two different
    denominators on two pages."""
    communes = Commune.objects.filter(province=OuterRef("pk"))
    rural = communes.filter(kind=CommuneKind.COMMUNE)
    recognised = rural.filter(
        Exists(
            Recognition.objects.active().filter(
                commune=OuterRef("pk"), title__in=NTM_COMMUNE_TITLES
            )
        )
    )
    day = on or timezone.localdate()
    return (
        Province.objects.valid_on(day)
        .annotate(
            commune_count=SubqueryCount(communes.values("pk")),
            rural_count=SubqueryCount(rural.values("pk")),
            recognised_count=SubqueryCount(recognised.values("pk")),
        )
        .order_by("code")
    )


# ---------------------------------------------------------------------------------------------
# Rows of communes with their latest public progress (district page, province page)
# ---------------------------------------------------------------------------------------------


@dataclass
class CommuneRow:
    commune: Commune
    # One entry per set of the table, aligned with CommuneTable.sets: the latest public
    # assessment against that set (annotated with_progress), or None.
    cells: list = field(default_factory=list)
    recognitions: list = field(default_factory=list)
    targets: list = field(default_factory=list)


@dataclass
class CommuneTable:
    sets: list[CriteriaSet]
    rows: list[CommuneRow]


def _sets_newest_first(sets) -> list[CriteriaSet]:
    return sorted(
        sets,
        key=lambda s: (-(s.valid_from.toordinal() if s.valid_from else 0), s.code),
    )


def latest_public_assessments(**unit_filter) -> QuerySet[Assessment]:
    """The latest public assessment of each unit against each set, with progress, e.g.
    ``latest_public_assessments(commune__district=d)``. Exactly one of the unit fields must
    be named in the filter."""
    unit_field = next(iter(unit_filter)).split("__")[0]
    latest = Assessment.objects.public().filter(**unit_filter).latest_per_unit_and_set(unit_field)
    return latest.with_progress().select_related("criteria_set")


def commune_table(communes: QuerySet[Commune]) -> CommuneTable:
    """One row per commune of ``communes``: latest public progress per set, active
    recognitions and targets. Four queries; ``communes`` is also used as a subquery, so the
    count stays the same when it is empty."""
    commune_list = list(communes.order_by("code"))
    assessments = list(latest_public_assessments(commune__in=communes))
    recognitions = (
        Recognition.objects.active().filter(commune__in=communes).order_by("decided_on", "pk")
    )
    targets = Target.objects.filter(commune__in=communes).order_by("planned_year", "pk")

    sets = _sets_newest_first({a.criteria_set_id: a.criteria_set for a in assessments}.values())
    by_commune_and_set = {(a.commune_id, a.criteria_set_id): a for a in assessments}
    rows = {
        c.pk: CommuneRow(commune=c, cells=[by_commune_and_set.get((c.pk, s.pk)) for s in sets])
        for c in commune_list
    }
    for recognition in recognitions:
        rows[recognition.commune_id].recognitions.append(recognition)
    for target in targets:
        rows[target.commune_id].targets.append(target)
    return CommuneTable(sets=sets, rows=list(rows.values()))


# ---------------------------------------------------------------------------------------------
# Province page
# ---------------------------------------------------------------------------------------------


@dataclass
class DistrictRow:
    district: District
    commune_count: int
    # Communes holding each title, aligned with ProvinceOverview.titles.
    title_counts: list[int]


@dataclass
class ProvinceOverview:
    province: Province
    titles: list[Title]
    districts: list[DistrictRow]
    # Communes that belong directly to the province (no district, since 01/07/2025).
    direct_communes: CommuneTable
    commune_count: int
    # (title, communes of the whole province holding it), aligned with ``titles``.
    title_totals: list[tuple[str, int]]


def province_overview(province: Province) -> ProvinceOverview:
    """The province's districts with commune counts and recognised communes per title, and
    the communes without a district. Six queries."""
    districts = list(province.districts.annotate(commune_count=Count("communes")).order_by("code"))
    counts = (
        Recognition.objects.active()
        .filter(commune__province=province, title__in=COMMUNE_TITLES)
        .values("commune__district", "title")
        .annotate(n=Count("commune", distinct=True))
        .order_by()
    )
    per_district = defaultdict(dict)
    for row in counts:
        per_district[row["commune__district"]][row["title"]] = row["n"]

    # Ward and other rarer titles get a column only where the province has any.
    present = {title for titles in per_district.values() for title in titles}
    titles = [t for t in COMMUNE_TITLES if t in NTM_COMMUNE_TITLES or t in present]

    direct = commune_table(Commune.objects.filter(province=province, district__isnull=True))
    district_rows = [
        DistrictRow(
            district=d,
            commune_count=d.commune_count,
            title_counts=[per_district[d.pk].get(t, 0) for t in titles],
        )
        for d in districts
    ]
    all_counts = [per_district[key] for key in per_district]
    return ProvinceOverview(
        province=province,
        titles=titles,
        districts=district_rows,
        direct_communes=direct,
        commune_count=sum(d.commune_count for d in districts) + len(direct.rows),
        title_totals=[(t, sum(c.get(t, 0) for c in all_counts)) for t in titles],
    )


# ---------------------------------------------------------------------------------------------
# District page
# ---------------------------------------------------------------------------------------------


@dataclass
class DistrictOverview:
    district: District
    communes: CommuneTable
    # The district's own latest public assessments (one per set) and recognitions.
    assessments: list[Assessment]
    recognitions: list[Recognition]
    # (title, number of villages holding it), for the village titles any village holds.
    village_counts: list[tuple[str, int]]

    @property
    def commune_title_counts(self) -> list[tuple[str, int]]:
        """(title, communes holding it) for each commune title any commune holds."""
        holders = defaultdict(set)
        for row in self.communes.rows:
            for recognition in row.recognitions:
                holders[recognition.title].add(row.commune.pk)
        return [(t, len(holders[t])) for t in COMMUNE_TITLES if t in holders]


def district_overview(district: District) -> DistrictOverview:
    """One row per commune of the district, plus the district's own public assessments and
    recognitions and how many of its villages are recognised per title. Seven queries."""
    communes = commune_table(Commune.objects.filter(district=district))
    assessments = _sets_newest_first_assessments(latest_public_assessments(district=district))
    recognitions = list(Recognition.objects.filter(district=district))
    village_counts = dict(
        Recognition.objects.active()
        .filter(village__commune__district=district, title__in=VILLAGE_TITLES)
        .values("title")
        .annotate(n=Count("village", distinct=True))
        .order_by()
        .values_list("title", "n")
    )
    return DistrictOverview(
        district=district,
        communes=communes,
        assessments=assessments,
        recognitions=recognitions,
        village_counts=[(t, village_counts[t]) for t in VILLAGE_TITLES if t in village_counts],
    )


def _sets_newest_first_assessments(assessments) -> list[Assessment]:
    by_set = {a.criteria_set_id: a for a in assessments}
    return [by_set[s.pk] for s in _sets_newest_first(a.criteria_set for a in by_set.values())]


# ---------------------------------------------------------------------------------------------
# Commune page
# ---------------------------------------------------------------------------------------------


@dataclass
class CriterionLine:
    criterion: Criterion
    # A ResultStatus value, or "" when the assessment has no result for this criterion.
    status: str


@dataclass
class SetHistory:
    criteria_set: CriteriaSet
    # Public assessments against the set, newest first, annotated with_progress.
    assessments: list[Assessment]
    # Every criterion of the set with its result in the latest assessment.
    criteria: list[CriterionLine]

    @property
    def latest(self) -> Assessment:
        return self.assessments[0]


@dataclass
class CommuneOverview:
    commune: Commune
    sets: list[SetHistory]
    recognitions: list[Recognition]
    targets: list[Target]
    statistics: list[Statistic]


def commune_overview(commune: Commune) -> CommuneOverview:
    """The commune's public assessments per set (newest first), the criteria results of the
    latest one of each set, all its recognitions (revoked ones included), targets and
    published statistics. Six queries."""
    public = Assessment.objects.public().filter(commune=commune)
    assessments = list(
        public.with_progress().select_related("criteria_set").order_by("-assessed_on", "-pk")
    )
    latest = public.latest_per_unit_and_set("commune")
    # Subqueries rather than lists of ids, so the query count does not drop to zero for a
    # commune without assessments.
    criteria = Criterion.objects.filter(criteria_set__in=public.values("criteria_set")).order_by(
        "criteria_set", "number"
    )
    # A criterion belongs to one set, so it identifies the latest assessment's result.
    status = dict(
        CriterionResult.objects.filter(assessment__in=latest).values_list("criterion", "status")
    )

    by_set: dict[int, SetHistory] = {}
    for assessment in assessments:
        history = by_set.setdefault(
            assessment.criteria_set_id,
            SetHistory(criteria_set=assessment.criteria_set, assessments=[], criteria=[]),
        )
        history.assessments.append(assessment)
    for criterion in criteria:
        by_set[criterion.criteria_set_id].criteria.append(
            CriterionLine(
                criterion=criterion,
                status=status.get(criterion.pk, ""),
            )
        )
    # Sets whose latest assessment is most recent come first.
    sets = sorted(by_set.values(), key=lambda h: (h.latest.assessed_on, h.latest.pk), reverse=True)
    return CommuneOverview(
        commune=commune,
        sets=sets,
        recognitions=list(Recognition.objects.filter(commune=commune)),
        targets=list(Target.objects.filter(commune=commune).order_by("planned_year", "pk")),
        statistics=list(Statistic.objects.filter(commune=commune).order_by("-year", "kind")),
    )


# ---------------------------------------------------------------------------------------------
# A commune through the 2025 merger: its predecessors' history and the merged-commune title
# ---------------------------------------------------------------------------------------------


@dataclass
class PredecessorHistory:
    """What a predecessor of a commune published before 01/07/2025, under its own name."""

    commune: Commune
    partly_merged: bool
    assessments: list[Assessment]  # public, newest first, with criteria_met / criteria_total
    recognitions: list[Recognition]  # decided before the merger

    @property
    def recognised(self) -> bool:
        """Held an NTM-level recognition in force on the eve of the merger."""
        return any(
            r.title in NTM_COMMUNE_TITLES
            and (r.revoked_on is None or r.revoked_on > LEGACY_VALID_TO)
            for r in self.recognitions
        )


@dataclass
class MergedTitle:
    """The merged-commune title rule (README, "Two eras of units"): a commune formed by the
    2025 merger counts as NTM only when every predecessor was recognised; otherwise it has not
    met the standard ("chưa đạt") until it is recognised on its own."""

    counts_as_ntm: bool
    recognised_on_its_own: bool
    missing: list[PredecessorHistory]  # predecessors without a recognition


@dataclass
class MergerHistory:
    predecessors: list[PredecessorHistory]
    title: MergedTitle | None  # None for a commune without predecessors


def merger_history(
    commune: Commune, own_recognitions: list[Recognition], predecessors: list
) -> MergerHistory:
    """The predecessors' public assessments and recognitions before 01/07/2025 and the
    merged-commune title. ``predecessors``: the commune's lineage (communes.lineage). Two
    queries, none when there is no predecessor."""
    if not predecessors:
        return MergerHistory(predecessors=[], title=None)
    ids = [link.unit.pk for link in predecessors]
    assessments = defaultdict(list)
    for assessment in (
        Assessment.objects.public()
        .filter(commune_id__in=ids, assessed_on__lte=LEGACY_VALID_TO)
        .with_progress()
        .select_related("criteria_set")
        .order_by("-assessed_on", "-pk")
    ):
        assessments[assessment.commune_id].append(assessment)
    recognitions = defaultdict(list)
    for recognition in Recognition.objects.filter(
        commune_id__in=ids, decided_on__lte=LEGACY_VALID_TO
    ).order_by("-decided_on", "-pk"):
        recognitions[recognition.commune_id].append(recognition)
    histories = [
        PredecessorHistory(
            commune=link.unit,
            partly_merged=link.partly_merged,
            assessments=assessments[link.unit.pk],
            recognitions=recognitions[link.unit.pk],
        )
        for link in predecessors
    ]
    own = any(r.title in NTM_COMMUNE_TITLES and r.is_active for r in own_recognitions)
    missing = [p for p in histories if not p.recognised]
    return MergerHistory(
        predecessors=histories,
        title=MergedTitle(
            counts_as_ntm=own or not missing, recognised_on_its_own=own, missing=missing
        ),
    )
