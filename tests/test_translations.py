"""The Vietnamese catalogue: complete, not fuzzy, and its committed .mo matches the .po.

The .mo is committed because a fresh machine may have no gettext; these tests catch a .po
edited without recompiling, and strings added to the code but never translated.
"""

import ast
import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"


def _unquote(line: str) -> str:
    """The text of one quoted PO string line, e.g. '"a\\nb"' -> 'a\nb'."""
    return ast.literal_eval(line.strip())


def parse_po(path: Path) -> list[dict]:
    """Entries of a PO file as dicts: msgid, msgid_plural, msgstr (list of forms), flags,
    obsolete. Enough of the format for these checks, not a general parser."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "msgid_plural": None, "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            text = _unquote(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += text
            else:
                entry[field[0]] += text
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            field = ("msgstr", index)
            entry["msgstr"][index] = _unquote(rest)
        elif keyword in ("msgid", "msgid_plural", "msgctxt"):
            field = (keyword, None)
            entry[keyword] = _unquote(rest)
    return entries


def test_po_header_is_vietnamese_and_not_fuzzy():
    header = next(e for e in parse_po(PO_FILE) if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    meta = header["msgstr"][0]
    assert "Language: vi\n" in meta
    assert "charset=UTF-8" in meta
    assert "Plural-Forms: nplurals=1; plural=0;" in meta


def test_po_has_no_untranslated_or_fuzzy_entries():
    entries = [e for e in parse_po(PO_FILE) if e["msgid"] and not e["obsolete"]]
    assert len(entries) > 100, "the parser found too few entries"
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not untranslated, f"untranslated entries: {untranslated}"


def test_plural_entries_have_the_single_vietnamese_form():
    plurals = [e for e in parse_po(PO_FILE) if e["msgid_plural"] and not e["obsolete"]]
    assert plurals
    for entry in plurals:
        assert list(entry["msgstr"]) == [0], entry["msgid"]


# Header fields that makemessages rewrites on every run without changing any translation.
VOLATILE_HEADER_FIELDS = ("pot-creation-date", "po-revision-date")


def _comparable(translations: gettext.GNUTranslations) -> tuple[dict, dict]:
    """The messages and the header of a compiled catalogue, less the volatile dates."""
    catalog = {key: value for key, value in translations._catalog.items() if key != ""}
    info = {k: v for k, v in translations.info().items() if k not in VOLATILE_HEADER_FIELDS}
    return catalog, info


def test_committed_mo_matches_the_po(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (gettext) is not installed: cannot compile the .po to compare")
    fresh = tmp_path / "django.mo"
    # --check-format -c also fails on placeholders that differ between msgid and msgstr.
    result = subprocess.run(
        [msgfmt, "--check-format", "-c", "-o", str(fresh), str(PO_FILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    with MO_FILE.open("rb") as committed_file, fresh.open("rb") as fresh_file:
        committed = _comparable(gettext.GNUTranslations(committed_file))
        expected = _comparable(gettext.GNUTranslations(fresh_file))
    assert committed == expected, (
        "locale/vi/LC_MESSAGES/django.mo is out of date: "
        "run `manage.py compilemessages -l vi --ignore=.venv` and commit the .mo"
    )


@pytest.mark.django_db
def test_unset_threshold_reads_chua_quy_dinh_in_vietnamese(client):
    body = client.get("/criteria/sets/NTM_XA_2021_2025/").content.decode()
    assert '<html lang="vi">' in body
    assert "chưa quy định" in body
    assert "not set" not in body
    assert "Mức đạt chuẩn" in body


# The code and templates whose strings the portal shows (not tests, benchmarks or the venv).
SOURCE_DIRS = ("api", "communes", "criteria", "ntm_portal", "reports", "templates")


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="xgettext (gettext) is missing")
def test_every_msgid_of_the_code_and_templates_is_in_the_po(tmp_path, settings, monkeypatch):
    """makemessages over a copy of the sources, into a scratch catalogue: every message it
    finds must be in the committed .po (where the tests above require a translation). The
    committed .po is never rewritten: the scratch copy has its own LOCALE_PATHS."""
    from django.core.management import call_command

    base = Path(settings.BASE_DIR)
    for name in SOURCE_DIRS:
        shutil.copytree(
            base / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "locale")
        )
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["vi"], verbosity=0, no_obsolete=True)
    found = parse_po(tmp_path / "locale" / "vi" / "LC_MESSAGES" / "django.po")
    committed = {(e.get("msgctxt"), e["msgid"]) for e in parse_po(PO_FILE) if not e["obsolete"]}
    missing = sorted(
        e["msgid"] for e in found if e["msgid"] and (e.get("msgctxt"), e["msgid"]) not in committed
    )
    assert len(found) > 100, "makemessages found too few messages"
    assert missing == [], f"{len(missing)} messages are not in the .po: {missing[:20]}"
