from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from criteria.enums import Verification
from criteria.public_text import public_text as _public_text

register = template.Library()


def badge_label(code: str) -> tuple[str, str]:
    """(tone, words) of a verification code, as the public reads it."""
    if code == Verification.OFFICIAL:
        return "ok", _("per the original text")
    if code in (Verification.SECONDARY, Verification.LOCAL):
        return "ok", _("per a secondary source")
    if code == Verification.PLACEHOLDER:
        return "placeholder", _("no source text yet (placeholder, not an official item)")
    return "warn", _("not checked against the text")


@register.simple_tag
def verification_tag(code: str, source: str = ""):
    """A small badge saying, in words, how sure the reference is of an item, with its source
    as the title and, where the source is an address, as a link. Never the research tag."""
    tone, words = badge_label(code)
    first = next((line.strip() for line in (source or "").splitlines() if line.strip()), "")
    title = _public_text(first) if not first.startswith(("http://", "https://")) else first
    if first.startswith(("http://", "https://")):
        return format_html(
            '<a class="tag tag--{}" href="{}" title="{}" rel="noopener noreferrer">{}</a>',
            tone,
            first,
            title,
            words,
        )
    return format_html(
        '<span class="tag tag--{}"{}>{}</span>',
        tone,
        format_html(' title="{}"', title) if title else "",
        words,
    )


@register.filter
def public_text(text):
    """Research notes as the public may read them (criteria.public_text)."""
    return _public_text(text)
