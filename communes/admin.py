from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from .admin_forms import PortalAdminMixin, UnitForm
from .admin_scope import MembershipScopeMixin, ScopedChoicesMixin
from .enums import Region
from .models import Commune, District, Membership, Province, Statistic, Village
from .resources import CommuneResource, DistrictResource, ProvinceResource, VillageResource
from .selectors import scope_for, scoped


def _count(model, fk: str):
    """Number of ``model`` rows pointing at the outer row through ``fk``, as a subquery."""
    counted = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# -- Filters ----------------------------------------------------------------------------------


class ValidityFilter(admin.SimpleListFilter):
    """Whether the unit exists today: abolished units keep their rows (see Unit)."""

    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [
            ("current", _("Valid today")),
            ("ended", _("Abolished (validity ended)")),
            ("future", _("Not yet valid")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "current":
            return queryset.valid_on(today)
        if self.value() == "ended":
            return queryset.filter(valid_to__lt=today)
        if self.value() == "future":
            return queryset.filter(valid_from__gt=today)
        return queryset


class RegionFilter(admin.SimpleListFilter):
    """Region, which also narrows the province filter next to it. Picking another region drops
    the chosen province, which would otherwise leave an empty list."""

    title = _("region")
    parameter_name = "region"
    # The lookup from the listed model to a region; subclasses point it elsewhere.
    region_path = "region"

    def lookups(self, request, model_admin):
        return Region.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.region_path: self.value()})
        return queryset

    def choices(self, changelist):
        choices = super().choices(changelist)
        yield next(choices)  # "All" keeps the province: it is in some region anyway.
        for (value, _label), choice in zip(self.lookup_choices, choices, strict=True):
            choice["query_string"] = changelist.get_query_string(
                {self.parameter_name: value}, [ProvinceFilter.parameter_name]
            )
            yield choice


class ProvinceRegionFilter(RegionFilter):
    region_path = "province__region"


class ProvinceFilter(admin.SimpleListFilter):
    """Province, listing only the provinces of the chosen region (at most 14 instead of 63) and
    only provinces that have rows here (a partial `load_admin_units --province` loads a few)."""

    title = _("province")
    parameter_name = "province"
    # The lookup from the listed model to its province; subclasses point it elsewhere.
    province_path = "province"

    def lookups(self, request, model_admin):
        provinces = Province.objects.filter(
            pk__in=model_admin.model.objects.values(self.province_path)
        ).order_by("code")
        region = request.GET.get(RegionFilter.parameter_name)
        if region:
            provinces = provinces.filter(region=region)
        return [(p.code, p.name) for p in provinces.only("code", "name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.province_path}__code": self.value()})
        return queryset


class CommuneProvinceFilter(ProvinceFilter):
    province_path = "commune__province"


class CommuneRegionFilter(RegionFilter):
    region_path = "commune__region"


# -- Units ------------------------------------------------------------------------------------


class ScopedAdminMixin(ScopedChoicesMixin):
    """Everyone reads only their own subtree, in the admin too (communes.selectors.scoped)."""

    def get_queryset(self, request):
        return scoped(request.user, super().get_queryset(request))


class UnitImportExportMixin(ImportExportMixin):
    """Import and export through communes.resources: dry run and confirm (the library's two
    steps), only for admins, and a province-scoped admin only within their province (the
    resource rejects other rows; exports are narrowed here)."""

    def has_import_permission(self, request):
        return scope_for(request.user).is_admin and super().has_import_permission(request)

    def has_export_permission(self, request):
        return scope_for(request.user).is_admin and super().has_export_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_queryset(self, request):
        resource = self.resource_classes[0](user=request.user)
        return resource.scoped(super().get_export_queryset(request))


@admin.register(Province)
class ProvinceAdmin(PortalAdminMixin, ScopedAdminMixin, UnitImportExportMixin, admin.ModelAdmin):
    form = UnitForm
    resource_classes = [ProvinceResource]
    list_display = [
        "code",
        "name",
        "kind",
        "region",
        "district_count",
        "commune_count",
        "valid_from",
        "valid_to",
    ]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name"]
    list_filter = ["kind", "region", ValidityFilter]
    ordering = ["code"]
    # 63 rows: no pagination needed.
    list_per_page = 100

    def get_queryset(self, request):
        # Subqueries: two Counts over joins would multiply districts by communes.
        return (
            super()
            .get_queryset(request)
            .annotate(
                num_districts=_count(District, "province"),
                num_communes=_count(Commune, "province"),
            )
        )

    @admin.display(description=_("districts"), ordering="num_districts")
    def district_count(self, obj):
        return obj.num_districts

    @admin.display(description=_("communes"), ordering="num_communes")
    def commune_count(self, obj):
        return obj.num_communes


@admin.register(District)
class DistrictAdmin(PortalAdminMixin, ScopedAdminMixin, UnitImportExportMixin, admin.ModelAdmin):
    form = UnitForm
    resource_classes = [DistrictResource]
    list_display = [
        "code",
        "name",
        "kind",
        "province",
        "commune_count",
        "valid_from",
        "valid_to",
    ]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name", "province__name"]
    list_filter = ["kind", ProvinceRegionFilter, ProvinceFilter, ValidityFilter]
    list_select_related = ["province"]
    autocomplete_fields = ["province"]
    ordering = ["code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_communes=Count("communes"))

    @admin.display(description=_("communes"), ordering="num_communes")
    def commune_count(self, obj):
        return obj.num_communes


@admin.register(Commune)
class CommuneAdmin(PortalAdminMixin, ScopedAdminMixin, UnitImportExportMixin, admin.ModelAdmin):
    form = UnitForm
    resource_classes = [CommuneResource]
    list_display = [
        "code",
        "name",
        "kind",
        "district",
        "province",
        "region",
        "commune_group",
        "is_especially_difficult",
        "valid_from",
        "valid_to",
    ]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name", "district__name", "province__name"]
    list_filter = [
        "kind",
        RegionFilter,
        ProvinceFilter,
        "commune_group",
        "is_especially_difficult",
        ValidityFilter,
    ]
    list_select_related = ["district", "province"]
    # 696 districts and 63 provinces: a search box, not a 700-option select.
    autocomplete_fields = ["district", "province"]
    ordering = ["code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "district", "province"]}),
        (
            _("Criteria"),
            {
                "fields": ["region", "commune_group", "is_especially_difficult"],
                "description": _(
                    "Which thresholds apply: the region (2016–2025 sets; defaults to the "
                    "province's) or the commune group (2026–2030 set)."
                ),
            },
        ),
        (_("Validity"), {"fields": ["valid_from", "valid_to"]}),
    ]


@admin.register(Village)
class VillageAdmin(PortalAdminMixin, ScopedAdminMixin, UnitImportExportMixin, admin.ModelAdmin):
    form = UnitForm
    resource_classes = [VillageResource]
    list_display = ["code", "name", "kind", "commune", "commune_district", "valid_from", "valid_to"]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name", "commune__name", "commune__district__name"]
    list_filter = ["kind", CommuneRegionFilter, CommuneProvinceFilter, ValidityFilter]
    list_select_related = ["commune__district"]
    # 10,051 communes.
    autocomplete_fields = ["commune"]
    ordering = ["code"]

    @admin.display(description=_("district"), ordering="commune__district__code")
    def commune_district(self, obj):
        return obj.commune.district


# -- Figures and people -----------------------------------------------------------------------


@admin.register(Statistic)
class StatisticAdmin(PortalAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["commune", "year", "kind", "value", "source"]
    search_fields = ["commune__code", "commune__name", "source"]
    list_filter = ["kind", "year", CommuneRegionFilter, CommuneProvinceFilter]
    list_select_related = ["commune"]
    autocomplete_fields = ["commune"]
    ordering = ["commune__code", "-year", "kind"]


@admin.register(Membership)
class MembershipAdmin(PortalAdminMixin, MembershipScopeMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "unit_display"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "province__name",
        "district__name",
        "commune__name",
        "commune__code",
    ]
    list_filter = ["role"]
    list_select_related = ["user", "province", "district", "commune"]
    autocomplete_fields = ["user", "province", "district", "commune"]
    ordering = ["user__username"]
    fields = ["user", "role", "province", "district", "commune"]

    @admin.display(description=_("unit"))
    def unit_display(self, obj):
        return obj.unit or _("whole country")


# Users and groups under the same subtree rule (registered here so that autodiscovery finds it).
from . import lockouts, user_admin  # noqa: E402, F401
