"""Text for the public: the reference's research notes carry verification tags
("VERIFIED-SECONDARY", "RECALLED-UNVERIFIED"…), paths of the research files ("shared/seeds/…"),
garbled source labels and remarks in English. Public pages show the plain Vietnamese that is
left, and a verification badge in words (``verification_badge``) instead of the tags.
"""

from __future__ import annotations

import re

TAG_WORDS = (
    r"VERIFIED[-‑ ](?:OFFICIAL|SECONDARY)|VERIFIED|RECALLED[-‑ ]UNVERIFIED|RECALLED|INFERRED"
    r"|NOT[-‑ ]FOUND|PLACEHOLDER"
)
# A bracketed or parenthesised remark holding a tag: "[VERIFIED-SECONDARY]",
# "(VERIFIED-OFFICIAL, Điều 1 QĐ 318)", "(LOCAL, seen in …)".
_TAGGED_REMARK = re.compile(rf"\s*[\(\[][^\(\)\[\]]*(?:{TAG_WORDS}|\bLOCAL\b)[^\(\)\[\]]*[\)\]]")
_TAG = re.compile(rf"\b(?:{TAG_WORDS})\b:?")
_PATH_REMARK = re.compile(r"\s*\([^()]*\bshared/[^()]*\)")
_PATH = re.compile(r"\s*\bshared/\S*")
_GARBLED = re.compile(r"\s*\[source label garbled\]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+")
_VIETNAMESE = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)
_WORD = re.compile(r"[A-Za-z]{2,}")
# A legal reference ("NĐ 351/2025/NĐ-CP", "QĐ 51/2025/QĐ-TTg") carries a Đ without making an
# English remark Vietnamese.
_LEGAL_REFERENCE = re.compile(r"\b(?:NĐ|QĐ|NQ|TT|CV|KH)\b[\s-]*[\w/.-]*", re.IGNORECASE)


def _is_english(sentence: str) -> bool:
    """A sentence of three words or more without one Vietnamese letter: a research remark in
    English. Addresses and bare legal references ("QĐ 1980/QĐ-TTg") have a Đ or few words."""
    if "://" in sentence:
        return False
    words = _LEGAL_REFERENCE.sub(" ", sentence)
    return len(_WORD.findall(words)) >= 3 and not _VIETNAMESE.search(words)


def public_text(text: str | None) -> str:
    """``text`` without verification tags, research-file paths, garbled labels and English
    remarks; line breaks kept."""
    if not text:
        return ""
    lines = []
    for line in str(text).splitlines():
        line = _TAGGED_REMARK.sub("", line)
        line = _PATH_REMARK.sub("", line)
        line = _PATH.sub("", line)
        line = _GARBLED.sub("", line)
        line = _TAG.sub("", line)
        kept = [
            s.strip()
            for s in _SENTENCE_END.split(line)
            if s.strip(" .;:,-–—·()[]") and not _is_english(s)
        ]
        line = re.sub(r"\s{2,}", " ", " ".join(kept)).strip(" ;,·-–—")
        if line:
            lines.append(line)
    return "\n".join(lines)
