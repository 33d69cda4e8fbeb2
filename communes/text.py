"""What counts as text: shared by the workflow's forms and services and the admin's forms."""

import unicodedata


def visible_text(value: str | None) -> str:
    """``value`` stripped, or "" when it has no visible character: a reason made of zero-width
    spaces or direction marks would read as blank to the commune, and one made of U+FFFD only
    (what undecodable bytes, e.g. a lone surrogate, arrive as) says nothing either."""
    value = (value or "").strip()
    visible = any(
        ch != "\ufffd" and not unicodedata.category(ch).startswith(("Z", "C")) for ch in value
    )
    return value if visible else ""


def nfc(value: str) -> str:
    """``value`` with precomposed letters: "Lâm Hợp" typed with combining marks (NFD, as some
    keyboards and macOS file names produce it) becomes the same string as the usual one."""
    return unicodedata.normalize("NFC", value)
