from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communes.admin_forms import CleanTextModelForm, MissingObjectIs404Mixin, PortalAdminMixin
from communes.admin_scope import ScopedChoicesMixin, check_may_save
from communes.selectors import scope_for, scoped

from .history_admin import ScopedHistoryAdmin
from .models import (
    Assessment,
    AssessmentEvent,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Evidence,
    Indicator,
    IndicatorValue,
    Recognition,
    Target,
    Threshold,
)
from .services import AssessmentError, check_assessment_fits


class LegalObjectAdminMixin(ScopedChoicesMixin):
    """Criteria sets are read by every administrator; a national set is changed only by a
    national administrator, a provincial variant also by that province's administrator."""

    def _set_of(self, obj):
        return obj

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_change(request, obj)

    def _may_change(self, request, obj):
        scope = scope_for(request.user)
        if scope.everything or obj is None:
            return scope.everything or scope.is_admin
        province_id = self._province_id_of(obj)
        return scope.is_admin and province_id is not None and province_id == scope.province_id

    def _province_id_of(self, obj):
        return self._set_of(obj).province_id

    def save_model(self, request, obj, form, change):
        check_may_save(self._may_change(request, obj))
        super().save_model(request, obj, form, change)


class CriterionInline(admin.TabularInline):
    model = Criterion
    form = CleanTextModelForm
    extra = 0
    fields = ("number", "name", "group", "verification", "is_placeholder")
    show_change_link = True


@admin.register(CriteriaSet)
class CriteriaSetAdmin(PortalAdminMixin, LegalObjectAdminMixin, admin.ModelAdmin):
    list_display = ("short_name", "code", "level", "title", "valid_from", "valid_to", "province")
    list_filter = ("level", "title", ("province", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "short_name", "legal_basis")
    list_select_related = ("province",)
    autocomplete_fields = ("province", "prerequisite")
    inlines = [CriterionInline]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    form = CleanTextModelForm
    extra = 0
    fields = ("code", "order", "name", "unit", "kind", "comparison", "verification")
    show_change_link = True


@admin.register(Criterion)
class CriterionAdmin(PortalAdminMixin, LegalObjectAdminMixin, admin.ModelAdmin):
    list_display = ("number", "name", "criteria_set", "group", "verification", "is_placeholder")
    list_filter = ("criteria_set", "verification", "is_placeholder")
    search_fields = ("name", "criteria_set__code", "criteria_set__name")
    list_select_related = ("criteria_set",)
    ordering = ("criteria_set", "number")
    inlines = [IndicatorInline]

    def _set_of(self, obj):
        return obj.criteria_set


class ThresholdInline(admin.TabularInline):
    model = Threshold
    form = CleanTextModelForm
    extra = 0
    fields = ("scope", "region", "commune_group", "province", "year", "value", "value_text")
    autocomplete_fields = ("province",)


@admin.register(Indicator)
class IndicatorAdmin(PortalAdminMixin, LegalObjectAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "criterion", "kind", "comparison", "verification")
    list_filter = ("criterion__criteria_set", "kind", "verification", "is_placeholder")
    search_fields = ("code", "name", "criterion__name", "criterion__criteria_set__code")
    list_select_related = ("criterion__criteria_set",)
    autocomplete_fields = ("criterion",)
    inlines = [ThresholdInline]

    def _set_of(self, obj):
        return obj.criterion.criteria_set


@admin.register(Threshold)
class ThresholdAdmin(PortalAdminMixin, LegalObjectAdminMixin, ScopedHistoryAdmin):
    list_display = ("indicator", "scope", "region", "commune_group", "province", "year", "value")
    list_filter = ("scope", "region", "commune_group", "indicator__criterion__criteria_set")
    search_fields = ("indicator__code", "indicator__name", "value_text")
    list_select_related = ("indicator", "province")
    autocomplete_fields = ("indicator", "province")

    def _province_id_of(self, obj):
        # A province's own threshold belongs to it, even on a national set.
        return obj.province_id or obj.indicator.criterion.criteria_set.province_id


class CriterionResultInline(admin.TabularInline):
    model = CriterionResult
    form = CleanTextModelForm
    extra = 0
    fields = ("criterion", "status", "note")
    raw_id_fields = ("criterion",)


class IndicatorValueInline(admin.TabularInline):
    model = IndicatorValue
    form = CleanTextModelForm
    extra = 0
    fields = ("indicator", "value_number", "value_bool", "is_met", "note")
    raw_id_fields = ("indicator",)


class UnitAdminMixin(ScopedChoicesMixin):
    """Rows bound to a commune, village or district: shared list columns, and everyone reads
    only their own subtree (communes.selectors.scoped)."""

    def get_queryset(self, request):
        return scoped(request.user, super().get_queryset(request))

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


class AssessmentAdminForm(CleanTextModelForm):
    """What the workflow checks when a commune starts an assessment, checked here too whenever
    the date, the set or the unit changes: no date after today, a set of the unit's level (and
    province) whose period covers the date unless "allowed outside the set's period" is ticked.
    """

    FITS = ("assessed_on", "criteria_set", "allow_outside_period", "commune", "village", "district")

    def clean(self):
        data = super().clean()
        day, chosen = data.get("assessed_on"), data.get("criteria_set")
        unit = data.get("commune") or data.get("village") or data.get("district")
        if day and day > timezone.localdate():
            self.add_error("assessed_on", _("The date cannot be in the future."))
        elif day and chosen and unit and set(self.FITS) & set(self.changed_data):
            try:
                check_assessment_fits(
                    unit=unit,
                    criteria_set=chosen,
                    assessed_on=day,
                    allow_outside_period=data.get("allow_outside_period", False),
                )
            except AssessmentError as error:
                self.add_error("assessed_on", str(error))
        return data


@admin.register(Assessment)
class AssessmentAdmin(PortalAdminMixin, UnitAdminMixin, ScopedHistoryAdmin):
    form = AssessmentAdminForm
    list_display = ("unit_name", "criteria_set", "assessed_on", "status", "is_imported")
    list_filter = ("status", "criteria_set", "is_imported", "commune__province")
    list_select_related = ("commune", "village", "district", "criteria_set")
    date_hierarchy = "assessed_on"
    # The author is who started the assessment (the workflow sets it): a record, not a choice.
    # As a choice, a province's administrator could not even keep an author it does not manage
    # (the national administrator, an import's author): only manageable accounts are offered.
    readonly_fields = ("author", "version", "created_at", "updated_at")
    inlines = [CriterionResultInline, IndicatorValueInline]


@admin.register(Recognition)
class RecognitionAdmin(PortalAdminMixin, UnitAdminMixin, ScopedHistoryAdmin):
    list_display = ("unit_name", "title", "decision_number", "decided_on", "revoked_on")
    list_filter = ("title", ("revoked_on", admin.EmptyFieldListFilter), "commune__province")
    date_hierarchy = "decided_on"
    raw_id_fields = ("assessment",)


@admin.register(Target)
class TargetAdmin(PortalAdminMixin, UnitAdminMixin, admin.ModelAdmin):
    list_display = ("unit_name", "title", "planned_year")
    list_filter = ("title", "planned_year", "commune__province")


@admin.register(Evidence)
class EvidenceAdmin(PortalAdminMixin, ScopedChoicesMixin, ScopedHistoryAdmin):
    """Evidence metadata; the file itself is only served by the permission-checked view."""

    list_display = ("title", "assessment", "criterion", "document_number", "uploaded_at")
    search_fields = ("title", "document_number", "original_name")
    list_select_related = ("assessment__commune", "assessment__criteria_set", "criterion")
    # Not the file field itself: Django would link its MEDIA_URL address, which is never
    # served (404); the link goes through criteria:evidence_download, which checks the scope.
    exclude = ("file",)
    readonly_fields = ("download", "original_name", "content_type", "size", "uploaded_by")
    raw_id_fields = ("assessment", "criterion")

    @admin.display(description=_("file"))
    def download(self, obj):
        if obj is None or obj.pk is None or not obj.file:
            return "-"
        url = reverse("criteria:evidence_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name or obj.file.name)

    def get_queryset(self, request):
        return scoped(request.user, super().get_queryset(request))


@admin.register(AssessmentEvent)
class AssessmentEventAdmin(MissingObjectIs404Mixin, admin.ModelAdmin):
    """The workflow timeline is a record: it is read here, never edited."""

    list_display = ("assessment", "action", "from_status", "to_status", "actor", "created_at")
    list_filter = ("action",)
    list_select_related = ("assessment__commune", "assessment__criteria_set", "actor")
    search_fields = ("assessment__commune__name", "reason")

    def get_queryset(self, request):
        return scoped(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
