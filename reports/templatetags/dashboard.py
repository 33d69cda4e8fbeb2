"""Presentation helpers for the dashboard templates: `{% load dashboard %}`."""

from django import template
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from communes.enums import ResultStatus

from .overview import RESULT_SYMBOLS

register = template.Library()

NOT_ASSESSED = "none"
CELL_LABELS = {
    ResultStatus.MET: ResultStatus.MET.label,
    ResultStatus.BASICALLY_MET: ResultStatus.BASICALLY_MET.label,
    ResultStatus.NOT_MET: ResultStatus.NOT_MET.label,
    NOT_ASSESSED: _("Not assessed"),
}


@register.inclusion_tag("includes/_matrix_cell.html")
def matrix_cell(status, criterion):
    """One cell of the progress matrix: a symbol and a class, so colour is never the only
    signal, and the criterion and result in words for screen readers."""
    return {
        "status": status,
        "symbol": RESULT_SYMBOLS["" if status == NOT_ASSESSED else status],
        "label": CELL_LABELS[status],
        "criterion": criterion,
    }


@register.simple_tag
def dashboard_query(**filters):
    """The dashboard's query string for ``filters`` (empty values left out), e.g. to link
    the same view as an Excel file."""
    return urlencode({k: v for k, v in filters.items() if v})
