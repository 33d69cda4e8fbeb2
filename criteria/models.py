"""Criteria sets as versioned legal objects, and the dated assessments made against them."""

import datetime
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.enums import (
    EDITABLE_STATUSES,
    PUBLIC_ASSESSMENT_STATUSES,
    AssessmentStatus,
    EventAction,
    Region,
    ResultStatus,
)
from communes.models import Commune, District, Province, Village

from .enums import (
    Comparison,
    IndicatorKind,
    JobStatus,
    SetLevel,
    ThresholdScope,
    Title,
    Verification,
)
from .names import localized_short_name

# ---------------------------------------------------------------------------------------------
# Legal objects: sets, criteria, indicators, thresholds
# ---------------------------------------------------------------------------------------------


class CriteriaSetQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def for_level(self, level: str):
        return self.filter(level=level)

    def in_force_on(self, day: datetime.date):
        """The sets offered for a new assessment dated ``day`` (see ``in_force_windows``).
        Two queries: the windows need every set of the same kind."""
        windows = in_force_windows(CriteriaSet.objects.all())
        return self.filter(pk__in=[pk for pk, window in windows.items() if window.contains(day)])


@dataclass(frozen=True)
class InForce:
    """When a set is offered for new assessments (see ``in_force_windows``)."""

    start: datetime.date | None
    end: datetime.date | None
    replaced: bool = False

    def contains(self, day: datetime.date) -> bool:
        return (
            not self.replaced
            and (self.start is None or self.start <= day)
            and (self.end is None or day <= self.end)
        )


def in_force_windows(sets) -> dict[int, InForce]:
    """{set pk: InForce} for ``sets`` (all sets of each kind must be among them).

    A set with a legal effective date is in force from that date until the day before the
    next set of its kind (level, title, province) with a legal effective date takes effect,
    else until its period end. Why the successor and not the period end: a set stays the law
    until the next one takes effect (QĐ 1980/QĐ-TTg still applied on 01/01/2022, QĐ 318/QĐ-TTg
    from 08/03/2022). A set whose effective date the source does not give keeps its period
    (valid_from–valid_to): no succession is guessed for it. A set replaced by a newer version
    of itself is never offered again."""
    sets = list(sets)
    replaced = {s.previous_version_id for s in sets if s.previous_version_id}
    kinds: dict[tuple, list] = {}
    windows = {}
    for s in sets:
        if s.effective_from is None or s.pk in replaced:
            windows[s.pk] = InForce(s.in_force_from, s.valid_to, replaced=s.pk in replaced)
        else:
            kinds.setdefault((s.level, s.title, s.province_id), []).append(s)
    for members in kinds.values():
        members.sort(key=lambda s: s.effective_from)
        for i, s in enumerate(members):
            later = [
                m.effective_from for m in members[i + 1 :] if m.effective_from > s.effective_from
            ]
            end = later[0] - datetime.timedelta(days=1) if later else s.valid_to
            windows[s.pk] = InForce(s.effective_from, end)
    return windows


class CriteriaSetManager(models.Manager.from_queryset(CriteriaSetQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class CriteriaSet(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    level = models.CharField(_("applies to"), max_length=16, choices=SetLevel.choices)
    title = models.CharField(_("leads to the title"), max_length=24, choices=Title.choices)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    valid_from = models.DateField(_("period start"), null=True, blank=True)
    valid_to = models.DateField(_("period end"), null=True, blank=True)
    effective_from = models.DateField(
        _("legal effective date"),
        null=True,
        blank=True,
        help_text=_(
            "The date the decision takes effect, as its source gives it. Empty when the "
            "source gives none: the set is then offered from its period start."
        ),
    )
    effective_source = models.TextField(
        _("source of the effective date"),
        blank=True,
        help_text=_("Where the effective date comes from, or why it is not known."),
    )
    previous_version = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_versions",
        verbose_name=_("previous version"),
        help_text=_(
            "The set this one replaces: a set used by assessments is never edited, an "
            "administrator imports a new version instead."
        ),
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="criteria_sets",
        verbose_name=_("province (provincial variant)"),
    )
    prerequisite = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requires first"),
        help_text=_("A set whose title a unit must already hold, e.g. NTM before NTMNC."),
    )
    declared_criteria_count = models.PositiveSmallIntegerField(
        _("criteria count in the legal text"), null=True, blank=True
    )
    declared_indicator_count = models.PositiveSmallIntegerField(
        _("indicator count in the legal text"),
        null=True,
        blank=True,
        help_text=_(
            "Indicators the legal text has, even where the portal does not hold them all yet. "
            "Indicator progress counts over this number."
        ),
    )
    verification_summary = models.TextField(_("verification"), blank=True)
    sources = models.TextField(_("sources"), blank=True, help_text=_("One address per line."))
    notes = models.TextField(_("notes"), blank=True)

    objects = CriteriaSetManager()

    class Meta:
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        ordering = ["level", "-valid_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="criteriaset_period_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    @property
    def display_name(self):
        """The short name, in the page's language on English pages (criteria.names)."""
        return localized_short_name(self.short_name) or self.name

    @property
    def in_force_from(self) -> datetime.date | None:
        """The first day the set may be used for a new assessment."""
        return self.effective_from or self.valid_from

    def in_force(self) -> InForce:
        """This set's window, computed against every set of its kind and its own newer
        versions (one query, then kept on the instance: an import checks every row against
        the same set)."""
        cached = getattr(self, "_in_force", None)
        if cached is not None:
            return cached
        related = CriteriaSet.objects.filter(
            Q(level=self.level, title=self.title, province_id=self.province_id)
            | Q(previous_version_id=self.pk)
        ).only(
            "pk",
            "level",
            "title",
            "province",
            "effective_from",
            "valid_from",
            "valid_to",
            "previous_version",
        )
        self._in_force = in_force_windows([*related, self])[self.pk]
        return self._in_force

    def covers(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class CriterionManager(models.Manager):
    def get_by_natural_key(self, number, set_code):
        return self.get(number=number, criteria_set__code=set_code)


class Criterion(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("set")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    group = models.CharField(_("group"), max_length=200, blank=True)
    verification = models.CharField(_("verification"), max_length=24, choices=Verification.choices)
    source = models.TextField(_("source"), blank=True)
    note = models.TextField(_("note"), blank=True)
    is_placeholder = models.BooleanField(
        _("placeholder"),
        default=False,
        help_text=_("An item the legal text has but whose wording is not yet known."),
    )

    objects = CriterionManager()

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["criteria_set", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "number"], name="criterion_number_unique_in_set"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.name}"

    def natural_key(self):
        return (self.number, *self.criteria_set.natural_key())

    natural_key.dependencies = ["criteria.criteriaset"]


class IndicatorManager(models.Manager):
    def get_by_natural_key(self, code, number, set_code):
        return self.get(code=code, criterion__number=number, criterion__criteria_set__code=set_code)


class Indicator(models.Model):
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("criterion")
    )
    code = models.CharField(_("code"), max_length=16)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.TextField(_("name"))
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=IndicatorKind.choices)
    comparison = models.CharField(
        _("comparison"), max_length=4, choices=Comparison.choices, blank=True
    )
    verification = models.CharField(_("verification"), max_length=24, choices=Verification.choices)
    source = models.TextField(_("source"), blank=True)
    reference_note = models.TextField(
        _("reference note"),
        blank=True,
        help_text=_("What the reference says that is not a verified threshold."),
    )
    is_placeholder = models.BooleanField(_("placeholder"), default=False)

    objects = IndicatorManager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["criterion", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["criterion", "code"], name="indicator_code_unique_in_criterion"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def natural_key(self):
        return (self.code, *self.criterion.natural_key())

    natural_key.dependencies = ["criteria.criterion"]


class ThresholdManager(models.Manager):
    def get_by_natural_key(self, scope, region, commune_group, province_code, year, *indicator):
        return self.get(
            indicator=Indicator.objects.get_by_natural_key(*indicator),
            scope=scope,
            region=region,
            commune_group=commune_group,
            province__code=province_code,
            year=year,
        )


class Threshold(models.Model):
    """The level an indicator must reach, for one scope. No row means "not set" (chưa quy
    định): a threshold is never invented."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="thresholds", verbose_name=_("indicator")
    )
    scope = models.CharField(_("scope"), max_length=16, choices=ThresholdScope.choices)
    region = models.CharField(_("region"), max_length=8, choices=Region.choices, blank=True)
    commune_group = models.PositiveSmallIntegerField(_("commune group"), null=True, blank=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("province")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, help_text=_("Empty: applies in every year.")
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4, null=True, blank=True)
    value_text = models.CharField(_("as written"), max_length=500, blank=True)
    verification = models.CharField(_("verification"), max_length=24, choices=Verification.choices)
    source = models.TextField(_("source"))
    note = models.TextField(_("note"), blank=True)

    objects = ThresholdManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        ordering = ["indicator", "scope", "region", "commune_group", "year"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        scope=ThresholdScope.NATIONAL,
                        region="",
                        commune_group__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        scope=ThresholdScope.REGION,
                        commune_group__isnull=True,
                        province__isnull=True,
                    )
                    & ~Q(region="")
                    | Q(
                        scope=ThresholdScope.COMMUNE_GROUP,
                        region="",
                        commune_group__isnull=False,
                        province__isnull=True,
                    )
                    | Q(
                        scope=ThresholdScope.PROVINCE,
                        region="",
                        commune_group__isnull=True,
                        province__isnull=False,
                    )
                ),
                name="threshold_scope_fields_consistent",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | ~Q(value_text=""),
                name="threshold_has_value_or_text",
            ),
            # One threshold per indicator and scope; NULLs are folded so that "every year"
            # and "national" also collide (SQL treats NULLs as distinct otherwise).
            models.UniqueConstraint(
                F("indicator"),
                F("scope"),
                F("region"),
                Coalesce(F("commune_group"), Value(0)),
                Coalesce(F("province"), Value(0)),
                Coalesce(F("year"), Value(0)),
                name="threshold_unique_per_scope_and_year",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} [{self.scope_label}] {self.display_value}"

    def natural_key(self):
        return (
            self.scope,
            self.region,
            self.commune_group,
            self.province.code if self.province_id else None,
            self.year,
            *self.indicator.natural_key(),
        )

    natural_key.dependencies = ["criteria.indicator", "communes.province"]

    @property
    def scope_label(self) -> str:
        # Blank, not a 500, for the fields of an invalid admin form shown again.
        if self.scope == ThresholdScope.REGION:
            return Region(self.region).label if self.region in Region.values else ""
        if self.scope == ThresholdScope.COMMUNE_GROUP:
            if self.commune_group is None:
                return ""
            return str(_("Group %(n)s") % {"n": self.commune_group})
        if self.scope == ThresholdScope.PROVINCE:
            return self.province.name if self.province_id else ""
        return str(ThresholdScope.NATIONAL.label)

    @property
    def display_value(self) -> str:
        if self.value_text:
            return self.value_text
        if self.value is None:
            # Only an unsaved, invalid form (the constraint requires a value or a text).
            return ""
        symbol = {"gte": "≥ ", "lte": "≤ "}.get(self.indicator.comparison, "")
        value = f"{self.value.normalize():f}".replace(".", ",")
        return f"{symbol}{value}{(' ' + self.indicator.unit) if self.indicator.unit else ''}"


class RecognitionConditionManager(models.Manager):
    def get_by_natural_key(self, code, set_code):
        return self.get(code=code, criteria_set__code=set_code)


class RecognitionCondition(models.Model):
    """A condition of the recognition procedure beyond the criteria themselves, e.g. "no
    outstanding basic-construction debt" (QĐ 18/2022/QĐ-TTg, Điều 4). Data on the set, so a
    set without such a procedure simply has none; the province records each as yes/no with
    its evidence (ConditionCheck) before appraising or recognising."""

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="conditions", verbose_name=_("set")
    )
    code = models.CharField(_("code"), max_length=16)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.TextField(_("name"))
    name_en = models.TextField(_("English name"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    verification = models.CharField(_("verification"), max_length=24, choices=Verification.choices)
    source = models.TextField(_("source"), blank=True)

    objects = RecognitionConditionManager()

    class Meta:
        verbose_name = _("recognition condition")
        verbose_name_plural = _("recognition conditions")
        ordering = ["criteria_set", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "code"], name="condition_code_unique_in_set"
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code, *self.criteria_set.natural_key())

    natural_key.dependencies = ["criteria.criteriaset"]


# ---------------------------------------------------------------------------------------------
# What happens to units: assessments, recognitions, targets
# ---------------------------------------------------------------------------------------------


class UnitBound(models.Model):
    """Bound to exactly one unit: a commune, a village or a district."""

    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("commune"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("village"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("district"),
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(commune__isnull=False, village__isnull=True, district__isnull=True)
                    | Q(commune__isnull=True, village__isnull=False, district__isnull=True)
                    | Q(commune__isnull=True, village__isnull=True, district__isnull=False)
                ),
                name="%(app_label)s_%(class)s_exactly_one_unit",
            ),
        ]

    @property
    def unit(self):
        return self.commune or self.village or self.district

    @unit.setter
    def unit(self, unit):
        self.commune = unit if isinstance(unit, Commune) else None
        self.village = unit if isinstance(unit, Village) else None
        self.district = unit if isinstance(unit, District) else None


def unit_filter(unit, prefix: str = "") -> Q:
    """Q for rows bound to ``unit`` (a Commune, Village or District)."""
    field = {Commune: "commune", Village: "village", District: "district"}[type(unit)]
    return Q(**{f"{prefix}{field}": unit})


class SubqueryCount(Subquery):
    """COUNT(*) of a correlated subquery, without a GROUP BY (0 when no row matches)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


UNIT_FIELDS = ("commune", "village", "district")


class AssessmentQuerySet(models.QuerySet):
    def public(self):
        """What the public overview may show (see communes.enums.PUBLIC_ASSESSMENT_STATUSES)."""
        return self.filter(status__in=PUBLIC_ASSESSMENT_STATUSES)

    def as_of(self, day: datetime.date):
        return self.filter(assessed_on__lte=day)

    def _newest_pks(self, unit_field: str):
        # self.filter() copies this queryset's own filters into the subquery, so "latest" is
        # the latest among the rows the caller selected (public, as of a date, ...). One
        # window over those rows, not a correlated "ORDER BY ... LIMIT 1" per row: on
        # PostgreSQL that subquery re-ran the caller's filters (e.g. commune__in=) for every
        # candidate row, most of a province dashboard's SQL time.
        return (
            self.filter(**{f"{unit_field}__isnull": False})
            .annotate(
                newest_rank=Window(
                    RowNumber(),
                    partition_by=[F(unit_field), F("criteria_set")],
                    order_by=[F("assessed_on").desc(), F("pk").desc()],
                )
            )
            .filter(newest_rank=1)
            .values("pk")
        )

    def latest_per_unit_and_set(self, unit_field: str | None = None):
        """Keep only each unit's most recent assessment against each set. ``unit_field``
        ("commune", "village" or "district") narrows to one kind of unit and a simpler query."""
        fields = (unit_field,) if unit_field else UNIT_FIELDS
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__isnull": False}, pk__in=self._newest_pks(field))
        return self.filter(condition)

    def with_progress(self):
        """Annotate the computed progress: criteria met / basically met / total, and
        indicators met / recorded / total (the total is the set's declared count where that is
        larger); placeholder items reported met are counted apart (``*_placeholder_met``)."""
        # order_by(): a count needs no order, and the models' default orderings would join
        # criteria_assessment, criteria_criterion and criteria_criteriaset and sort inside every
        # count, for every row (most of the district and province dashboards' SQL time).
        results = CriterionResult.objects.filter(assessment=OuterRef("pk")).order_by().values("pk")
        criteria = (
            Criterion.objects.filter(criteria_set=OuterRef("criteria_set")).order_by().values("pk")
        )
        indicators = (
            Indicator.objects.filter(criterion__criteria_set=OuterRef("criteria_set"))
            .order_by()
            .values("pk")
        )
        values = IndicatorValue.objects.filter(assessment=OuterRef("pk")).order_by()
        # A placeholder item (no source text yet) is never counted as met in a figure: it is
        # counted apart, so the page can say that the reported figure leaned on one.
        met_results = results.filter(status=ResultStatus.MET)
        return self.annotate(
            criteria_met=SubqueryCount(met_results.filter(criterion__is_placeholder=False)),
            criteria_placeholder_met=SubqueryCount(
                met_results.filter(criterion__is_placeholder=True)
            ),
            criteria_basically_met=SubqueryCount(results.filter(status=ResultStatus.BASICALLY_MET)),
            criteria_total=SubqueryCount(criteria),
            indicators_met=SubqueryCount(
                values.filter(is_met=True, indicator__is_placeholder=False).values("pk")
            ),
            indicators_placeholder_met=SubqueryCount(
                values.filter(is_met=True, indicator__is_placeholder=True).values("pk")
            ),
            # Zero means the assessment was made at criterion level only: show no "0/N".
            indicators_recorded=SubqueryCount(values.filter(is_met__isnull=False).values("pk")),
            indicators_total=Greatest(
                SubqueryCount(indicators),
                Coalesce(
                    F("criteria_set__declared_indicator_count"), 0, output_field=IntegerField()
                ),
                output_field=IntegerField(),
            ),
        )


class Assessment(UnitBound):
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("set")
    )
    assessed_on = models.DateField(_("date assessed"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    notes = models.TextField(_("notes"), blank=True)
    allow_outside_period = models.BooleanField(
        _("allowed outside the set's period"),
        default=False,
        help_text=_("E.g. a merged commune re-assessed on the previous period's set."),
    )
    is_imported = models.BooleanField(_("imported"), default=False)
    date_uncertain = models.BooleanField(
        _("date not given by the source"),
        default=False,
        help_text=_(
            "The source gives no exact date (e.g. “by the end of 2023”): the date stored is "
            "a stand-in, and public pages say so."
        ),
    )
    import_source = models.CharField(_("imported from"), max_length=300, blank=True)
    # Optimistic locking: each save increments it; a save based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AssessmentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            *UnitBound.Meta.constraints,
        ]
        indexes = [
            # "latest assessment per unit and set" (AssessmentQuerySet.latest_per_unit_and_set).
            models.Index(
                fields=["commune", "criteria_set", "-assessed_on"], name="assess_commune_latest_idx"
            ),
            models.Index(
                fields=["village", "criteria_set", "-assessed_on"], name="assess_village_latest_idx"
            ),
            models.Index(
                fields=["district", "criteria_set", "-assessed_on"],
                name="assess_district_latest_idx",
            ),
        ]

    def __str__(self):
        return f"{self.unit} — {self.criteria_set.display_name} — {self.assessed_on:%d/%m/%Y}"

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_ASSESSMENT_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class CriterionResult(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="results", verbose_name=_("assessment")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="results", verbose_name=_("criterion")
    )
    status = models.CharField(_("result"), max_length=16, choices=ResultStatus.choices)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("criterion result")
        verbose_name_plural = _("criterion results")
        ordering = ["assessment", "criterion__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="result_one_per_criterion"
            ),
        ]
        indexes = [
            # For one known query: the criteria met per assessment (a COUNT of the met results
            # of each assessment, as in reports.dashboard._area_dashboard's ``history`` and
            # ``every_set``, ~3,500 and ~900 assessments on a province). Partial, so the count
            # is an index-only scan of the met results alone (a plain (assessment, status)
            # index was not chosen by the planner).
            models.Index(
                fields=["assessment"],
                condition=Q(status=ResultStatus.MET),
                name="result_met_by_assessment",
            ),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.get_status_display()}"


class IndicatorValue(models.Model):
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="indicator_values",
        verbose_name=_("assessment"),
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="values", verbose_name=_("indicator")
    )
    value_number = models.DecimalField(
        _("value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    value_bool = models.BooleanField(_("yes / no"), null=True, blank=True)
    is_met = models.BooleanField(_("met"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["assessment", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator"], name="indicator_value_one_per_indicator"
            ),
            models.CheckConstraint(
                condition=Q(value_number__isnull=True) | Q(value_bool__isnull=True),
                name="indicator_value_number_or_bool",
            ),
        ]

    def __str__(self):
        value = self.value_number if self.value_number is not None else self.value_bool
        return f"{self.indicator.code} = {value}"


class ConditionCheck(models.Model):
    """The province's finding on one recognition condition for one dossier: yes or no, and
    the evidence it rests on (a report, a survey result, a police confirmation...)."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="condition_checks",
        verbose_name=_("assessment"),
    )
    condition = models.ForeignKey(
        RecognitionCondition,
        on_delete=models.PROTECT,
        related_name="checks",
        verbose_name=_("condition"),
    )
    is_met = models.BooleanField(_("met"))
    evidence = models.TextField(_("evidence"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["checked_at"])

    class Meta:
        verbose_name = _("condition check")
        verbose_name_plural = _("condition checks")
        ordering = ["assessment", "condition__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "condition"], name="condition_check_one_per_condition"
            ),
            # A "yes" must say what it rests on; a "no" may be recorded bare.
            models.CheckConstraint(
                condition=Q(is_met=False) | ~Q(evidence=""),
                name="condition_check_met_needs_evidence",
            ),
        ]

    def __str__(self):
        return f"{self.condition.code}: {'✓' if self.is_met else '✗'}"


class RecognitionQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None):
        """Recognitions in force (on ``on``, if given: decided by then and not yet revoked)."""
        if on is None:
            return self.filter(revoked_on__isnull=True)
        return self.filter(decided_on__lte=on).filter(
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=on)
        )


class Recognition(UnitBound):
    title = models.CharField(_("title"), max_length=24, choices=Title.choices)
    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recognitions",
        verbose_name=_("set"),
    )
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recognitions",
        verbose_name=_("assessment"),
    )
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    decided_on = models.DateField(_("decision date"))
    authority = models.CharField(_("issuing authority"), max_length=200, blank=True)
    signer = models.CharField(_("signed by"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    date_uncertain = models.BooleanField(
        _("date not given by the source"),
        default=False,
        help_text=_(
            "The source gives no exact date (e.g. “by the end of 2023”): the date stored is "
            "a stand-in, and public pages say so."
        ),
    )

    objects = RecognitionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        ordering = ["-decided_on", "-pk"]
        constraints = [
            *UnitBound.Meta.constraints,
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True, revocation_reason="")
                | Q(revoked_on__isnull=False) & ~Q(revocation_reason=""),
                name="recognition_revocation_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=F("decided_on")),
                name="recognition_revoked_after_decision",
            ),
        ]

    def __str__(self):
        return f"{self.unit} — {self.get_title_display()} ({self.decided_on:%Y})"

    @property
    def is_active(self) -> bool:
        return self.revoked_on is None


class Target(UnitBound):
    """The "về đích" plan: the title a unit aims for, and by which year."""

    title = models.CharField(_("title"), max_length=24, choices=Title.choices)
    planned_year = models.PositiveSmallIntegerField(_("planned year"))
    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("set"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["planned_year", "pk"]
        constraints = [
            *UnitBound.Meta.constraints,
            models.UniqueConstraint(fields=["commune", "title"], name="target_commune_title"),
            models.UniqueConstraint(fields=["village", "title"], name="target_village_title"),
            models.UniqueConstraint(fields=["district", "title"], name="target_district_title"),
        ]

    def __str__(self):
        return f"{self.unit} — {self.get_title_display()} {self.planned_year}"


def evidence_path(instance, filename: str) -> str:
    # A random name: the stored path says nothing about the file and cannot be guessed; the
    # original name is kept in a field and only ever sent back through the permission check.
    suffix = Path(filename).suffix.lower()[:10]
    return f"evidence/{instance.assessment_id}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    """A document proving a criterion's result (decision, report, photo...)."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("assessment")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    title = models.CharField(_("title"), max_length=300)
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["criterion__number", "uploaded_at", "pk"]

    def __str__(self):
        return self.title


class AssessmentEvent(models.Model):
    """One step of the dossier's way through the workflow, with who did it and why."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="events", verbose_name=_("assessment")
    )
    action = models.CharField(_("action"), max_length=16, choices=EventAction.choices)
    from_status = models.CharField(
        _("from"), max_length=16, choices=AssessmentStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=AssessmentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("workflow event")
        verbose_name_plural = _("workflow events")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action=EventAction.RETURNED) | ~Q(reason=""),
                name="event_return_needs_reason",
            ),
        ]
        indexes = [
            # The inbox shows the newest event of each dossier.
            models.Index(fields=["assessment", "-created_at"], name="event_latest_idx"),
        ]

    def __str__(self):
        return f"{self.assessment_id}: {self.get_action_display()}"


class ImportJob(models.Model):
    """An assessment import confirmed as a background job: what to apply (the stored upload's
    record: path, SHA-256, options, the previewed fingerprint, language), who asked, and how it
    ended. It becomes DONE in the same transaction as the rows it writes, so a DONE job always
    has its rows and any other outcome has none (criteria.imports.jobs)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    # The area the import was narrowed to (None: the whole country): its admins see the job.
    province = models.ForeignKey(
        Province,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    file_name = models.CharField(_("file"), max_length=300)
    record = models.JSONField(_("stored upload"))
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows to write"), default=0)
    counts = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=JobStatus.FAILED) | ~Q(error=""),
                name="import_job_failure_says_why",
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def key(self) -> str:
        return f"import:{self.pk}"
