from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communes.enums import AssessmentStatus
from communes.selectors import districts_for_user, provinces_for_user
from criteria.models import CriteriaSet

from .reader import ALLOWED_EXTENSIONS

FORMATS = [
    ("matrix", _("Summary sheet: one row per commune, one column per criterion")),
    ("long", _("List: one row per commune and criterion (or indicator)")),
]
IMPORT_STATUSES = [
    (AssessmentStatus.DRAFT, _("Draft: enters the workflow for checking")),
    (AssessmentStatus.APPROVED, _("Approved historical data: published directly")),
]


def short_province_name(name: str) -> str:
    """ "Tỉnh Tiền Giang" → "Tiền Giang": how a district's province is named after it."""
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def district_label(district) -> str:
    # Many provinces have a district of the same name ("Huyện Châu Thành" ten times).
    return f"{district.name} ({short_province_name(district.province.name)})"


def validity(unit) -> str:
    """When ``unit`` existed, in words ("until 30/06/2025", "from 01/07/2025"); empty for a
    unit that has always existed."""
    start, end = unit.valid_from, unit.valid_to
    if start and end:
        return _("%(start)s–%(end)s") % {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"}
    if end:
        return _("until %(date)s") % {"date": f"{end:%d/%m/%Y}"}
    if start:
        return _("from %(date)s") % {"date": f"{start:%d/%m/%Y}"}
    return ""


def unit_label_with_era(unit) -> str:
    """A province as a chooser names it: the pre-2025 and the merged province of the same
    name ("Tỉnh Hà Tĩnh" twice) are told apart by when each existed."""
    era = validity(unit)
    return f"{unit.name} ({era})" if era else unit.name


def grouped_district_choices(queryset):
    """A callable for a district field's choices: the districts under one <optgroup> per
    province (named with its era), each named with its province, so that the browser's own
    select finds them by typing and the list reads without JavaScript. Two districts of one
    province with the same name (one closed before the other opened) are told apart by when
    each existed. Called when the widget renders."""

    def choices():
        districts = list(queryset.order_by("province__name", "province__valid_from", "name"))
        labels = {d.pk: district_label(d) for d in districts}
        seen: dict[str, int] = {}
        for label in labels.values():
            seen[label] = seen.get(label, 0) + 1
        groups: dict[str, list] = {}
        for district in districts:
            label = labels[district.pk]
            if seen[label] > 1 and (era := validity(district)):
                label = f"{district.name} ({short_province_name(district.province.name)}, {era})"
            groups.setdefault(unit_label_with_era(district.province), []).append(
                (district.pk, label)
            )
        return [("", "---------"), *groups.items()]

    return choices


class ProvinceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return unit_label_with_era(obj)


def criteria_sets_for_user(user, provinces):
    """National sets, and the provincial variants of the provinces the user imports into."""
    return CriteriaSet.objects.filter(Q(province__isnull=True) | Q(province__in=provinces))


class AssessmentImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}),
    )
    fmt = forms.ChoiceField(label=_("Layout"), choices=FORMATS, initial="matrix")
    criteria_set = forms.ModelChoiceField(
        label=_("Criteria set"),
        queryset=CriteriaSet.objects,
        required=False,
        help_text=_("A list may name the set in a column “Mã bộ tiêu chí” instead."),
    )
    assessed_on = forms.DateField(
        label=_("Assessment date"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text=_(
            "Leave empty when the sheet says “Số liệu tính đến ngày …” or has a date column."
        ),
    )
    province = ProvinceChoiceField(
        label=_("Province"),
        queryset=None,
        required=False,
        help_text=_("Narrows the search for communes given by name."),
    )
    district = forms.ModelChoiceField(label=_("District"), queryset=None, required=False)
    status = forms.ChoiceField(label=_("Import as"), choices=IMPORT_STATUSES)
    sheet = forms.CharField(
        label=_("Sheet name"),
        required=False,
        help_text=_("Leave empty for the first visible sheet with a header row."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = provinces_for_user(user)
        self.fields["province"].queryset = provinces
        districts = districts_for_user(user).select_related("province")
        self.fields["district"].queryset = districts
        self.fields["district"].choices = grouped_district_choices(districts)
        self.fields["criteria_set"].queryset = criteria_sets_for_user(user, provinces)
        if provinces.count() == 1:
            # A province-scoped admin imports into their own province only.
            self.fields["province"].required = True
            self.fields["province"].initial = provinces.get()

    def clean(self):
        data = super().clean()
        district, province = data.get("district"), data.get("province")
        if district and province and district.province_id != province.pk:
            self.add_error("district", _("This district is not in the chosen province."))
        if data.get("fmt") == "matrix" and not data.get("criteria_set"):
            self.add_error(
                "criteria_set", _("Choose the criteria set: its criteria are the sheet's columns.")
            )
        return data


class SetImportForm(forms.Form):
    file = forms.FileField(
        label=_("Criteria set workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text=_(
            "Sheets “set”, “criteria”, “indicators” and “thresholds”, as in the template or a "
            "set's own workbook."
        ),
    )
    new_version = forms.BooleanField(
        label=_("Import as a new version"),
        required=False,
        help_text=_(
            "For a set that assessments already use: it is never edited; the file creates its "
            "next version (code “…_V2”), offered for new assessments from then on."
        ),
    )


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return district_label(obj)


class MatrixTemplateForm(forms.Form):
    """Read with GET by ``imports:template``: the set by code, the unit by pk."""

    criteria_set = forms.ModelChoiceField(
        label=_("Criteria set"), queryset=CriteriaSet.objects, to_field_name="code"
    )
    province = ProvinceChoiceField(label=_("Province"), queryset=None, required=False)
    district = DistrictChoiceField(
        label=_("District"),
        queryset=None,
        required=False,
        help_text=_("The sheet gets one row per commune of the district, or of the province."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = provinces_for_user(user)
        self.fields["province"].queryset = provinces
        districts = districts_for_user(user).select_related("province")
        self.fields["district"].queryset = districts
        self.fields["district"].choices = grouped_district_choices(districts)
        self.fields["criteria_set"].queryset = criteria_sets_for_user(user, provinces)
        if provinces.count() == 1:
            self.fields["province"].initial = provinces.get()
