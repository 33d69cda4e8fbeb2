"""No English on a Vietnamese page, no Vietnamese interface text on an English page, for the
main pages of each kind of user.

What counts as interface text is the catalogue itself: on a Vietnamese page no msgid (English)
may show where its msgstr should, and on an English page no msgstr (Vietnamese) may show
where its msgid should. Data (unit and criterion names) is Vietnamese in both languages and is
not in the catalogue, except the criterion groups and set names, which the pages translate;
notes and sources quoted from the references are marked translate="no" and left out.
"""

import html
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.test_translations import PO_FILE, parse_po

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/p/42/",
    "/d/447/",
    "/c/18838/",
    "/criteria/",
    "/criteria/sets/NTM_XA_2021_2025/",
    "/criteria/sets/HATINH_NTM_XA_2017_2020/",
    "/accounts/login/",
]
ADMIN_PAGES = [
    "/imports/",
    "/imports/assessments/",
    "/imports/sets/",
    "/criteria/inbox/",
    "/d/447/dashboard/",
    "/p/42/dashboard/?as_of=2020-12-31",
    "/dashboard/",
    "/admin/communes/commune/",
]
# Shorter texts are often the same word in both languages or parts of data ("Đ", "NTM").
MIN_LENGTH = 12


def _texts():
    """(English, Vietnamese) pairs of the catalogue worth looking for in a page's text."""
    pairs = []
    for entry in parse_po(PO_FILE):
        msgid, msgstr = entry["msgid"], entry["msgstr"].get(0, "")
        if entry["obsolete"] or entry["msgid_plural"] or not msgid or msgid == msgstr:
            continue
        if "%" in msgid or "{" in msgid or len(msgid) < MIN_LENGTH or len(msgstr) < MIN_LENGTH:
            continue
        if msgstr in msgid or msgid in msgstr:  # "especially difficult (đặc biệt khó khăn)"
            continue
        pairs.append((msgid, msgstr))
    return pairs


def visible_text(body: str) -> str:
    """The page's text, less what it marks translate="no" (notes and sources quoted as the
    references wrote them: data, not interface)."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", body)
    body = re.sub(r'(?s)<(\w+)\b[^>]*\btranslate="no"[^>]*>.*?</\1>', " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


def pages(client, language, username=None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    urls = ADMIN_PAGES if username else PUBLIC_PAGES
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, visible_text(response.content.decode())


@pytest.mark.parametrize("username", [None, "admin"])
def test_no_english_interface_text_on_a_vietnamese_page(client, username):
    pairs = _texts()
    found = {}
    for url, text in pages(client, "vi", username):
        leaks = [msgid for msgid, _vi in pairs if msgid in text]
        if leaks:
            found[url] = leaks
    assert found == {}


@pytest.mark.parametrize("username", [None, "admin"])
def test_no_vietnamese_interface_text_on_an_english_page(client, username):
    pairs = _texts()
    found = {}
    for url, text in pages(client, "en", username):
        leaks = [vi for _en, vi in pairs if vi in text]
        if leaks:
            found[url] = leaks
    assert found == {}


def test_english_set_page_names_the_set_and_groups_in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = visible_text(client.get("/criteria/sets/NTM_XA_2021_2025/").content.decode())

    assert "National criteria set for new-rural communes 2021-2025" in text
    assert "I. Planning" in text and "I. Quy hoạch" not in text
    assert "V. Political system" in text


def test_admin_show_counts_is_translated(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    client.force_login(get_user_model().objects.get(username="admin"))
    body = client.get("/admin/communes/commune/").content.decode()
    assert "Show counts" not in body and "Hide counts" not in body
