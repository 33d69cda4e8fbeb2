from django import template
from django.utils.html import format_html

from criteria.enums import VERIFIED, Verification

register = template.Library()


@register.simple_tag
def verification_tag(code: str):
    """A small label saying how sure the reference is of an item. Unverified and placeholder
    items stand out; verified ones stay quiet."""
    if code in VERIFIED:
        tone = "ok"
    elif code == Verification.PLACEHOLDER:
        tone = "placeholder"
    else:
        tone = "warn"
    return format_html(
        '<span class="tag tag--{}" title="{}">{}</span>', tone, code, Verification(code).label
    )
