"""Administrative units (province > district > commune > village) and who works for which."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
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


class UnitQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        """Units that existed on ``day`` (open-ended validity counts as existing)."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )


class Unit(models.Model):
    """Fields every administrative unit shares. A unit abolished by a reorganisation keeps its
    row and history; only ``valid_to`` changes."""

    code = models.CharField(_("GSO code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=150)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_validity_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    def is_valid_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class UnitManager(models.Manager.from_queryset(UnitQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Province(Unit):
    level = UnitLevel.PROVINCE
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
