"""Set short names in the page's language (criteria.names)."""

from django.utils import translation

from criteria.names import localized_short_name


def test_short_name_is_english_on_an_english_page():
    with translation.override("en"):
        assert localized_short_name("NTM nâng cao 2021–2025") == "Advanced NTM 2021–2025"
        assert localized_short_name("Hà Tĩnh 20 tiêu chí (2017–2020)") == (
            "Hà Tĩnh 20 criteria (2017–2020)"
        )
        assert localized_short_name("Tiêu chí phường (2016–2025)") == "Ward criteria (2016–2025)"


def test_short_name_is_unchanged_on_a_vietnamese_page():
    with translation.override("vi"):
        assert localized_short_name("NTM nâng cao 2021–2025") == "NTM nâng cao 2021–2025"
