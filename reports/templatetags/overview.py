"""Presentation helpers for the public overview templates: `{% load overview %}`."""

from decimal import Decimal

from django import template
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from communes.enums import ResultStatus
from criteria.enums import Title

register = template.Library()

# The Title labels are written for forms ("New rural commune (xã đạt chuẩn NTM)"); table
# cells and badges need a short form.
SHORT_TITLES = {
    Title.NTM: _("NTM standard"),
    Title.NTMNC: _("Advanced NTM"),
    Title.MODEL: _("Model NTM"),
    Title.WARD: _("Ward criteria met"),
    Title.DISTRICT_NTM: _("NTM district"),
    Title.DISTRICT_NTMNC: _("Advanced NTM district"),
    Title.VILLAGE_NTM: _("NTM village"),
    Title.VILLAGE_MODEL: _("Model NTM village"),
}


@register.filter
def title_short(value):
    """Short label of a criteria.enums.Title value."""
    return SHORT_TITLES.get(value, value)


@register.filter
def number(value):
    """A figure in the active language's style (12.345,5 in Vietnamese), without the
    trailing zeros a DecimalField carries."""
    if value is None or value == "":
        return ""
    if type(value) is int and -1000 < value < 1000:
        # What the formatting below gives for these, without its two locale lookups per call
        # (hundreds of counts per dashboard; a tenth of a cold province dashboard's time).
        return str(value)
    if isinstance(value, Decimal):
        value = value.normalize()
        places = max(-value.as_tuple().exponent, 0)
    else:
        places = 0
    return _format_number(value, places)


def _format_number(value, places=0):
    # Grouping by thousands is forced: neither the vi nor the en locale sets NUMBER_GROUPING.
    return numberformat.format(
        value,
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


@register.filter
def percent(part, whole):
    """Whole-number percentage of ``part`` in ``whole`` (0 when ``whole`` is 0)."""
    if not whole:
        return 0
    return round(100 * part / whole)


@register.filter
def localized_name(obj):
    """``obj.name_en`` when the page is in English and the object has one, else its name."""
    name_en = getattr(obj, "name_en", "")
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return getattr(obj, "display_name", None) or obj.name


VILLAGE_COUNT_LABELS = {
    Title.VILLAGE_NTM: lambda n: ngettext(
        "%(count)s village meets the NTM standard",
        "%(count)s villages meet the NTM standard",
        n,
    ),
    Title.VILLAGE_MODEL: lambda n: ngettext(
        "%(count)s model NTM village", "%(count)s model NTM villages", n
    ),
}


@register.simple_tag
def village_count(title, count):
    """E.g. "111 thôn đạt chuẩn NTM"."""
    return VILLAGE_COUNT_LABELS[title](count) % {"count": _format_number(count)}


# Symbols repeat the word, so the result never depends on colour alone.
RESULT_SYMBOLS = {"met": "✓", "basically_met": "◐", "not_met": "✗", "": "–"}
NOT_ASSESSED = _("Not assessed")


@register.inclusion_tag("includes/_result.html")
def result(status):
    label = ResultStatus(status).label if status else NOT_ASSESSED
    return {"status": status or "none", "symbol": RESULT_SYMBOLS[status], "label": label}


@register.filter
def kind_unless_named(unit):
    """The unit's kind label, unless its name already says it ("Xã Lộc Bổn" needs no "Xã")."""
    label = str(unit.get_kind_display())
    return "" if unit.name.casefold().startswith(label.casefold()) else label
