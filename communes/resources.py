"""django-import-export resources for administrative units (xlsx / csv), used by the unit
admins. Every file has the same columns:

    code | name | kind | parent_code | region | commune_group | valid_from | valid_to

Units are matched by GSO code and start date (valid_from): GSO reuses codes, and a code names
one unit only together with its validity (18838 is Xã Lâm Hợp until 30/06/2025 and Xã Kỳ Lạc
since 01/07/2025). Re-importing a file changes nothing and a changed name updates the unit. A
parent code names the parent unit valid on the row's start date (or end date; today when the
row has neither). A province-scoped admin (the ``user`` passed by the admin) may only create or
change units inside their province; any other row is rejected with a message.

Text a spreadsheet would run as a formula (a commune named ``=HYPERLINK(...)``) is written with
a leading apostrophe in every export format, as the portal's own exports do
(criteria.imports.values.neutralise), and read back without it. django-import-export's own
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT (4.4) is not used: it only drops a leading "=" (so
"+", "-", "@" and "==" formulas pass), loses that character from the data, and turns every cell,
dates and numbers too, into text.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from criteria.imports.values import neutralise, unescape_text

from .models import Commune, District, Province, Village
from .selectors import scope_for

COLUMNS = (
    "code",
    "name",
    "kind",
    "parent_code",
    "region",
    "commune_group",
    "valid_from",
    "valid_to",
)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


class DayWidget(widgets.DateWidget):
    """ISO or dd/mm/yyyy, never the US month-first order of Django's default input formats."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        for fmt in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(
            _("“%(value)s” is not a date: write it as dd/mm/yyyy or yyyy-mm-dd.") % {"value": value}
        )

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class CodeWidget(widgets.CharWidget):
    """A GSO code as Excel may store it: 28078.0 is "28078"."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()


class TextWidget(widgets.CharWidget):
    """Text as exported: a neutralised formula ("'=...") is read back as it was stored."""

    def clean(self, value, row=None, **kwargs):
        return unescape_text(super().clean(value, row, **kwargs))


class UnitResource(resources.ModelResource):
    code = fields.Field(attribute="code", column_name="code", widget=CodeWidget())
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    kind = fields.Field(attribute="kind", column_name="kind", widget=TextWidget())
    valid_from = fields.Field(attribute="valid_from", column_name="valid_from", widget=DayWidget())
    valid_to = fields.Field(attribute="valid_to", column_name="valid_to", widget=DayWidget())

    # The parent's model and the unit's field pointing at it; None for provinces.
    parent_model = None
    parent_field = ""

    class Meta:
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))

    def import_data(self, dataset, **kwargs):
        # All or nothing: one rejected row leaves every unit as it was.
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, **kwargs)

    def get_instance(self, instance_loader, row):
        code = CodeWidget().clean(row.get("code"))
        if not code:
            return None
        try:
            valid_from = DayWidget().clean(row.get("valid_from"))
        except ValueError:
            return None  # the field reports the bad date
        return self._meta.model.objects.filter(code=code, valid_from=valid_from).first()

    # -- Parent ---------------------------------------------------------------------------

    @staticmethod
    def _row_day(row) -> datetime.date | None:
        for column in ("valid_from", "valid_to"):
            try:
                day = DayWidget().clean(row.get(column))
            except ValueError:
                day = None
            if day is not None:
                return day
        return None

    @staticmethod
    def _on_day(queryset, day: datetime.date | None):
        """The unit of ``queryset`` valid on ``day``; without a day, the one valid today, else
        the latest."""
        if day is not None:
            return queryset.valid_on(day).first()
        return (
            queryset.valid_on(timezone.localdate()).first()
            or queryset.order_by(F("valid_from").desc(nulls_last=True)).first()
        )

    def find_parent(self, code: str, day: datetime.date | None = None):
        return self._on_day(self.parent_model.objects.filter(code=code), day)

    def set_parent(self, instance, parent) -> None:
        setattr(instance, self.parent_field, parent)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors.update(e.update_error_dict({}))
        if self.parent_model is not None:
            code = CodeWidget().clean(row.get("parent_code"))
            parent = self.find_parent(code, self._row_day(row)) if code else None
            if parent is None:
                errors["parent_code"] = [
                    _("No parent unit with the code “%(code)s”.") % {"code": code}
                    if code
                    else _("The parent unit's code is missing.")
                ]
            else:
                self.set_parent(instance, parent)
        if errors:
            raise ValidationError(errors)

    def dehydrate_parent_code(self, unit):
        parent = getattr(unit, self.parent_field, None) if self.parent_field else None
        return parent.code if parent else ""

    # -- Scope ----------------------------------------------------------------------------

    @staticmethod
    def province_id_of(unit) -> int | None:
        raise NotImplementedError

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        scope = scope_for(self.user) if self.user is not None else None
        if scope is not None and not scope.everything:
            original = (
                type(instance).objects.filter(pk=instance.pk).first() if instance.pk else None
            )
            provinces = {self.province_id_of(instance)}
            if original is not None:
                provinces.add(self.province_id_of(original))
            if not scope.is_admin or provinces != {scope.province_id}:
                errors["code"] = [
                    _("%(unit)s is outside your province: you may only import units in it.")
                    % {"unit": instance.name or instance.code}
                ]
        super().validate_instance(instance, errors, validate_unique)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if self.parent_field and original is not None:
            moved = [
                f
                for f in ("province_id", "district_id", "commune_id")
                if hasattr(instance, f) and getattr(instance, f) != getattr(original, f)
            ]
            if moved:
                return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def scoped(self, queryset):
        """What the user may export."""
        scope = scope_for(self.user) if self.user is not None else None
        if scope is None or scope.everything:
            return queryset
        if not scope.is_admin or scope.province_id is None:
            return queryset.none()
        return queryset.filter(**{self.province_lookup: scope.province_id})


class ProvinceResource(UnitResource):
    region = fields.Field(attribute="region", column_name="region", widget=TextWidget())
    province_lookup = "pk"

    class Meta(UnitResource.Meta):
        model = Province
        fields = ("code", "name", "kind", "region", "valid_from", "valid_to")
        export_order = fields

    @staticmethod
    def province_id_of(unit):
        return unit.pk


class DistrictResource(UnitResource):
    parent_code = fields.Field(column_name="parent_code")
    parent_model = Province
    parent_field = "province"
    province_lookup = "province_id"

    class Meta(UnitResource.Meta):
        model = District
        fields = ("code", "name", "kind", "parent_code", "valid_from", "valid_to")
        export_order = fields

    @staticmethod
    def province_id_of(unit):
        return unit.province_id


class CommuneResource(UnitResource):
    """A commune's parent is its district, or its province since the districts were
    abolished (01/07/2025)."""

    parent_code = fields.Field(column_name="parent_code")
    region = fields.Field(attribute="region", column_name="region", widget=TextWidget())
    commune_group = fields.Field(
        attribute="commune_group", column_name="commune_group", widget=widgets.IntegerWidget()
    )
    parent_model = District
    parent_field = "district"
    province_lookup = "province_id"

    class Meta(UnitResource.Meta):
        model = Commune
        fields = COLUMNS
        export_order = COLUMNS

    def find_parent(self, code, day=None):
        return self._on_day(District.objects.filter(code=code), day) or self._on_day(
            Province.objects.filter(code=code), day
        )

    def set_parent(self, instance, parent):
        if isinstance(parent, District):
            instance.district, instance.province = parent, parent.province
        else:
            instance.district, instance.province = None, parent

    def dehydrate_parent_code(self, commune):
        return commune.district.code if commune.district_id else commune.province.code

    @staticmethod
    def province_id_of(unit):
        return unit.province_id


class VillageResource(UnitResource):
    parent_code = fields.Field(column_name="parent_code")
    parent_model = Commune
    parent_field = "commune"
    province_lookup = "commune__province_id"

    class Meta(UnitResource.Meta):
        model = Village
        fields = ("code", "name", "kind", "parent_code", "valid_from", "valid_to")
        export_order = fields

    @staticmethod
    def province_id_of(unit):
        return unit.commune.province_id if unit.commune_id else None
