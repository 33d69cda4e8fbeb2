"""The API's filters, read from the URL as the pages read theirs (a Django form each): a bad
value is a 400 that names the parameter and says what is expected, never a silent default."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from communes.enums import CommuneKind
from communes.models import Commune, District, Province
from communes.selectors import unit_for_address
from criteria.enums import SetLevel, Title
from criteria.models import CriteriaSet

DATE_ERROR = gettext_lazy("Enter the date as YYYY-MM-DD, e.g. 2024-12-31.")


def _date(label):
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_ERROR},
    )


def _choice(choices):
    return forms.ChoiceField(
        required=False,
        choices=[("", "")] + list(choices),
        error_messages={"invalid_choice": gettext_lazy("“%(value)s” is not one of the values.")},
    )


class FilterForm(forms.Form):
    """Parses ``request.query_params``; ``cleaned()`` raises a 400 listing every bad one."""

    def __init__(self, params):
        # Only the form's own fields; cursor and page_size belong to the pagination.
        super().__init__({k: v for k, v in params.items() if k in self.base_fields})

    def cleaned(self) -> dict:
        if not self.is_valid():
            raise ValidationError({name: list(errors) for name, errors in self.errors.items()})
        return self.cleaned_data


class AreaFilterForm(FilterForm):
    """``province``, ``district``, ``commune``: GSO codes, resolved to the units (an unknown
    code is a 400, not an empty list that looks like "no data")."""

    province = forms.CharField(required=False, max_length=16)
    district = forms.CharField(required=False, max_length=16)
    commune = forms.CharField(required=False, max_length=16)

    def _unit(self, model, name, message):
        code = self.cleaned_data.get(name)
        if not code:
            return None
        unit = unit_for_address(model, code, on=self._as_of())
        if unit is None:
            raise forms.ValidationError(message % {"code": code})
        return unit

    def _as_of(self):
        """The day that resolves a code (a code names a unit only with a date: 18838 is Xã Lâm
        Hợp until 30/06/2025, Xã Kỳ Lạc since): the request's ``as_of`` where the resource has
        one and it is valid, else today. Read here because the unit fields are cleaned before
        ``as_of``."""
        field = self.fields.get("as_of")
        if field is None:
            return None
        try:
            return field.clean(self.data.get("as_of"))
        except forms.ValidationError:
            return None

    def clean_province(self):
        return self._unit(Province, "province", _("There is no province with the code %(code)s."))

    def clean_district(self):
        return self._unit(District, "district", _("There is no district with the code %(code)s."))

    def clean_commune(self):
        return self._unit(Commune, "commune", _("There is no commune with the code %(code)s."))

    def area_q(self, prefix="") -> Q:
        """Rows bound to the chosen units (a commune's, its villages', a district's...)."""
        data, q, p = self.cleaned_data, Q(), prefix
        if data.get("province"):
            q &= (
                Q(**{f"{p}commune__province": data["province"]})
                | Q(**{f"{p}village__commune__province": data["province"]})
                | Q(**{f"{p}district__province": data["province"]})
            )
        if data.get("district"):
            q &= (
                Q(**{f"{p}commune__district": data["district"]})
                | Q(**{f"{p}village__commune__district": data["district"]})
                | Q(**{f"{p}district": data["district"]})
            )
        if data.get("commune"):
            q &= Q(**{f"{p}commune": data["commune"]}) | Q(
                **{f"{p}village__commune": data["commune"]}
            )
        return q

    def province_id(self):
        """The one province the filters lie in (for the report version), or None."""
        data = self.cleaned_data
        for unit in (data.get("commune"), data.get("district")):
            if unit is not None:
                return unit.province_id
        return data["province"].pk if data.get("province") else None


class DistrictFilterForm(FilterForm):
    province = forms.CharField(required=False, max_length=16)
    valid_on = _date(gettext_lazy("Valid on"))


class UnitFilterForm(FilterForm):
    province = forms.CharField(required=False, max_length=16)
    district = forms.CharField(required=False, max_length=16)
    kind = _choice(CommuneKind.choices)
    valid_on = _date(gettext_lazy("Valid on"))


class SetFilterForm(FilterForm):
    level = _choice(SetLevel.choices)
    title = _choice(Title.choices)
    valid_on = _date(gettext_lazy("Valid on"))
    province = forms.CharField(required=False, max_length=16)


class AssessmentFilterForm(AreaFilterForm):
    set = forms.SlugField(required=False, max_length=64)
    kind = _choice(CommuneKind.choices)
    as_of = _date(gettext_lazy("As of"))
    latest = forms.BooleanField(required=False)

    def clean_set(self):
        code = self.cleaned_data.get("set")
        if not code:
            return None
        criteria_set = CriteriaSet.objects.filter(code=code).first()
        if criteria_set is None:
            raise forms.ValidationError(_("There is no criteria set with this code."))
        return criteria_set


class RecognitionFilterForm(AreaFilterForm):
    title = _choice(Title.choices)
    as_of = _date(gettext_lazy("As of"))
    active = forms.NullBooleanField(required=False)


class TargetFilterForm(AreaFilterForm):
    title = _choice(Title.choices)
    year = forms.IntegerField(required=False, min_value=1990, max_value=2100)
