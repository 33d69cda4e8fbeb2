from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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
