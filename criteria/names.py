"""Set names in the page's language.

A set's short name is Vietnamese data ("NTM nâng cao 2021–2025"); its full English name
(``name_en``) is too long for a table header or a filter. On English pages the short name's
Vietnamese words are replaced by their English ones, phrase by phrase, longest first; the
catalogue gives them back unchanged in Vietnamese.
"""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Vietnamese phrase -> its English name; the catalogue's Vietnamese is the phrase itself.
PHRASES = (
    ("NTM nâng cao", _("Advanced NTM")),
    ("NTM kiểu mẫu", _("Model NTM")),
    ("Huyện NTM", _("District NTM")),
    ("Tiêu chí phường", _("Ward criteria")),
    ("tiêu chí", _("criteria")),
)


def localized_short_name(short_name: str) -> str:
    if not short_name or not (get_language() or "").startswith("en"):
        return short_name
    for phrase, english in PHRASES:
        short_name = short_name.replace(phrase, str(english))
    return short_name
