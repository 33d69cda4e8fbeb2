from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Assessment,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Indicator,
    IndicatorValue,
    Recognition,
    Target,
    Threshold,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ("number", "name", "group", "verification", "is_placeholder")
    show_change_link = True


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ("short_name", "code", "level", "title", "valid_from", "valid_to", "province")
    list_filter = ("level", "title", ("province", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "short_name", "legal_basis")
    list_select_related = ("province",)
    autocomplete_fields = ("province", "prerequisite")
    inlines = [CriterionInline]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("code", "order", "name", "unit", "kind", "comparison", "verification")
    show_change_link = True


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "criteria_set", "group", "verification", "is_placeholder")
    list_filter = ("criteria_set", "verification", "is_placeholder")
    search_fields = ("name", "criteria_set__code", "criteria_set__name")
    list_select_related = ("criteria_set",)
    ordering = ("criteria_set", "number")
    inlines = [IndicatorInline]


class ThresholdInline(admin.TabularInline):
    model = Threshold
    extra = 0
    fields = ("scope", "region", "commune_group", "province", "year", "value", "value_text")
    autocomplete_fields = ("province",)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "criterion", "kind", "comparison", "verification")
    list_filter = ("criterion__criteria_set", "kind", "verification", "is_placeholder")
    search_fields = ("code", "name", "criterion__name", "criterion__criteria_set__code")
    list_select_related = ("criterion__criteria_set",)
    autocomplete_fields = ("criterion",)
    inlines = [ThresholdInline]


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ("indicator", "scope", "region", "commune_group", "province", "year", "value")
    list_filter = ("scope", "region", "commune_group", "indicator__criterion__criteria_set")
    search_fields = ("indicator__code", "indicator__name", "value_text")
    list_select_related = ("indicator", "province")
    autocomplete_fields = ("indicator", "province")


class CriterionResultInline(admin.TabularInline):
    model = CriterionResult
    extra = 0
    fields = ("criterion", "status", "note")
    raw_id_fields = ("criterion",)


class IndicatorValueInline(admin.TabularInline):
    model = IndicatorValue
    extra = 0
    fields = ("indicator", "value_number", "value_bool", "is_met", "note")
    raw_id_fields = ("indicator",)


class UnitAdminMixin:
    """Shared list columns for rows bound to a commune, village or district."""

    list_select_related = ("commune", "village", "district")
    autocomplete_fields = ("commune", "village", "district")
    search_fields = (
        "commune__name",
        "commune__code",
        "village__name",
        "village__code",
        "district__name",
        "district__code",
    )

    @admin.display(description=_("unit"))
    def unit_name(self, obj):
        return obj.unit


@admin.register(Assessment)
class AssessmentAdmin(UnitAdminMixin, admin.ModelAdmin):
    list_display = ("unit_name", "criteria_set", "assessed_on", "status", "is_imported")
    list_filter = ("status", "criteria_set", "is_imported", "commune__province")
    list_select_related = ("commune", "village", "district", "criteria_set")
    date_hierarchy = "assessed_on"
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = [CriterionResultInline, IndicatorValueInline]


@admin.register(Recognition)
class RecognitionAdmin(UnitAdminMixin, admin.ModelAdmin):
    list_display = ("unit_name", "title", "decision_number", "decided_on", "revoked_on")
    list_filter = ("title", ("revoked_on", admin.EmptyFieldListFilter), "commune__province")
    date_hierarchy = "decided_on"
    raw_id_fields = ("assessment",)


@admin.register(Target)
class TargetAdmin(UnitAdminMixin, admin.ModelAdmin):
    list_display = ("unit_name", "title", "planned_year")
    list_filter = ("title", "planned_year", "commune__province")
