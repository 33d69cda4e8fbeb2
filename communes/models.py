"""Administrative units (province > district > commune > village) and who works for which."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import (
    CommuneGroup,
    CommuneKind,
    DistrictKind,
    ProvinceKind,
    Region,
    Role,
    StatisticKind,
    UnitLevel,
    VillageKind,
)

# The two-level structure (34 provinces, 3,321 communes, no districts) took effect on this day
# (the EFFECTIVE_DATE of the vietnam-provinces conversion table); every pre-2025 unit ends the
# day before.
MERGER_DATE = datetime.date(2025, 7, 1)
LEGACY_VALID_TO = MERGER_DATE - datetime.timedelta(days=1)


class UnitQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        """Units that existed on ``day`` (open-ended validity counts as existing)."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def overlapping(self, *, code: str, valid_from, valid_to):
        """Units with ``code`` whose validity shares at least one day with the given one."""
        rows = self.filter(code=code)
        if valid_to is not None:
            rows = rows.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=valid_to))
        if valid_from is not None:
            rows = rows.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        return rows


class Unit(models.Model):
    """Fields every administrative unit shares. A unit abolished by a reorganisation keeps its
    row and history; only ``valid_to`` changes.

    A unit is its code *and* its validity: GSO reuses codes (18838 was Xã Lâm Hợp until
    30/06/2025 and is Xã Kỳ Lạc since 01/07/2025), so a code names a unit only together with a
    date (communes.selectors.unit_by_code). No two units with one code may share a day: the
    constraints below hold what the database can check portably (one undated unit, one
    open-ended unit and one unit per start date for each code); ``clean`` and the loaders check
    the rest of the overlap."""

    code = models.CharField(_("GSO code"), max_length=16, db_index=True)
    name = models.CharField(_("name"), max_length=150)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    # The public page's URL name; None for units without a page (villages).
    url_name = None

    class Meta:
        abstract = True
        ordering = ["code", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_validity_ordered",
            ),
            models.UniqueConstraint(
                fields=["code", "valid_from"], name="%(app_label)s_%(class)s_code_from_unique"
            ),
            # NULLs are distinct in a unique index, so the undated unit needs its own rule.
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(valid_from__isnull=True),
                name="%(app_label)s_%(class)s_code_one_undated",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(valid_to__isnull=True),
                name="%(app_label)s_%(class)s_code_one_open_ended",
            ),
        ]

    def __str__(self):
        return self.name

    def public_url(self) -> str:
        """The unit's own public address. A unit not valid today gets its last (or first)
        day as ``?on=``, so that the address keeps naming this unit when its code names
        another one (18838 is Xã Kỳ Lạc today; Xã Lâm Hợp is /c/18838/?on=2025-06-30)."""
        if self.url_name is None:
            raise NotImplementedError(f"{type(self).__name__} has no public page")
        return self.dated_url(reverse(self.url_name, args=[self.code]))

    def dated_url(self, url: str) -> str:
        """``url`` (an address by this unit's code) with ``?on=`` when the unit is not valid
        today, so that it keeps naming this unit and never the one that holds the code now."""
        today = timezone.localdate()
        if self.is_valid_on(today):
            return url
        day = self.valid_to if self.valid_to is not None and self.valid_to < today else None
        day = day or self.valid_from
        return f"{url}?on={day.isoformat()}" if day else url

    def natural_key(self):
        return (self.code, self.valid_from.isoformat() if self.valid_from else None)

    def clean(self):
        super().clean()
        if not self.code:
            return
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            return  # the ordering constraint reports it
        clash = (
            type(self)
            ._default_manager.overlapping(
                code=self.code, valid_from=self.valid_from, valid_to=self.valid_to
            )
            .exclude(pk=self.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "code": _(
                        "A unit with code %(code)s already exists for part of this period: "
                        "“%(name)s” (%(validity)s). A code names one unit on any given day."
                    )
                    % {"code": self.code, "name": clash.name, "validity": clash.validity_label}
                }
            )

    @property
    def validity_label(self) -> str:
        """The validity in Vietnamese date format, e.g. "đến 30/06/2025"."""
        start = self.valid_from.strftime("%d/%m/%Y") if self.valid_from else ""
        end = self.valid_to.strftime("%d/%m/%Y") if self.valid_to else ""
        if start and end:
            return _("%(start)s–%(end)s") % {"start": start, "end": end}
        if end:
            return _("until %(end)s") % {"end": end}
        if start:
            return _("since %(start)s") % {"start": start}
        return _("no end date")

    @property
    def is_legacy(self) -> bool:
        """Closed by the 2025 reorganisation (or earlier)."""
        return self.valid_to is not None and self.valid_to < MERGER_DATE

    def is_valid_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class UnitManager(models.Manager.from_queryset(UnitQuerySet)):
    def get_by_natural_key(self, code, valid_from=None):
        return self.get(code=code, valid_from=valid_from)


class Province(Unit):
    level = UnitLevel.PROVINCE
    url_name = "reports:province"
    kind = models.CharField(_("kind"), max_length=16, choices=ProvinceKind.choices)
    region = models.CharField(
        _("region"),
        max_length=8,
        choices=Region.choices,
        blank=True,
        help_text=_("Default region for the province's communes."),
    )

    objects = UnitManager()

    class Meta(Unit.Meta):
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class District(Unit):
    level = UnitLevel.DISTRICT
    url_name = "reports:district"
    kind = models.CharField(_("kind"), max_length=16, choices=DistrictKind.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("province")
    )

    objects = UnitManager()

    class Meta(Unit.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class Commune(Unit):
    level = UnitLevel.COMMUNE
    url_name = "reports:commune"
    kind = models.CharField(_("kind"), max_length=16, choices=CommuneKind.choices)
    # Since 01/07/2025 communes belong directly to a province, so the district is optional and
    # the province is always stored: it also makes "communes of a province" a single-table filter.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="communes",
        null=True,
        blank=True,
        verbose_name=_("district"),
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="communes", verbose_name=_("province")
    )
    region = models.CharField(_("region"), max_length=8, choices=Region.choices, blank=True)
    commune_group = models.PositiveSmallIntegerField(
        _("commune group"), choices=CommuneGroup.choices, null=True, blank=True
    )
    is_especially_difficult = models.BooleanField(
        _("especially difficult (đặc biệt khó khăn)"),
        default=False,
        help_text=_(
            "Especially difficult communes, and safe-zone communes of poor districts, apply the "
            "Northern midlands and mountains thresholds (Article 1, QĐ 318/QĐ-TTg)."
        ),
    )

    objects = UnitManager()

    class Meta(Unit.Meta):
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        indexes = [
            # "communes of a district / province, by kind" on every overview page.
            models.Index(fields=["district", "kind"], name="commune_district_kind_idx"),
            models.Index(fields=["province", "kind"], name="commune_province_kind_idx"),
        ]

    def history_url(self) -> str:
        """The commune's assessment timeline (private), at an address that stays this
        commune's after its code passed to another (``?on=`` as in ``public_url``)."""
        return self.dated_url(reverse("criteria:commune_history", args=[self.code]))

    @property
    def effective_region(self) -> str:
        """The region whose thresholds apply to this commune."""
        if self.is_especially_difficult:
            return Region.TDMNPB
        return self.region


class Village(Unit):
    level = UnitLevel.VILLAGE
    kind = models.CharField(_("kind"), max_length=16, choices=VillageKind.choices)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="villages", verbose_name=_("commune")
    )

    objects = UnitManager()

    class Meta(Unit.Meta):
        verbose_name = _("village")
        verbose_name_plural = _("villages")


class Succession(models.Model):
    """One link of the lineage: ``predecessor`` (or part of it) became part of ``successor``
    on ``effective_on``. A unit merged whole has one link; a unit split between several
    successors has one link per successor, each marked ``partly_merged``."""

    effective_on = models.DateField(_("effective on"), default=MERGER_DATE)
    partly_merged = models.BooleanField(
        _("partly merged"),
        default=False,
        help_text=_("Only part of the predecessor's area went to this successor."),
    )
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=300,
        blank=True,
        help_text=_("The resolution that made the change, where it is known."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        abstract = True
        ordering = ["successor", "predecessor"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="%(app_label)s_%(class)s_one_link"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")),
                name="%(app_label)s_%(class)s_not_itself",
            ),
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor} ({self.effective_on:%d/%m/%Y})"


class ProvinceSuccession(Succession):
    predecessor = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="successor_links",
        verbose_name=_("predecessor"),
    )
    successor = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="predecessor_links",
        verbose_name=_("successor"),
    )

    class Meta(Succession.Meta):
        verbose_name = _("province succession")
        verbose_name_plural = _("province successions")


class CommuneSuccession(Succession):
    predecessor = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        related_name="successor_links",
        verbose_name=_("predecessor"),
    )
    successor = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        related_name="predecessor_links",
        verbose_name=_("successor"),
    )

    class Meta(Succession.Meta):
        verbose_name = _("commune succession")
        verbose_name_plural = _("commune successions")


class Statistic(models.Model):
    """A published socio-economic figure about a commune (income, poverty...), with its source."""

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="statistics", verbose_name=_("commune")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("figure"), max_length=32, choices=StatisticKind.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("statistic")
        verbose_name_plural = _("statistics")
        ordering = ["commune", "year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "year", "kind"], name="statistic_one_per_commune_year_kind"
            ),
        ]

    def __str__(self):
        return f"{self.commune} {self.year}: {self.get_kind_display()} = {self.value}"


class Membership(models.Model):
    """Binds a user to one unit and one role. Everyone reads only their own subtree."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("province")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("district")
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("commune")
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # Each role is bound to exactly the unit of its own level (an admin may be
            # national, with no unit, or scoped to one province).
            models.CheckConstraint(
                condition=(
                    Q(
                        role=Role.COMMUNE_OFFICIAL,
                        commune__isnull=False,
                        district__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        role=Role.DISTRICT_OFFICE,
                        district__isnull=False,
                        commune__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        role=Role.PROVINCE_OFFICE,
                        province__isnull=False,
                        district__isnull=True,
                        commune__isnull=True,
                    )
                    | Q(role=Role.ADMIN, district__isnull=True, commune__isnull=True)
                ),
                name="membership_role_matches_unit",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.unit or _('whole country')}"

    @property
    def unit(self):
        return self.commune or self.district or self.province

    # A membership's validity is derived, not stored: a district office's ends with its
    # district (the level was abolished on 01/07/2025, so every district office's membership
    # ends on 30/06/2025), and a stored copy could only drift from the unit's. Commune and
    # province officials keep theirs: their offices went on under the successor units, and
    # they may still enter or review their old unit's dossiers dated while it existed.
    @property
    def valid_to(self) -> datetime.date | None:
        """The membership's last day (None: open-ended)."""
        if self.role == Role.DISTRICT_OFFICE and self.district is not None:
            return self.district.valid_to
        return None

    def is_active_on(self, day: datetime.date) -> bool:
        """Whether the member may act (write) on ``day``; an ended membership still reads
        what it held (the selectors scope reads by unit, not by date)."""
        return self.valid_to is None or day <= self.valid_to

    @property
    def has_ended(self) -> bool:
        return not self.is_active_on(timezone.localdate())
