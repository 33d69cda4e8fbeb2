from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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


# The criterion groups of the legal texts, as the fixture spells them (Vietnamese), with their
# English names: the English pages showed them in Vietnamese. A group not listed (a province's
# own wording) is shown as written.
GROUP_NAMES = {
    "I. Quy hoạch": _("I. Planning"),
    "II. Hạ tầng kinh tế - xã hội": _("II. Socio-economic infrastructure"),
    "III. Kinh tế và tổ chức sản xuất": _("III. Economy and organisation of production"),
    "IV. Văn hóa - Xã hội - Môi trường": _("IV. Culture, society and environment"),
    "V. Hệ thống chính trị": _("V. Political system"),
    "Tiêu chí riêng của tỉnh Hà Tĩnh": _("Hà Tĩnh's own criteria"),
    "Điều 8": _("Article 8"),
    "Điều 8 khoản 4 — hạ tầng đô thị (Bảng 2.1/2A)": _(
        "Article 8, clause 4: urban infrastructure (Table 2.1/2A)"
    ),
}


@register.filter
def group_name(group: str) -> str:
    """A criterion group in the page's language."""
    return GROUP_NAMES.get(group, group)


@register.filter
def full_name(obj) -> str:
    """A set's or criterion's full name in the page's language: ``name_en`` on an English
    page when it has one, else ``name``."""
    name_en = getattr(obj, "name_en", "")
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return obj.name
