"""Public text is for the public: a crawl of every public page of the demo, in Vietnamese,
finds no research tag (VERIFIED…, RECALLED…, INFERRED…), no internal file path, no garbled
source label and no English sentence copied from the reference files."""

import json
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
from django.conf import settings
from django.test import Client

from communes.models import Commune, Statistic
from criteria.models import Assessment, CriteriaSet, Recognition, Target

pytestmark = pytest.mark.django_db

FORBIDDEN = ("VERIFIED", "RECALLED", "INFERRED", "shared/", "[source")
# Private, or not pages: never crawled.
SKIP_PREFIXES = (
    "/admin/",
    "/accounts/",
    "/i18n/",
    "/imports/",
    "/criteria/assessments/",
    "/criteria/inbox/",
    "/criteria/evidence/",
    "/criteria/recognitions/",
    "/static/",
)
REFERENCE = settings.BASE_DIR.parent / "shared" / "reference"
FIXTURE = settings.BASE_DIR / "fixtures" / "criteria.json"
VIETNAMESE = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I
)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def english_sentences() -> set[str]:
    """Sentences of the reference texts with no Vietnamese letter and at least six words:
    the research notes written in English (what the portal took from them: the fixture's
    text fields, plus the reference files themselves where present)."""
    texts = []

    def walk(value):
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(FIXTURE.read_text(encoding="utf-8")))
    for path in sorted(Path(REFERENCE).glob("ntm-criteria*.json")) if REFERENCE.exists() else []:
        walk(json.loads(path.read_text(encoding="utf-8")))
    sentences = set()
    for text in texts:
        for sentence in re.split(r"(?<=[.;:!?])\s+|\n", text):
            sentence = sentence.strip(" ()[]-—·")
            words = re.findall(r"[A-Za-z]{2,}", sentence)
            if (
                len(words) >= 6
                and not VIETNAMESE.search(sentence)
                and not sentence.startswith("http")
                and "://" not in sentence
            ):
                sentences.add(sentence)
    return sentences


def demo_communes() -> set[str]:
    ids = set()
    for model in (Assessment, Recognition, Target):
        ids |= set(model.objects.filter(commune__isnull=False).values_list("commune_id", flat=True))
    ids |= set(Statistic.objects.values_list("commune_id", flat=True))
    return set(Commune.objects.filter(pk__in=ids).values_list("code", flat=True))


def crawl(client) -> dict[str, str]:
    """Every public page reachable from the home page and the set list, in Vietnamese.
    Commune pages are followed for the communes the demo gives data, not all ~2,500."""
    communes = demo_communes()
    start = ["/", "/criteria/"] + [f"/criteria/sets/{c.code}/" for c in CriteriaSet.objects.all()]
    seen, pages = set(start), {}
    queue = deque(start)
    while queue:
        url = queue.popleft()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        pages[url] = body
        parser = Links()
        parser.feed(body)
        for href in parser.links:
            href = urldefrag(href)[0]
            parts = urlparse(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            path = parts.path
            if path.startswith(SKIP_PREFIXES) or path.endswith((".xlsx", ".csv")):
                continue
            if path.startswith("/c/") and path.strip("/").split("/")[1] not in communes:
                continue
            if path not in seen:
                seen.add(path)
                queue.append(path)
    return pages


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return crawl(Client())


def test_crawl_reaches_the_public_pages(pages):
    assert "/" in pages and "/criteria/" in pages
    assert any(url.startswith("/c/") for url in pages)
    assert any(url.startswith("/p/") for url in pages)
    assert sum(url.startswith("/criteria/sets/") for url in pages) == CriteriaSet.objects.count()


def test_no_public_page_shows_a_research_tag_or_internal_path(pages):
    found = {
        url: [word for word in FORBIDDEN if word in body]
        for url, body in pages.items()
        if any(word in body for word in FORBIDDEN)
    }
    assert found == {}


def test_no_public_page_shows_an_english_research_sentence(pages):
    sentences = english_sentences()
    assert sentences  # the check has something to look for
    found = {
        url: sorted(s for s in sentences if s in body)[:3]
        for url, body in pages.items()
        if any(s in body for s in sentences)
    }
    assert found == {}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Đạt chuẩn [VERIFIED-SECONDARY]", "Đạt chuẩn"),
        (
            "Xã đặc biệt khó khăn áp dụng mức của vùng TDMNPB (VERIFIED-OFFICIAL, Điều 1 QĐ 318)",
            "Xã đặc biệt khó khăn áp dụng mức của vùng TDMNPB",
        ),
        (
            "Bài báo 23/12/2022, Tỉnh ủy Thừa Thiên Huế (shared/seeds/000) (ước đạt)",
            "Bài báo 23/12/2022, Tỉnh ủy Thừa Thiên Huế (ước đạt)",
        ),
        ("Mật độ đường giao thông [source label garbled]", "Mật độ đường giao thông"),
        ("Sources conflict on the group of this criterion. Keep group as data.", ""),
        ("RECALLED-UNVERIFIED", ""),
        (
            "Theo QĐ 1980/QĐ-TTg.\nSources conflict here, see the notes for details.",
            "Theo QĐ 1980/QĐ-TTg.",
        ),
    ],
)
def test_public_text_keeps_the_plain_vietnamese(raw, shown):
    from criteria.public_text import public_text

    assert public_text(raw) == shown


def test_set_page_shows_badges_in_words_with_the_source_as_link(client):
    body = client.get("/criteria/sets/NTM_XA_2016_2020/", HTTP_ACCEPT_LANGUAGE="vi")
    html = body.content.decode()
    assert "theo nguồn thứ cấp" in html
    assert re.search(r'<a class="tag tag--ok" href="https?://[^"]+" title="https?://', html)
    assert "chưa đối chiếu văn bản" in html


def test_an_english_remark_citing_a_decree_is_still_english():
    from criteria.public_text import public_text

    remark = (
        "Poverty measurement for this criterion will rest on NĐ 07/2021 (through 2026) and "
        "NĐ 351/2025/NĐ-CP (2027-2030) — INFERRED linkage; indicator wording/thresholds NOT FOUND"
    )
    assert public_text(remark) == ""
    kept = "QĐ 1980/QĐ-TTg ngày 17/10/2016, có hiệu lực từ 01/12/2016."
    assert public_text(kept) == kept
