"""The bulk files of the open data: the whole country's public assessments, their
per-criterion results and the recognitions, as CSV and as one JSON Lines file. Generated from
the database while they are sent (StreamingHttpResponse): no file is kept, and memory stays
flat whatever the size (rows are read in chunks of CHUNK with a server-side cursor where the
database has one, and written out a batch at a time).

Only what the public pages show: assessments in a public status and their results, and every
recognition (revoked ones included, with the revocation). Never drafts, notes or authors.
"""

import csv
import datetime
import io
import json
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_noop

from communes.enums import PUBLIC_ASSESSMENT_STATUSES, ResultStatus
from criteria.imports.values import neutralise
from criteria.models import Assessment, Criterion, CriterionResult, Recognition

CHUNK = 5000
BATCH = 2000  # rows per chunk of the response
BOM = "\ufeff"


@dataclass(frozen=True)
class Column:
    name: str
    # What the column holds, for the data dictionary page (English msgid, translated there).
    meaning: str
    text: bool = False  # free text: neutralised against spreadsheet formulas


def _unit_fields(prefix=""):
    p = prefix
    return {
        "unit_level": None,  # filled in from which code is set
        "unit_code": Coalesce(f"{p}commune__code", f"{p}village__code", f"{p}district__code"),
        "unit_name": Coalesce(f"{p}commune__name", f"{p}village__name", f"{p}district__name"),
        "province_code": Coalesce(
            f"{p}commune__province__code",
            f"{p}village__commune__province__code",
            f"{p}district__province__code",
        ),
    }


# -- The files' rows ------------------------------------------------------------------------------

ASSESSMENT_COLUMNS = (
    Column(
        "assessment_id",
        gettext_noop("The assessment's number in the portal (joins the results file)."),
    ),
    Column("unit_level", gettext_noop("commune, village or district.")),
    Column("unit_code", gettext_noop("GSO code of the assessed unit (text: keep leading zeros).")),
    Column("unit_name", gettext_noop("Name of the unit."), text=True),
    Column("province_code", gettext_noop("GSO code of the unit's province.")),
    Column("criteria_set", gettext_noop("Code of the criteria set the unit was assessed against.")),
    Column("assessed_on", gettext_noop("Date of the assessment (YYYY-MM-DD).")),
    Column(
        "status", gettext_noop("verified, appraised, recognised or approved (imported history).")
    ),
    Column("criteria_met", gettext_noop("Criteria met (đạt).")),
    Column("criteria_basically_met", gettext_noop("Criteria basically met (cơ bản đạt).")),
    Column("criteria_total", gettext_noop("Criteria of the set.")),
)

RESULT_COLUMNS = (
    Column("assessment_id", gettext_noop("The assessment (see the assessments file).")),
    Column("unit_code", gettext_noop("GSO code of the assessed unit.")),
    Column("criteria_set", gettext_noop("Code of the criteria set.")),
    Column("criterion", gettext_noop("Number of the criterion in the set.")),
    Column("status", gettext_noop("met, basically_met or not_met.")),
)

RECOGNITION_COLUMNS = (
    Column("recognition_id", gettext_noop("The recognition's number in the portal.")),
    Column("unit_level", gettext_noop("commune, village or district.")),
    Column("unit_code", gettext_noop("GSO code of the recognised unit.")),
    Column("unit_name", gettext_noop("Name of the unit."), text=True),
    Column("province_code", gettext_noop("GSO code of the unit's province.")),
    Column("title", gettext_noop("The title granted (ntm, ntmnc, model, ward, village_ntm...).")),
    Column("criteria_set", gettext_noop("Code of the criteria set, where recorded.")),
    Column("decision_number", gettext_noop("Number of the decision."), text=True),
    Column("decided_on", gettext_noop("Date of the decision (YYYY-MM-DD).")),
    Column("authority", gettext_noop("Issuing authority."), text=True),
    Column("revoked_on", gettext_noop("Date the recognition was revoked (empty: in force).")),
    Column("revocation_reason", gettext_noop("Why it was revoked."), text=True),
)


def _level(row: dict) -> str:
    return "commune" if row.pop("_c") else ("village" if row.pop("_v") else "district")


def public_assessments():
    """Dicts of ASSESSMENT_COLUMNS, by id. Three queries: the criteria per set, the results
    counted per assessment (one grouped pass, by id), and the assessments (by id), the two
    streams merged as they are read; a correlated count per row was three times slower."""
    totals = dict(
        Criterion.objects.order_by()
        .values("criteria_set")
        .annotate(n=Count("pk"))
        .values_list("criteria_set", "n")
    )
    counts = (
        CriterionResult.objects.filter(assessment__status__in=PUBLIC_ASSESSMENT_STATUSES)
        .order_by("assessment_id")
        .values("assessment_id")
        .annotate(
            met=Count("pk", filter=Q(status=ResultStatus.MET, criterion__is_placeholder=False)),
            basically_met=Count("pk", filter=Q(status=ResultStatus.BASICALLY_MET)),
        )
        .values_list("assessment_id", "met", "basically_met")
        .iterator(chunk_size=CHUNK)
    )
    fields = _unit_fields()
    fields.pop("unit_level")
    rows = (
        Assessment.objects.filter(status__in=PUBLIC_ASSESSMENT_STATUSES)
        .annotate(**fields)
        .order_by("pk")
        .values_list(
            "pk",
            "commune_id",
            "village_id",
            "unit_code",
            "unit_name",
            "province_code",
            "criteria_set__code",
            "criteria_set_id",
            "assessed_on",
            "status",
        )
    )
    counted = next(counts, None)
    for pk, commune, village, code, name, province, set_code, set_id, day, status in rows.iterator(
        chunk_size=CHUNK
    ):
        while counted is not None and counted[0] < pk:
            counted = next(counts, None)
        met, basically = (counted[1], counted[2]) if counted and counted[0] == pk else (0, 0)
        yield {
            "assessment_id": pk,
            "unit_level": "commune" if commune else ("village" if village else "district"),
            "unit_code": code,
            "unit_name": name,
            "province_code": province,
            "criteria_set": set_code,
            "assessed_on": day,
            "status": status,
            "criteria_met": met,
            "criteria_basically_met": basically,
            "criteria_total": totals.get(set_id, 0),
        }


def public_results():
    """Tuples of RESULT_COLUMNS, by assessment then criterion."""
    rows = (
        CriterionResult.objects.filter(assessment__status__in=PUBLIC_ASSESSMENT_STATUSES)
        .annotate(
            unit_code=Coalesce(
                "assessment__commune__code",
                "assessment__village__code",
                "assessment__district__code",
            )
        )
        .order_by("assessment_id", "criterion__number")
        .values_list(
            "assessment_id",
            "unit_code",
            "criterion__criteria_set__code",
            "criterion__number",
            "status",
        )
    )
    return rows.iterator(chunk_size=CHUNK)


def public_recognitions():
    """Dicts of RECOGNITION_COLUMNS, by id."""
    fields = _unit_fields()
    fields.pop("unit_level")
    rows = (
        Recognition.objects.annotate(
            _c=F("commune_id"), _v=F("village_id"), **fields, set_code=F("criteria_set__code")
        )
        .order_by("pk")
        .values(
            "pk",
            "_c",
            "_v",
            "unit_code",
            "unit_name",
            "province_code",
            "title",
            "set_code",
            "decision_number",
            "decided_on",
            "authority",
            "revoked_on",
            "revocation_reason",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        level = _level(row)
        yield {
            "recognition_id": row["pk"],
            "unit_level": level,
            "unit_code": row["unit_code"],
            "unit_name": row["unit_name"],
            "province_code": row["province_code"],
            "title": row["title"],
            "criteria_set": row["set_code"],
            "decision_number": row["decision_number"],
            "decided_on": row["decided_on"],
            "authority": row["authority"],
            "revoked_on": row["revoked_on"],
            "revocation_reason": row["revocation_reason"],
        }


# -- Writers --------------------------------------------------------------------------------------


def csv_stream(columns, rows):
    """The CSV text of ``rows`` (dicts or tuples in ``columns``' order): a BOM so that Excel
    reads UTF-8, a header of the columns' names, then a chunk per BATCH rows.

    csv.writer writes a date as its ISO form and None as an empty cell, so only the free-text
    columns are touched row by row (neutralised); rows are written BATCH at a time by
    ``writerows``, in C."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in columns])
    yield BOM + _drain(buffer)
    texts = [i for i, c in enumerate(columns) if c.text]
    batch = []
    for row in rows:
        if isinstance(row, dict):
            row = list(row.values())
        if texts:
            row = list(row)
            for i in texts:
                row[i] = neutralise(row[i])
        batch.append(row)
        if len(batch) >= BATCH:
            writer.writerows(batch)
            batch = []
            yield _drain(buffer)
    if batch:
        writer.writerows(batch)
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _json_default(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def jsonl_stream():
    """One JSON object per line: every public assessment (``"type": "assessment"``) with its
    results by criterion number, then every recognition (``"type": "recognition"``). The
    results are merged in from their own ordered stream (both by assessment id), so memory
    holds one assessment's results at a time."""
    dumps = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
    results = public_results()
    pending = next(results, None)
    batch = []
    for assessment in public_assessments():
        found = {}
        while pending is not None and pending[0] < assessment["assessment_id"]:
            pending = next(results, None)  # results of a non-public assessment: none exist
        while pending is not None and pending[0] == assessment["assessment_id"]:
            found[str(pending[3])] = pending[4]
            pending = next(results, None)
        batch.append(dumps({"type": "assessment", **assessment, "results": found}) + "\n")
        if len(batch) >= BATCH:
            yield "".join(batch)
            batch = []
    for recognition in public_recognitions():
        batch.append(dumps({"type": "recognition", **recognition}) + "\n")
        if len(batch) >= BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


FILES = {
    "assessments": (ASSESSMENT_COLUMNS, public_assessments),
    "results": (RESULT_COLUMNS, public_results),
    "recognitions": (RECOGNITION_COLUMNS, public_recognitions),
}
