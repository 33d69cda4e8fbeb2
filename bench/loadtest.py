"""Load without loss: concurrent officials and offices on gunicorn + PostgreSQL, then a recount.

``python -m bench.loadtest`` (or ``make loadtest``) re-creates its own PostgreSQL database
``ntm_loadtest`` (on the server of DATABASE_URL when that is PostgreSQL, else
postgres://postgres@127.0.0.1:5432), loads the units, criteria sets and demo data, creates
one commune official for each of ``--users`` communes of Hà Tĩnh spread over ``--districts``
districts, one office per district and the provincial office, and starts gunicorn with
``--workers`` workers on a free port of 127.0.0.1. Then, all at once:

- each official loops through the HTML forms: open the start page, start an assessment
  against NTM 2021–2025 on a random date of the first half of 2025 (the old map), open the
  entry form, save every criterion and indicator, re-open it (it must show what was saved),
  save changed values, submit. New cycles start for ``--seconds`` seconds; the cycles under
  way then finish (at most eight more requests each), so the run is bounded and every
  started dossier is submitted;
- each district office reads its dashboard and its inbox, and verifies the dossiers the
  officials submitted (so the dashboards' figures move during the run), until the officials
  are done;
- the provincial office reads the province dashboard, until the officials are done.

Then, with the server still up, it reads every dashboard once more, and checks: no 5xx and
no other unexpected status; every assessment someone got a success response for is in the
database with exactly the values last saved, the status and version the responses imply and
one audit event per step; no assessment nobody was told about; the figures of each dashboard
page (and of the service behind it) equal a recount from the raw rows. It prints a table,
writes bench/results/<timestamp>-loadtest.json, and exits 1 on any violation.

The pure parts (HTML parsing, the recount, the checks) are tested in tests/bench/.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import gzip
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter, defaultdict
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path

from bench import server as loopback
from bench.run import machine

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
DATABASE_NAME = "ntm_loadtest"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
PROVINCE_CODE = "42"  # Hà Tĩnh: demo data, many districts
LEGACY_DAY = "2025-06-30"  # the last day of the old map (communes.models.LEGACY_VALID_TO)
SET_CODE = "NTM_XA_2021_2025"  # 19 criteria, 57 indicators; assessed on 2025 dates
# Values copied from communes.enums and criteria.enums (kept literal, so the recount does not
# lean on the code it checks); tests/bench pins them to the enums.
PUBLIC_STATUSES = ("verified", "appraised", "recognised", "approved", "reported")
NTM_TITLES = ("ntm", "ntmnc", "model")
VILLAGE_NTM, VILLAGE_MODEL = "village_ntm", "village_model"
MET, NOT_ASSESSED = "met", "none"
HEADLINE_FIELDS = (
    "ntm",
    "rural_communes",
    "ntmnc",
    "model",
    "unrecognised",
    "communes",
    "villages_ntm",
    "villages_model",
)
# The response each kind of request must get.
EXPECTED_STATUS = {
    "start page": 200,
    "start": 302,
    "entry form": 200,
    "save draft": 302,
    "confirm page": 200,
    "submit": 302,
    "inbox": 200,
    "verify": 302,
    "district dashboard": 200,
    "province dashboard": 200,
}
REQUEST_TIMEOUT_S = 120


# ---------------------------------------------------------------------------------------------
# HTML: forms and dashboards (stdlib html.parser)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Form:
    attrs: dict
    # (name, value) of hidden and text inputs and textareas, in document order.
    fields: list = dataclasses.field(default_factory=list)
    # radio name -> [(value, checked)]
    radios: dict = dataclasses.field(default_factory=dict)
    # select name -> [(value, selected)]
    selects: dict = dataclasses.field(default_factory=dict)
    checkboxes: dict = dataclasses.field(default_factory=dict)

    def value(self, name, default=None):
        for field_name, value in self.fields:
            if field_name == name:
                return value
        return default

    def checked(self, name) -> str | None:
        for value, checked in self.radios.get(name, []):
            if checked:
                return value
        return None


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(attrs=a)
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "radio":
                self._form.radios.setdefault(a["name"], []).append(
                    (a.get("value", ""), "checked" in a)
                )
            elif kind == "checkbox":
                self._form.checkboxes[a["name"]] = "checked" in a
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.selects[self._select] = []
        elif tag == "option" and self._select:
            self._form.selects[self._select].append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            # The HTML parser keeps the newline right after <textarea>; browsers drop it.
            name, text = self._textarea
            self._form.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, *, action_contains="", form_id="", select="") -> Form:
    """The page's form with this id, or whose action contains ``action_contains``, or that
    has a ``<select name=...>``."""
    for form in parse_forms(html):
        if form_id and form.attrs.get("id") == form_id:
            return form
        if action_contains and action_contains in form.attrs.get("action", ""):
            return form
        if select and select in form.selects:
            return form
    raise LookupError(f"no form (id={form_id!r}, action~{action_contains!r}) on the page")


def _number(text: str) -> Decimal | None:
    text = text.strip().replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def fill_entry_form(form: Form, rng: random.Random, tag: str) -> tuple[list, dict]:
    """Every criterion and indicator of the entry form filled at random. Returns the POST
    pairs and what the portal must then hold: {"results": {criterion id: (status, note)},
    "values": {indicator id: (number, flag, note)}, "notes": str}."""
    data, results, values, notes = [], {}, {}, ""
    for name, value in form.fields:
        if name in ("csrfmiddlewaretoken", "version"):
            data.append((name, value))
    for name, options in form.radios.items():
        prefix, _, part = name.partition("-")
        ident = int(prefix[1:])
        if part == "status":
            status = rng.choice([v for v, _checked in options if v])
            data.append((name, status))
            # Every criterion gets a note: it also confirms a status its indicators contradict.
            note = f"{tag} tiêu chí {ident}"
            data.append((f"c{ident}-note", note))
            results[ident] = (status, note)
        elif part == "flag":
            flag = rng.choice([v for v, _checked in options])
            data.append((name, flag))
            values[ident] = [None, {"yes": True, "no": False}.get(flag), ""]
    for name, _value in form.fields:
        prefix, _, part = name.partition("-")
        if part == "value":
            ident = int(prefix[1:])
            roll = rng.random()
            if roll < 0.1:
                text = ""
            elif roll < 0.5:
                text = str(rng.randrange(0, 101))
            else:
                # At most 100: many indicators are percentages, and the form refuses more.
                text = f"{rng.randrange(0, 100)},{rng.randrange(0, 100):02d}"
            data.append((name, text))
            values[ident] = [_number(text), None, ""]
    for name, _value in form.fields:
        prefix, _, part = name.partition("-")
        if part == "note" and prefix.startswith("i"):
            ident = int(prefix[1:])
            note = rng.choice(["", f"{tag} chỉ tiêu {ident} <&> “trích dẫn”"])
            data.append((name, note))
            values.setdefault(ident, [None, None, ""])[2] = note
    notes = f"{tag}: ghi chú chung"
    data.append(("notes", notes))
    data.append(("save", "1"))
    return data, {
        "results": results,
        "values": {k: tuple(v) for k, v in values.items()},
        "notes": notes,
    }


def entry_form_state(form: Form) -> dict:
    """What a re-opened entry form shows, in fill_entry_form's terms."""
    results, values = {}, {}
    fields = dict(form.fields)
    for name in form.radios:
        prefix, _, part = name.partition("-")
        ident = int(prefix[1:])
        checked = form.checked(name) or ""
        if part == "status" and checked:
            results[ident] = (checked, fields.get(f"c{ident}-note", "").strip())
        elif part == "flag":
            values[ident] = (None, {"yes": True, "no": False}.get(checked), "")
    for name, value in form.fields:
        prefix, _, part = name.partition("-")
        if part == "value":
            values[int(prefix[1:])] = (_number(value), None, "")
    for name, value in form.fields:
        prefix, _, part = name.partition("-")
        if part == "note" and prefix.startswith("i"):
            ident = int(prefix[1:])
            number, flag, _note = values.get(ident, (None, None, ""))
            values[ident] = (number, flag, value.strip())
    return {"results": results, "values": values, "notes": fields.get("notes", "")}


class _DashboardParser(HTMLParser):
    """The headline figures, the set filter's count, the as-of date and the criteria matrix."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headline_dd: list[str] = []
        self.matrix: list[dict] = []
        self.as_of = ""
        self.set_option = ""
        self._stack_dl = False
        self._dd = None
        self._in_matrix = False
        self._row = None
        self._th = None
        self._num = None
        self._option = None
        self._select_set = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "dl" and "key-figures" in classes:
            self._stack_dl = True
        elif tag == "dd" and self._stack_dl:
            self._dd = ""
        elif tag == "table" and "matrix" in classes:
            self._in_matrix = True
        elif self._in_matrix and tag == "tr":
            self._row = {"name": "", "cells": [], "met": None}
        elif self._in_matrix and self._row is not None and tag == "th" and a.get("scope") == "row":
            self._th = ""
        elif self._in_matrix and self._row is not None and tag == "td":
            cell = [c[len("cell--") :] for c in classes if c.startswith("cell--")]
            if cell:
                self._row["cells"].append(cell[0])
            elif "num" in classes:
                self._num = ""
        elif tag == "input" and a.get("name") == "as_of":
            self.as_of = a.get("value", "")
        elif tag == "select" and a.get("name") == "set":
            self._select_set = True
        elif tag == "option" and self._select_set and "selected" in a:
            self._option = ""

    def handle_data(self, data):
        if self._dd is not None:
            self._dd += data
        if self._th is not None:
            self._th += data
        if self._num is not None:
            self._num += data
        if self._option is not None:
            self._option += data

    def handle_endtag(self, tag):
        if tag == "dd" and self._dd is not None:
            self.headline_dd.append(self._dd)
            self._dd = None
        elif tag == "dl":
            self._stack_dl = False
        elif tag == "th" and self._th is not None:
            self._row["name"] = self._th.strip()
            self._th = None
        elif tag == "td" and self._num is not None:
            self._row["met"] = self._num.strip()
            self._num = None
        elif tag == "tr" and self._row is not None:
            if self._row["name"]:
                self.matrix.append(self._row)
            self._row = None
        elif tag == "table" and self._in_matrix:
            self._in_matrix = False
        elif tag == "option" and self._option is not None:
            self.set_option = self._option
            self._option = None
        elif tag == "select":
            self._select_set = False


def _integers(text: str) -> list[int]:
    # Vietnamese groups thousands with "." (12.345); no figure here has decimals.
    return [int(n.replace(".", "").replace(",", "")) for n in re.findall(r"\d[\d.,]*", text)]


def parse_dashboard(html: str) -> dict:
    """{"as_of": date, "set_communes": int, "headline": {field: int}, "rows": [{"name",
    "cells", "met"}]} from a district or province dashboard page; "met" is an int, or None
    where the page shows "–"."""
    parser = _DashboardParser()
    parser.feed(html)
    parser.close()
    figures = [n for dd in parser.headline_dd for n in _integers(dd)]
    if len(figures) != len(HEADLINE_FIELDS):
        raise ValueError(f"headline: expected {len(HEADLINE_FIELDS)} figures, found {figures}")
    rows = []
    for row in parser.matrix:
        met = row["met"]
        rows.append(
            {
                "name": row["name"],
                "cells": row["cells"],
                "met": int(met.split("/")[0]) if "/" in met else None,
                "of": int(met.split("/")[1]) if "/" in met else None,
            }
        )
    counts = _integers(parser.set_option)
    return {
        "as_of": datetime.date.fromisoformat(parser.as_of) if parser.as_of else None,
        "set_communes": counts[-1] if counts else None,
        "headline": dict(zip(HEADLINE_FIELDS, figures, strict=True)),
        "rows": rows,
    }


# ---------------------------------------------------------------------------------------------
# The recount: dashboard figures from plain rows, independent of reports.dashboard
# ---------------------------------------------------------------------------------------------


def _active(decided_on, revoked_on, as_of) -> bool:
    return decided_on <= as_of and (revoked_on is None or revoked_on > as_of)


def recount(*, communes, criteria, assessments, results, recognitions, village_recognitions, as_of):
    """What a dashboard of ``communes`` against one set must show on ``as_of``.

    communes: (pk, code, name, kind) of the area; criteria: (pk, number) of the set;
    assessments: (pk, commune pk, assessed_on, status) against the set, any status;
    results: (assessment pk, criterion pk, status); recognitions: (commune pk, title,
    decided_on, revoked_on); village_recognitions: (village pk, title, decided_on, revoked_on)
    of the area's villages. Returns {"headline": {...}, "set_communes": int, "rows": [{"code",
    "name", "cells", "met"}]} with rows in code order and "met" None for an unassessed commune.
    """
    criteria = sorted(criteria, key=lambda c: c[1])
    latest = {}
    for pk, commune_id, assessed_on, status in assessments:
        if status in PUBLIC_STATUSES and assessed_on <= as_of:
            key = (assessed_on, pk)
            if commune_id not in latest or key > latest[commune_id][0]:
                latest[commune_id] = (key, pk)
    by_assessment = defaultdict(dict)
    for assessment_id, criterion_id, status in results:
        by_assessment[assessment_id][criterion_id] = status
    held = defaultdict(set)
    for commune_id, title, decided_on, revoked_on in recognitions:
        if _active(decided_on, revoked_on, as_of):
            held[commune_id].add(title)
    villages = defaultdict(set)
    for village_id, title, decided_on, revoked_on in village_recognitions:
        if _active(decided_on, revoked_on, as_of):
            villages[title].add(village_id)
    rows = []
    for pk, code, name, _kind in sorted(communes, key=lambda c: c[1]):
        if pk in latest:
            statuses = by_assessment[latest[pk][1]]
            cells = [statuses.get(c[0], NOT_ASSESSED) for c in criteria]
            met = sum(1 for s in cells if s == MET)
        else:
            cells, met = [NOT_ASSESSED] * len(criteria), None
        rows.append({"code": code, "name": name, "cells": cells, "met": met})
    area = {c[0] for c in communes}
    headline = {
        "ntm": sum(1 for pk in area if held[pk] & set(NTM_TITLES)),
        "rural_communes": sum(1 for c in communes if c[3] == "xa"),
        "ntmnc": sum(1 for pk in area if "ntmnc" in held[pk]),
        "model": sum(1 for pk in area if "model" in held[pk]),
        "unrecognised": sum(1 for pk in area if not held[pk]),
        "communes": len(communes),
        "villages_ntm": len(villages[VILLAGE_NTM]),
        "villages_model": len(villages[VILLAGE_MODEL]),
    }
    return {
        "headline": headline,
        "set_communes": len(latest),
        "rows": rows,
        "n_criteria": len(criteria),
    }


def compare_dashboard(label: str, expected: dict, shown: dict, *, assessed_only=False) -> list:
    """Differences between the recount and what a dashboard shows (page or service)."""
    problems = []
    for name in HEADLINE_FIELDS:
        if expected["headline"][name] != shown["headline"][name]:
            problems.append(
                f"{label}: headline {name} shows {shown['headline'][name]}, "
                f"recount {expected['headline'][name]}"
            )
    if shown.get("set_communes") is not None and shown["set_communes"] != expected["set_communes"]:
        problems.append(
            f"{label}: communes assessed on the set shows {shown['set_communes']}, "
            f"recount {expected['set_communes']}"
        )
    rows = (
        [r for r in expected["rows"] if r["met"] is not None] if assessed_only else expected["rows"]
    )
    if len(rows) != len(shown["rows"]):
        problems.append(f"{label}: {len(shown['rows'])} matrix rows, recount {len(rows)}")
    for want, got in zip(rows, shown["rows"], strict=False):
        where = f"{label}: {want['name']} ({want['code']})"
        if want["name"] != got["name"]:
            problems.append(f"{where}: row shows {got['name']!r}")
        elif want["met"] != got["met"]:
            problems.append(f"{where}: criteria met shows {got['met']}, recount {want['met']}")
        elif want["cells"] != got["cells"]:
            problems.append(f"{where}: cells {got['cells']} != recount {want['cells']}")
        elif got.get("of") is not None and got["of"] != expected["n_criteria"]:
            problems.append(f"{where}: shows /{got['of']}, the set has {expected['n_criteria']}")
    return problems


# ---------------------------------------------------------------------------------------------
# What the responses promised, and the check against the database
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Promise:
    """One assessment someone got a success response for, and what the responses imply."""

    pk: int
    commune_id: int
    official: str
    assessed_on: datetime.date
    saves: int = 0
    saved: dict | None = None  # fill_entry_form's expectation of the last successful save
    submitted: bool = False
    verified_by: str = ""

    @property
    def status(self) -> str:
        if self.verified_by:
            return "verified"
        return "submitted" if self.submitted else "draft"

    @property
    def version(self) -> int:
        return 1 + self.saves + int(self.submitted) + int(bool(self.verified_by))

    def events(self) -> list[tuple]:
        trail = [("created", "", "draft", self.official)]
        if self.submitted:
            trail.append(("submitted", "draft", "submitted", self.official))
        if self.verified_by:
            trail.append(("verified", "submitted", "verified", self.verified_by))
        return trail


def _values_equal(want: tuple, got: tuple) -> bool:
    (wn, wf, wt), (gn, gf, gt) = want, got
    numbers = (wn is None and gn is None) or (
        wn is not None and gn is not None and Decimal(wn) == Decimal(gn)
    )
    return numbers and wf == gf and wt == gt


def compare_saved(label: str, want: dict, got: dict) -> list:
    """Differences between what was saved (fill_entry_form) and what is held (a snapshot or
    a re-opened form). An indicator with no row counts as empty."""
    problems = []
    if want["notes"] != got["notes"]:
        problems.append(f"{label}: notes {got['notes']!r}, saved {want['notes']!r}")
    if want["results"] != got["results"]:
        diff = sorted(
            k
            for k in set(want["results"]) | set(got["results"])
            if want["results"].get(k) != got["results"].get(k)
        )
        problems.append(f"{label}: criterion results differ for criteria ids {diff}")
    empty = (None, None, "")
    diff = sorted(
        k
        for k in set(want["values"]) | set(got["values"])
        if not _values_equal(want["values"].get(k, empty), got["values"].get(k, empty))
    )
    if diff:
        problems.append(f"{label}: indicator values differ for indicator ids {diff}")
    return problems


def reconcile(unsettled: list, promises: dict, snapshot: dict) -> dict:
    """Settle each POST that got no answer (a server died with it in flight) against the
    database, as the person would by reloading the page: a write that landed becomes a
    promise like any other (checked in full by check_promises), one that did not is left out.
    Changes ``promises`` (pk -> Promise). Returns {"landed": n, "not landed": n}."""
    outcome = Counter({"landed": 0, "not landed": 0})
    for kind, what in unsettled:
        landed = False
        if kind == "start":
            official, commune_id, day = what
            found = sorted(
                pk
                for pk, row in snapshot.items()
                if pk not in promises
                and (row["commune_id"], row["assessed_on"]) == (commune_id, day)
                and row["events"][:1] == [("created", "", "draft", official)]
            )
            if found:
                promises[found[0]] = Promise(found[0], commune_id, official, day)
                landed = True
        else:
            promise, row = promises.get(what[0]), snapshot.get(what[0])
            if promise is None or row is None:
                pass
            elif kind == "save draft":
                expected = what[1]
                if row["version"] == promise.version + 1 and not compare_saved("", expected, row):
                    promise.saves += 1
                    promise.saved = expected
                    landed = True
            elif kind == "submit":
                if not promise.submitted and row["status"] in ("submitted", "verified"):
                    promise.submitted = True
                    landed = True
            # A dossier verified later by a request that got its answer: this one did not land
            # (the dossier would not have been in the inbox again).
            elif kind == "verify" and not promise.verified_by and row["status"] == "verified":
                promise.verified_by = what[1]
                landed = True
        outcome["landed" if landed else "not landed"] += 1
    return dict(outcome)


def check_promises(promises: list[Promise], snapshot: dict, created: set) -> list:
    """``snapshot``: pk -> {"commune_id", "assessed_on", "status", "version", "notes",
    "results", "values", "events"} of every assessment created in the load's communes since
    it started (``created``: their pks)."""
    problems = []
    promised = {p.pk for p in promises}
    for pk in sorted(created - promised):
        problems.append(f"assessment {pk}: in the database, but no request was told it exists")
    for p in promises:
        label = f"assessment {p.pk} ({p.official})"
        row = snapshot.get(p.pk)
        if row is None:
            problems.append(f"{label}: MISSING from the database")
            continue
        if (row["commune_id"], row["assessed_on"]) != (p.commune_id, p.assessed_on):
            problems.append(f"{label}: commune/date {row['commune_id']}/{row['assessed_on']}")
        if row["status"] != p.status:
            problems.append(f"{label}: status {row['status']}, expected {p.status}")
        if row["version"] != p.version:
            problems.append(f"{label}: version {row['version']}, expected {p.version}")
        if row["events"] != p.events():
            problems.append(f"{label}: audit trail {row['events']}, expected {p.events()}")
        if p.saved is not None:
            problems.extend(compare_saved(label, p.saved, row))
    return problems


# ---------------------------------------------------------------------------------------------
# Database set-up and reads (Django)
# ---------------------------------------------------------------------------------------------


def database_url(environ=os.environ) -> str:
    """The load test's own database, on the PostgreSQL server of DATABASE_URL if it names
    one: whatever database DATABASE_URL names, only ntm_loadtest is dropped and created."""
    url = environ.get("DATABASE_URL", "")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        parts = urllib.parse.urlsplit(DEFAULT_SERVER)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{DATABASE_NAME}", query=""))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    assert parts.path == f"/{DATABASE_NAME}", parts.path  # never anything else
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE_NAME}")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ntm_portal.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "loadtest-only-insecure-key")
    import django

    django.setup()


def load_data(out) -> None:
    from django.core.management import call_command

    for command in ("migrate", "load_admin_units", "load_criteria", "load_demo"):
        started = time.perf_counter()
        call_command(command, verbosity=0)
        out(f"  {command}: {time.perf_counter() - started:.1f} s")


@dataclasses.dataclass
class Actor:
    username: str
    role: str
    unit_code: str
    unit_pk: int
    cookies: dict


def create_actors(*, users: int, districts: int) -> dict:
    """Officials of ``users`` communes (xã) spread over the first ``districts`` districts of
    Hà Tĩnh that have enough of them, an office per district and the provincial office,
    each with a server-side session (no password hashing, no login throttling)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from communes.enums import CommuneKind, Role
    from communes.models import LEGACY_VALID_TO, Commune, District, Membership, Province

    # The benchmark's offices and districts are those of the pre-2025 map.
    province = Province.objects.valid_on(LEGACY_VALID_TO).get(code=PROVINCE_CODE)
    per_district = -(-users // districts)
    chosen = []
    for district in District.objects.filter(province=province).order_by("code"):
        communes = list(
            Commune.objects.filter(district=district, kind=CommuneKind.COMMUNE).order_by("code")
        )
        if len(communes) >= per_district:
            chosen.append((district, communes[:per_district]))
        if len(chosen) == districts:
            break
    if len(chosen) < districts:
        raise SystemExit(f"Hà Tĩnh has no {districts} districts of {per_district} communes")
    user_model = get_user_model()

    def actor(username, role, unit, **membership):
        # Kept from an earlier run on the same database (--target: the cluster's).
        user, _new = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@loadtest.invalid"}
        )
        Membership.objects.get_or_create(user=user, role=role, **membership)
        client = Client()
        client.force_login(user)
        cookies = {"sessionid": client.cookies["sessionid"].value}
        return Actor(username, role, unit.code, unit.pk, cookies)

    officials = []
    for i in range(users):
        district, communes = chosen[i % districts]
        commune = communes[i // districts]
        officials.append(
            actor(f"lt-xa-{commune.code}", Role.COMMUNE_OFFICIAL, commune, commune=commune)
        )
    offices = [actor(f"lt-huyen-{d.code}", Role.DISTRICT_OFFICE, d, district=d) for d, _c in chosen]
    busiest = busiest_district(exclude=[d.pk for d, _c in chosen])
    return {
        "officials": officials,
        "offices": offices,
        "readers": [
            actor(f"lt-huyen-{busiest.code}", Role.DISTRICT_OFFICE, busiest, district=busiest)
        ],
        "province": actor(
            f"lt-tinh-{province.code}", Role.PROVINCE_OFFICE, province, province=province
        ),
    }


def busiest_district(exclude=()):
    """The district whose communes hold the most recognitions (Hậu Lộc, Thanh Hóa, in the
    demo data): a dashboard whose headline figures are not zeros. Its office only reads."""
    from django.db.models import Count

    from communes.models import District

    return (
        District.objects.annotate(n=Count("communes__recognitions"))
        .exclude(pk__in=exclude)
        .order_by("-n", "code")
        .first()
    )


def forget_previous_loads(commune_pks) -> int:
    """On a database kept between runs (--target): delete the assessments earlier load tests
    made in these communes (their authors are the lt- users), so that a date drawn again does
    not collide with one. Their dashboards are recorded as changed. Returns how many."""
    from criteria.models import Assessment
    from reports.cache import record_change

    earlier = Assessment.objects.filter(
        commune_id__in=commune_pks, author__username__startswith="lt-"
    )
    provinces = set(earlier.values_list("commune__province_id", flat=True))
    count = earlier.count()
    earlier.delete()
    for province_id in sorted(p for p in provinces if p):
        record_change(province_id=province_id)
    return count


def load_communes_pks(officials) -> list[int]:
    return [a.unit_pk for a in officials]


def snapshot(commune_pks, since_pk: int) -> dict:
    """Every assessment of the load's communes with pk > ``since_pk``, as check_promises
    reads it: plain rows (values_list), nothing from the services."""
    from criteria.models import Assessment, AssessmentEvent, CriterionResult, IndicatorValue

    rows = {}
    for pk, commune_id, assessed_on, status, version, notes in Assessment.objects.filter(
        commune_id__in=commune_pks, pk__gt=since_pk
    ).values_list("pk", "commune_id", "assessed_on", "status", "version", "notes"):
        rows[pk] = {
            "commune_id": commune_id,
            "assessed_on": assessed_on,
            "status": status,
            "version": version,
            "notes": notes,
            "results": {},
            "values": {},
            "events": [],
        }
    for assessment_id, criterion_id, status, note in CriterionResult.objects.filter(
        assessment_id__in=rows
    ).values_list("assessment_id", "criterion_id", "status", "note"):
        rows[assessment_id]["results"][criterion_id] = (status, note)
    for assessment_id, indicator_id, number, flag, note in IndicatorValue.objects.filter(
        assessment_id__in=rows
    ).values_list("assessment_id", "indicator_id", "value_number", "value_bool", "note"):
        rows[assessment_id]["values"][indicator_id] = (number, flag, note)
    for assessment_id, action, from_status, to_status, actor in (
        AssessmentEvent.objects.filter(assessment_id__in=rows)
        .order_by("created_at", "pk")
        .values_list("assessment_id", "action", "from_status", "to_status", "actor__username")
    ):
        rows[assessment_id]["events"].append((action, from_status, to_status, actor))
    return rows


def raw_area_rows(*, district_code=None, province_code=None, set_code=SET_CODE) -> dict:
    """The plain rows ``recount`` needs for one district or province (values_list only)."""
    from communes.models import LEGACY_VALID_TO, Commune
    from criteria.models import Assessment, Criterion, CriterionResult, Recognition

    area = {"district__code": district_code} if district_code else {"province__code": province_code}
    # The benchmark's areas are units of the pre-2025 map.
    communes = list(
        Commune.objects.valid_on(LEGACY_VALID_TO)
        .filter(**area)
        .values_list("pk", "code", "name", "kind")
    )
    pks = [c[0] for c in communes]
    assessments = list(
        Assessment.objects.filter(commune_id__in=pks, criteria_set__code=set_code).values_list(
            "pk", "commune_id", "assessed_on", "status"
        )
    )
    return {
        "communes": communes,
        "criteria": list(
            Criterion.objects.filter(criteria_set__code=set_code).values_list("pk", "number")
        ),
        "assessments": assessments,
        "results": list(
            CriterionResult.objects.filter(
                assessment_id__in=[a[0] for a in assessments]
            ).values_list("assessment_id", "criterion_id", "status")
        ),
        "recognitions": list(
            Recognition.objects.filter(commune_id__in=pks).values_list(
                "commune_id", "title", "decided_on", "revoked_on"
            )
        ),
        "village_recognitions": list(
            Recognition.objects.filter(village__commune_id__in=pks).values_list(
                "village_id", "title", "decided_on", "revoked_on"
            )
        ),
    }


def service_figures(board) -> dict:
    """A reports.dashboard.Dashboard in parse_dashboard's terms (every row)."""
    return {
        "headline": {name: getattr(board.headline, name) for name in HEADLINE_FIELDS},
        "set_communes": board.criteria_set.commune_count if board.criteria_set else 0,
        "rows": [
            {
                "name": r.commune.name,
                "cells": [str(c) for c in r.cells],
                "met": r.met_count if r.assessment else None,
                "of": len(board.criteria),
            }
            for r in board.rows
        ],
    }


def duplicate_rows() -> list:
    """(table, count) of duplicated result or value rows, which constraints should forbid."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for table, column in (
            ("criteria_criterionresult", "criterion_id"),
            ("criteria_indicatorvalue", "indicator_id"),
        ):
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} GROUP BY assessment_id, {column} "  # noqa: S608 - fixed names
                "HAVING COUNT(*) > 1) d"
            )
            n = cursor.fetchone()[0]
            if n:
                found.append(f"{table}: {n} duplicated (assessment, {column}) pairs")
    return found


# ---------------------------------------------------------------------------------------------
# HTTP client (asyncio streams, one connection per request, 127.0.0.1 only)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Response:
    status: int
    headers: list
    body: bytes

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def parse_response(raw: bytes) -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if line]
    if any(k.lower() == "transfer-encoding" and "chunked" in v for k, v in headers):
        decoded, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2 :]
        body = decoded
    if any(k.lower() == "content-encoding" and v.strip() == "gzip" for k, v in headers):
        body = gzip.decompress(body)
    return Response(status, headers, body)


@dataclasses.dataclass
class Record:
    kind: str
    status: int  # 0: no response (connection error or timeout)
    seconds: float
    user: str
    path: str
    detail: str = ""
    started: float = 0.0  # time.perf_counter() when the request was sent


# A POST that got no answer, or the balancer's 502/503/504, may or may not have been applied:
# the server may have died after its commit and before its answer. These statuses mark it.
NO_ANSWER = (0, 502, 503, 504)


class Browser:
    """One user's cookies and requests; every request is recorded in ``log``."""

    def __init__(self, port: int, actor: Actor, log: list):
        self.port, self.actor, self.log = port, actor, log
        self.host = "127.0.0.1"
        self.cookies = dict(actor.cookies)

    async def request(self, kind, method, path, data=None) -> Response | None:
        origin = f"http://127.0.0.1:{self.port}"
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"Cookie: {cookie}",
            "Accept-Language: vi",
            # As a browser asks: pages come gzip-compressed (parse_response decompresses).
            "Accept-Encoding: gzip, deflate, br, zstd",
            "Connection: close",
        ]
        body = b""
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
                f"Origin: {origin}",
                f"Referer: {origin}{path}",
            ]
        raw_request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        started = time.perf_counter()
        try:
            raw = await asyncio.wait_for(self._exchange(raw_request), REQUEST_TIMEOUT_S)
            response = parse_response(raw)
        except (OSError, TimeoutError, ValueError, IndexError) as error:
            self.log.append(
                Record(
                    kind,
                    0,
                    time.perf_counter() - started,
                    self.actor.username,
                    path,
                    repr(error),
                    started,
                )
            )
            return None
        self.log.append(
            Record(
                kind,
                response.status,
                time.perf_counter() - started,
                self.actor.username,
                path,
                "",
                started,
            )
        )
        for key, value in response.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if not cookie_value or "max-age=0" in value.lower():
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        return response

    async def _exchange(self, raw_request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(raw_request)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()


def _expect(browser: Browser, response: Response | None, kind: str) -> bool:
    ok = response is not None and response.status == EXPECTED_STATUS[kind]
    if response is not None and not ok:
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
        browser.log[-1].detail = snippet[:300]
    return ok


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Shared:
    set_pk: int
    # New cycles start only before the deadline; the cycles under way then finish (at most
    # eight more requests each), so every started assessment gets its chance to be submitted
    # and verified and the run stays bounded.
    deadline: float
    officials_running: int = 0
    promises: dict = dataclasses.field(default_factory=dict)  # pk -> Promise
    stale_reads: list = dataclasses.field(default_factory=list)
    # POSTs answered NO_ANSWER (a server died with them in flight): (kind, what) to settle
    # against the database after the load (reconcile), as a person would reload the page.
    unsettled: list = dataclasses.field(default_factory=list)


def _unanswered(response) -> bool:
    return response is None or response.status in NO_ANSWER


async def official_cycle(browser: Browser, shared: Shared, rng: random.Random, tag: str) -> None:
    """Start an assessment, save it twice through the entry form, submit it. An unexpected
    answer ends the cycle (it is recorded and reported)."""
    actor = browser.actor
    base = "/criteria/assessments"
    page = await browser.request("start page", "GET", f"{base}/new/{actor.unit_code}/")
    if not _expect(browser, page, "start page"):
        return
    form = find_form(page.text, select="criteria_set")
    # A date of the old map (the officials' communes end on 30/06/2025: a later assessment of
    # them is refused since the two eras of units).
    day = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(181))
    data = [
        ("csrfmiddlewaretoken", form.value("csrfmiddlewaretoken")),
        ("criteria_set", str(shared.set_pk)),
        ("assessed_on", day.isoformat()),
    ]
    if rng.random() < 0.5:
        data.append(("copy_previous", "on"))
    started = await browser.request("start", "POST", f"{base}/new/{actor.unit_code}/", data)
    if not _expect(browser, started, "start"):
        if _unanswered(started):
            shared.unsettled.append(("start", (actor.username, actor.unit_pk, day)))
        return
    match = re.search(r"/assessments/(\d+)/edit/", started.header("Location"))
    promise = Promise(int(match.group(1)), actor.unit_pk, actor.username, day)
    shared.promises[promise.pk] = promise
    edit = f"{base}/{promise.pk}/edit/"
    for _save in range(2):
        page = await browser.request("entry form", "GET", edit)
        if not _expect(browser, page, "entry form"):
            return
        form = find_form(page.text, form_id="entry-form")
        if promise.saved is not None:
            # Read your writes: the re-opened form shows exactly the last save.
            shared.stale_reads += compare_saved(
                f"re-opened entry form of {promise.pk}", promise.saved, entry_form_state(form)
            )
        data, expected = fill_entry_form(form, rng, tag)
        saved = await browser.request("save draft", "POST", edit, data)
        if not _expect(browser, saved, "save draft"):
            if _unanswered(saved):
                shared.unsettled.append(("save draft", (promise.pk, expected)))
            return
        promise.saves += 1
        promise.saved = expected
    # Each step is confirmed on its own page, whose form carries the dossier's version.
    page = await browser.request("confirm page", "GET", f"{base}/{promise.pk}/submit/")
    if not _expect(browser, page, "confirm page"):
        return
    form = find_form(page.text, form_id="confirm-form")
    done = await browser.request("submit", "POST", f"{base}/{promise.pk}/submit/", form.fields)
    if _expect(browser, done, "submit"):
        promise.submitted = True
    elif _unanswered(done):
        shared.unsettled.append(("submit", (promise.pk,)))


async def official_loop(browser: Browser, shared: Shared, seed: int) -> None:
    rng = random.Random(seed)
    cycle = 0
    try:
        while time.perf_counter() < shared.deadline:
            cycle += 1
            await official_cycle(browser, shared, rng, f"{browser.actor.username} #{cycle}")
    finally:
        shared.officials_running -= 1


async def verify_inbox(browser: Browser, shared: Shared) -> None:
    inbox = await browser.request("inbox", "GET", "/criteria/inbox/")
    if not _expect(browser, inbox, "inbox"):
        return
    waiting = {int(pk) for pk in re.findall(r"/criteria/assessments/(\d+)/", inbox.text)}
    for pk in sorted(waiting):
        promise = shared.promises.get(pk)
        if promise is None or not promise.submitted or promise.verified_by:
            continue  # not the load's, or its submit response has not arrived yet
        url = f"/criteria/assessments/{pk}/verify/"
        page = await browser.request("confirm page", "GET", url)
        if not _expect(browser, page, "confirm page"):
            continue
        form = find_form(page.text, form_id="confirm-form")
        done = await browser.request("verify", "POST", url, form.fields)
        if _expect(browser, done, "verify"):
            promise.verified_by = browser.actor.username
        elif _unanswered(done):
            shared.unsettled.append(("verify", (pk, browser.actor.username)))


async def office_loop(browser: Browser, shared: Shared, dashboard: str, verify: bool) -> None:
    """Read the dashboard while officials work; a district office also verifies what they
    submitted, and once they are done, what is left in its inbox."""
    kind = "province dashboard" if dashboard.startswith("/p/") else "district dashboard"
    while shared.officials_running > 0:
        page = await browser.request(kind, "GET", dashboard)
        _expect(browser, page, kind)
        if verify and shared.officials_running > 0:
            await verify_inbox(browser, shared)
    if verify:
        await verify_inbox(browser, shared)


def dashboard_readers(actors: dict) -> list[Actor]:
    return [*actors["offices"], *actors["readers"], actors["province"]]


def dashboard_path(actor: Actor) -> str:
    level = "p" if actor.role == "province_office" else "d"
    # The demo's offices hold units of the map until 30/06/2025: their dashboards of that day.
    return f"/{level}/{actor.unit_code}/dashboard/?set={SET_CODE}&as_of={LEGACY_DAY}"


async def run_load(port, actors, *, seconds, set_pk, seed, extra=()) -> tuple[Shared, list, float]:
    log: list[Record] = []
    shared = Shared(set_pk=set_pk, deadline=time.perf_counter() + seconds)
    shared.officials_running = len(actors["officials"])
    tasks = [
        official_loop(Browser(port, a, log), shared, seed + i)
        for i, a in enumerate(actors["officials"])
    ]
    tasks += [
        office_loop(Browser(port, a, log), shared, dashboard_path(a), verify=True)
        for a in actors["offices"]
    ]
    tasks += [
        office_loop(Browser(port, a, log), shared, dashboard_path(a), verify=False)
        for a in [*actors["readers"], actors["province"]]
    ]
    started = time.perf_counter()
    await asyncio.gather(*tasks, *extra)
    return shared, log, time.perf_counter() - started


async def warm_up(port, actors) -> None:
    """Every page kind once per actor, untimed: each worker imports its views and compiles
    its templates before the clock starts."""
    log: list[Record] = []
    tasks = [
        Browser(port, a, log).request("warm", "GET", f"/criteria/assessments/new/{a.unit_code}/")
        for a in actors["officials"]
    ]
    tasks += [
        Browser(port, a, log).request("warm", "GET", dashboard_path(a))
        for a in dashboard_readers(actors)
    ]
    await asyncio.gather(*tasks)


async def final_pages(port, actors) -> dict:
    """Every dashboard once more, after the load: path -> (status, html)."""
    log: list[Record] = []
    pages = {}
    for actor in dashboard_readers(actors):
        path = dashboard_path(actor)
        response = await Browser(port, actor, log).request("final", "GET", path)
        pages[actor.unit_code] = (
            response.status if response else 0,
            response.text if response else "",
        )
    return pages


# ---------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------


def start_gunicorn(port: int, workers: int, url: str, log_path: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    try:
        return loopback.start_gunicorn(port=port, workers=workers, env=env, log=log_path.open("w"))
    except SystemExit as stop:
        raise SystemExit(f"{stop}; see {log_path}") from None


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summarise(log: list, elapsed: float) -> dict:
    kinds = {}
    for kind in EXPECTED_STATUS:
        records = [r for r in log if r.kind == kind]
        if not records:
            continue
        times = [r.seconds for r in records]
        kinds[kind] = {
            "requests": len(records),
            "errors": sum(1 for r in records if r.status != EXPECTED_STATUS[kind]),
            "median_ms": _ms(statistics.median(times)),
            "p95_ms": _ms(_p95(times)),
        }
    times = [r.seconds for r in log]
    return {
        "requests": len(log),
        "errors": sum(1 for r in log if r.status != EXPECTED_STATUS.get(r.kind, 200)),
        "server_errors": sum(1 for r in log if r.status >= 500),
        "no_response": sum(1 for r in log if r.status == 0),
        "statuses": dict(Counter(str(r.status) for r in log)),
        "seconds": round(elapsed, 1),
        "requests_per_s": round(len(log) / elapsed, 1) if elapsed else 0,
        "median_ms": _ms(statistics.median(times)) if times else None,
        "p95_ms": _ms(_p95(times)) if times else None,
        "kinds": kinds,
    }


def table(report: dict) -> str:
    s, m, c = report["summary"], report["machine"], report["config"]
    lines = [
        f"ntm-portal load test — {m['date']} — {m['database']} — {m['cores']} cores ({m['cpu']})",
        f"{c['users']} officials + {c['offices']} district offices + {c['readers']} reading "
        "district office + 1 province office, "
        f"gunicorn {c['workers']} workers, {s['seconds']} s: {s['requests']} requests, "
        f"{s['requests_per_s']} req/s, {s['errors']} errors ({s['server_errors']} 5xx, "
        f"{s['no_response']} without response), median {s['median_ms']} ms, p95 {s['p95_ms']} ms",
        "",
        f"{'request':<20} {'count':>6} {'errors':>6} {'median':>9} {'p95':>9}",
    ]
    for kind, k in s["kinds"].items():
        lines.append(
            f"{kind:<20} {k['requests']:>6} {k['errors']:>6} {k['median_ms']:>7.1f}ms "
            f"{k['p95_ms']:>7.1f}ms"
        )
    o = report["outcome"]
    lines += [
        "",
        f"assessments started {o['started']}, saved {o['saved_twice']} twice, submitted "
        f"{o['submitted']}, verified {o['verified']}; dashboards checked {o['dashboards']}",
        "violations: " + (str(len(report["violations"])) if report["violations"] else "none"),
    ]
    failover = report.get("failover")
    if failover and failover["killed"]:
        in_flight = failover["in_flight_at_the_kill"]
        settled = failover["unanswered_writes"]
        retried = failover["balancer_retries"]
        lines += [
            f"failover: {failover['killed']} killed (SIGKILL, master and workers) "
            f"{failover['kill_requested_at_s']} s into the load",
            f"  requests in flight on it, answered 502 or nothing: {sum(in_flight.values())} "
            f"({', '.join(f'{k}: {n}' for k, n in sorted(in_flight.items())) or 'none'})",
            f"  writes among them, settled against the database: {settled.get('landed', 0)} "
            f"landed, {settled.get('not landed', 0)} not landed (none lost: every answered "
            "write is checked above)",
            f"  retried by the balancer: {retried['retried']} "
            f"({retried['redispatched']} sent to the other server), final statuses "
            f"{retried['statuses'] or '-'}",
        ]
    lines += [f"  {v}" for v in report["violations"][:50]]
    return "\n".join(lines)


def check_dashboards(pages: dict, actors: dict) -> tuple[list, int]:
    """Each final dashboard page, and the service behind it, against the recount."""
    from communes.models import LEGACY_VALID_TO, District, Province
    from reports import dashboard

    problems, checked = [], 0
    for actor in dashboard_readers(actors):
        status, html = pages[actor.unit_code]
        label = f"{'province' if actor.role == 'province_office' else 'district'} {actor.unit_code}"
        if status != 200:
            problems.append(f"{label}: final dashboard answered {status}")
            continue
        try:
            shown = parse_dashboard(html)
        except ValueError as error:
            dump = RESULTS_DIR / f"loadtest-unparsed-{actor.unit_code}.html"
            dump.write_text(html)
            problems.append(f"{label}: final page not understood ({error}); saved as {dump.name}")
            continue
        is_province = actor.role == "province_office"
        raw = raw_area_rows(
            province_code=actor.unit_code if is_province else None,
            district_code=None if is_province else actor.unit_code,
        )
        expected = recount(**raw, as_of=shown["as_of"])
        problems += compare_dashboard(f"{label} page", expected, shown, assessed_only=is_province)
        if is_province:
            board = dashboard.province_dashboard(
                Province.objects.valid_on(LEGACY_VALID_TO).get(code=actor.unit_code),
                set_code=SET_CODE,
                as_of=shown["as_of"],
            )
        else:
            board = dashboard.district_dashboard(
                District.objects.valid_on(LEGACY_VALID_TO).get(code=actor.unit_code),
                set_code=SET_CODE,
                as_of=shown["as_of"],
            )
        problems += compare_dashboard(f"{label} service", expected, service_figures(board))
        checked += 1
    return problems, checked


# ---------------------------------------------------------------------------------------------
# A running cluster (make cluster): one server killed during the load
# ---------------------------------------------------------------------------------------------


def loopback_port(target: str) -> int:
    """The port of a target on this machine; any other address is refused."""
    parts = urllib.parse.urlsplit(target)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
        raise SystemExit(f"--target must be http://127.0.0.1:PORT on this machine, not {target}")
    return parts.port


async def kill_server(at: float, name: str, pid: int, events: dict) -> None:
    """SIGKILL, ``at`` seconds into the load, the process group of the cluster's server
    ``name`` (its gunicorn master and workers, as when its machine is lost)."""
    await asyncio.sleep(at)
    os.killpg(pid, signal.SIGKILL)
    events.update(killed=name, pid=pid, at=time.perf_counter())


HAPROXY_LINE = re.compile(
    r" (?P<server>\S+) \S+ (?P<status>-?\d+) .* \d+/\d+/\d+/\d+/(?P<retries>\+?\d+) "
    r"\d+/\d+ \"(?P<method>\w+) (?P<path>\S+)"
)


def balancer_retries(text: str) -> dict:
    """Requests HAProxy retried (its log's retries field; "+": sent to the other server),
    by final status: {"retried": n, "redispatched": n, "statuses": {...}}."""
    statuses = Counter()
    retried = redispatched = 0
    for line in text.splitlines():
        match = HAPROXY_LINE.search(line)
        if not match or match["retries"] in ("0", "+0"):
            continue
        retried += 1
        redispatched += match["retries"].startswith("+")
        statuses[f"{match['method']} {match['status']}"] += 1
    return {"retried": retried, "redispatched": redispatched, "statuses": dict(statuses)}


def in_flight_at(record: Record, moment: float | None) -> bool:
    return moment is not None and record.started <= moment <= record.started + record.seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loadtest", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=20, help="Commune officials (default 20).")
    parser.add_argument("--districts", type=int, default=4, help="Their districts (default 4).")
    parser.add_argument("--workers", type=int, default=4, help="Gunicorn workers (default 4).")
    parser.add_argument("--seconds", type=float, default=30, help="Duration (default 30).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--target",
        default="",
        help="Load a running portal instead of starting one: http://127.0.0.1:PORT, e.g. the "
        "balancer of make cluster. Its database (not re-created) is the cluster's, or "
        "--database-url.",
    )
    parser.add_argument("--database-url", default="", help="The target's database.")
    parser.add_argument(
        "--kill-one-at",
        type=float,
        default=None,
        help="With a make-cluster target: SIGKILL web server web1 (master and workers) this "
        "many seconds into the load.",
    )
    args = parser.parse_args(argv)

    from bench import cluster

    cluster_state = cluster.load_state() if args.target else {}
    if args.target:
        port = loopback_port(args.target)
        url = args.database_url or cluster_state.get("database_url", "")
        if not url:
            raise SystemExit("--target needs the cluster's state (make cluster) or --database-url")
        print(f"target: {args.target}; database {urllib.parse.urlsplit(url).path[1:]} (kept)")
        # Sessions are signed with the servers' key: the cluster's (or the caller's SECRET_KEY).
        if cluster_state.get("secret_key"):
            os.environ["SECRET_KEY"] = cluster_state["secret_key"]
        setup_django(url)
    else:
        if args.kill_one_at is not None:
            raise SystemExit("--kill-one-at needs --target (a make-cluster balancer)")
        url = database_url()
        print(f"database: {urllib.parse.urlsplit(url)._replace(netloc='…').geturl()} (re-created)")
        recreate_database(url)
        setup_django(url)
        load_data(print)

    from criteria.models import Assessment, CriteriaSet

    actors = create_actors(users=args.users, districts=args.districts)
    if args.target:
        removed = forget_previous_loads(load_communes_pks(actors["officials"]))
        print(f"assessments of earlier load tests removed from its communes: {removed}")
    since_pk = Assessment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    set_pk = CriteriaSet.objects.get(code=SET_CODE).pk
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    server = None
    events: dict = {}
    extra = []
    if args.target:
        # The cluster's logs, from where they are now.
        logs = {n: cluster.RUN_DIR / f"{n}.log" for n in ("web1", "web2", "worker", "haproxy")}
        offsets = {n: path.stat().st_size if path.exists() else 0 for n, path in logs.items()}
        if args.kill_one_at is not None:
            process = cluster_state.get("processes", {}).get("web1")
            if not process or not cluster.alive(process["pid"]):
                raise SystemExit("--kill-one-at: web1 of make cluster is not running")
            extra.append(kill_server(args.kill_one_at, "web1", process["pid"], events))
        print(f"load through {args.target} ...")
    else:
        server_log = RESULTS_DIR / f"{stamp}-loadtest-gunicorn.log"
        port = loopback.free_port()
        server = start_gunicorn(port, args.workers, url, server_log)
        print(f"gunicorn: {args.workers} workers on 127.0.0.1:{port}; warming up ...")
    try:
        asyncio.run(warm_up(port, actors))
        print(f"load for {args.seconds} s ...")
        shared, log, elapsed = asyncio.run(
            run_load(port, actors, seconds=args.seconds, set_pk=set_pk, seed=args.seed, extra=extra)
        )
        pages = asyncio.run(final_pages(port, actors))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)

    killed_at = events.get("at")
    violations = []
    casualties = Counter()
    for r in log:
        if r.status != EXPECTED_STATUS[r.kind]:
            if r.status in NO_ANSWER and in_flight_at(r, killed_at):
                casualties[f"{r.kind} {r.status}"] += 1  # in flight on the killed server
                continue
            what = "5xx" if r.status >= 500 else "no response" if r.status == 0 else "unexpected"
            violations.append(f"{what} {r.status} on {r.kind} {r.path} ({r.user}): {r.detail}")
    violations += shared.stale_reads
    communes = load_communes_pks(actors["officials"])
    rows = snapshot(communes, since_pk)
    settled = reconcile(shared.unsettled, shared.promises, rows)
    promises = list(shared.promises.values())
    violations += check_promises(promises, rows, set(rows))
    violations += duplicate_rows()
    dashboard_problems, checked = check_dashboards(pages, actors)
    violations += dashboard_problems
    if args.target:
        texts = {}
        for name, path in logs.items():
            with path.open("rb") as handle:
                handle.seek(offsets[name])
                texts[name] = handle.read().decode(errors="replace")
        for name in ("web1", "web2", "worker"):
            if "Traceback" in texts[name] or "Error" in texts[name]:
                violations.append(f"the {name} log has errors: .cluster/{name}.log")
        retries = balancer_retries(texts["haproxy"])
    else:
        server_text = server_log.read_text(errors="replace")
        if "Traceback" in server_text or "Error" in server_text:
            violations.append(f"the server log has errors: {server_log.relative_to(BASE_DIR)}")
        retries = None

    report = {
        "machine": machine(),
        "config": {
            "users": len(actors["officials"]),
            "offices": len(actors["offices"]),
            "readers": len(actors["readers"]),
            "dashboards": [dashboard_path(a) for a in dashboard_readers(actors)],
            "workers": cluster_state.get("workers", args.workers) * (2 if args.target else 1),
            "target": args.target or None,
            "seconds": args.seconds,
            "seed": args.seed,
            "set": SET_CODE,
            "conn_max_age": os.environ.get("CONN_MAX_AGE", "0"),
        },
        "summary": summarise(log, elapsed),
        "outcome": {
            "started": len(promises),
            "saved_twice": sum(1 for p in promises if p.saves == 2),
            "submitted": sum(1 for p in promises if p.submitted),
            "verified": sum(1 for p in promises if p.verified_by),
            "dashboards": checked,
        },
        "violations": violations,
    }
    if args.target:
        report["failover"] = {
            "killed": events.get("killed"),
            "kill_requested_at_s": args.kill_one_at,
            "in_flight_at_the_kill": dict(casualties),
            "unanswered_writes": settled,
            "balancer_retries": retries,
        }
    text = table(report)
    print()
    print(text)
    path = RESULTS_DIR / f"{stamp}-loadtest.json"
    report["table"] = text
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    where = "cluster logs: .cluster/" if args.target else f"server log: {server_log.name}"
    print(f"\nwritten: {path.relative_to(BASE_DIR)} ({where})")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
