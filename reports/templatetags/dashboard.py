"""Presentation helpers for the dashboard templates: `{% load dashboard %}`."""

from django import template
from django.utils.http import urlencode

from ..dashboard import CELL_LABELS, CELL_SYMBOLS

register = template.Library()


@register.inclusion_tag("includes/_matrix_cell.html")
def matrix_cell(status, criterion):
    """One cell of the progress matrix: a symbol and a class, so colour is never the only
    signal, and the criterion and result in words for screen readers."""
    return {
        "status": status,
        "symbol": CELL_SYMBOLS[status],
        "label": CELL_LABELS[status],
        "criterion": criterion,
    }


@register.simple_tag
def dashboard_query(**filters):
    """The dashboard's query string for ``filters`` (empty values left out), e.g. to link
    the same view as an Excel file."""
    return urlencode({k: v for k, v in filters.items() if v})
