"""Filters of the dashboards, read from the URL so that a view can be bookmarked and shared."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.enums import CommuneKind

# Kinds a district dashboard can be narrowed to (special zones have no district).
DASHBOARD_KINDS = (CommuneKind.COMMUNE, CommuneKind.WARD, CommuneKind.TOWNSHIP)


class DashboardFilterForm(forms.Form):
    """``set`` is checked against the sets the area is assessed on once they are known
    (see reports.dashboard.resolve_set), so the form itself runs no query."""

    set = forms.SlugField(label=_("Criteria set"), required=False, max_length=64)
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD, e.g. 2024-12-31.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of commune"),
        required=False,
        choices=[("", _("All kinds"))] + [(k.value, k.label) for k in DASHBOARD_KINDS],
        error_messages={"invalid_choice": _("Choose a kind of commune from the list.")},
    )

    def clean_as_of(self) -> datetime.date:
        return self.cleaned_data["as_of"] or timezone.localdate()
