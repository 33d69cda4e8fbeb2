"""Assessment imports: a dry run that produces a preview, and applying exactly that preview.

The uploaded file is kept in the default storage under a random token with its SHA-256; the
confirm step re-reads the same bytes, parses and decides them again (once), and writes only
if the outcome is identical to what the user saw (same fingerprint). Everything is written in
one transaction, or nothing is. Deciding and writing are in plan.py.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import secrets
from dataclasses import dataclass, field

import openpyxl
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from communes.enums import AssessmentStatus
from communes.models import District, Province, ProvinceSuccession
from communes.selectors import communes_for_user, provinces_for_user
from criteria.models import CriteriaSet

from . import reader
from .errors import CellError, ImportFileError
from .forms import criteria_sets_for_user
from .long import parse_long
from .matching import CommuneMatcher
from .matrix import ParsedSheet, parse_matrix
from .plan import ImportPlan
from .reader import read_book
from .values import MARK_FOR_STATUS, NOT_ASSESSED

ERROR_FILL = PatternFill(fill_type="solid", start_color="FFF4B6B6", end_color="FFF4B6B6")
STORAGE_DIR = "imports"


class ImportChanged(Exception):
    """The file or the data changed between the preview and the confirmation."""


@dataclass(frozen=True)
class ImportOptions:
    """What the user chose in the form; kept with the stored file for the confirm step."""

    criteria_set_id: int | None = None
    status: str = AssessmentStatus.DRAFT
    assessed_on: datetime.date | None = None
    province_id: int | None = None
    district_id: int | None = None
    sheet: str = ""
    fmt: str = "matrix"

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["assessed_on"] = self.assessed_on.isoformat() if self.assessed_on else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> ImportOptions:
        data = dict(data)
        if data.get("assessed_on"):
            data["assessed_on"] = datetime.date.fromisoformat(data["assessed_on"])
        return cls(**data)


@dataclass
class PreviewRow:
    sheet_row: int
    unit: str
    action: str  # "new", "update", "skip" (unchanged), "invalid" or "blank" (no mark)
    summary: str = ""
    changes: list[str] = field(default_factory=list)
    kind: str = ""  # what the row describes, when a file mixes kinds (a set's sheets)
    # The unit matched: its GSO code, district and province (empty when none was matched).
    code: str = ""
    district: str = ""
    province: str = ""
    assessed_on: datetime.date | None = None
    # What will be written: "1: Đ", "2: CĐ", … for the criteria the row gives a mark.
    values: list[str] = field(default_factory=list)
    # Why a refused row is refused.
    reason: str = ""


@dataclass
class Preview:
    file_name: str
    sheet: str
    rows: list[PreviewRow]
    errors: list[CellError]
    skipped: list[tuple[int, str]]
    fingerprint: str
    subject: str = ""  # what the file is about, when it is one thing (a set's code)
    criteria_set: str = ""  # the set's name, for an assessment import
    status: str = ""  # the status imported assessments get, as shown
    notices: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        rejected_rows = {e.row for e in self.errors if e.row}
        return {
            "new": self.count("new"),
            "update": self.count("update"),
            "skip": self.count("skip"),
            "rejected": len(rejected_rows),
        }

    @property
    def blank_count(self) -> int:
        """Rows of a unit with no mark at all (nothing to write)."""
        return self.count("blank")

    @property
    def ready_count(self) -> int:
        """Rows that would be written once the file has no error left."""
        return self.count("new") + self.count("update")

    @property
    def can_apply(self) -> bool:
        counts = self.counts
        return not self.errors and (counts["new"] + counts["update"]) > 0


def max_upload_bytes() -> int:
    return reader.max_bytes()


# -- Stored uploads -----------------------------------------------------------------------


def store_upload(*, data: bytes, file_name: str) -> dict:
    """Keep the uploaded bytes for the confirm step. Returns the session record (token, path,
    hash). Side effect: writes one file to the default storage."""
    token = secrets.token_urlsafe(18)
    suffix = ".csv" if file_name.lower().endswith(".csv") else ".xlsx"
    path = default_storage.save(f"{STORAGE_DIR}/{token}{suffix}", ContentFile(data))
    return {
        "token": token,
        "path": path,
        "sha256": hashlib.sha256(data).hexdigest(),
        "file_name": file_name,
    }


def load_upload(record: dict) -> bytes:
    """The stored bytes, refused if they no longer match the hash taken at upload."""
    try:
        with default_storage.open(record["path"], "rb") as handle:
            data = handle.read()
    except (OSError, KeyError):
        raise ImportChanged(
            _("The uploaded file is no longer available: upload it again.")
        ) from None
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ImportChanged(_("The stored file changed since the preview: upload it again."))
    return data


def discard_upload(record: dict) -> None:
    """Side effect: deletes the stored file."""
    if default_storage.exists(record["path"]):
        default_storage.delete(record["path"])


# -- Dry run and apply --------------------------------------------------------------------


def _communes_in_scope(user, options: ImportOptions):
    communes = communes_for_user(user)
    if options.district_id:
        communes = communes.filter(district_id=options.district_id)
    elif options.province_id:
        # The province and those it was formed from or became part of on 01/07/2025: a
        # sheet's date chooses the map, so a 2020 sheet matches the old communes and a 2026
        # sheet naming an old commune is told what it became (CommuneMatcher).
        lineage = ProvinceSuccession.objects.filter(
            Q(predecessor_id=options.province_id) | Q(successor_id=options.province_id)
        )
        communes = communes.filter(
            Q(province_id=options.province_id)
            | Q(province__in=lineage.values("predecessor_id"))
            | Q(province__in=lineage.values("successor_id"))
        )
    return communes


def _area_name(options: ImportOptions) -> str:
    """The district or province the form narrowed the import to, named, or ""."""
    if options.district_id:
        district = District.objects.select_related("province").get(pk=options.district_id)
        return f"{district.name} ({district.province.name})"
    if options.province_id:
        return Province.objects.get(pk=options.province_id).name
    return ""


def _parse(
    *, user, data: bytes, file_name: str, options: ImportOptions
) -> tuple[ParsedSheet, CommuneMatcher]:
    criteria_set = (
        CriteriaSet.objects.get(pk=options.criteria_set_id) if options.criteria_set_id else None
    )
    book = read_book(data, file_name)
    matcher = CommuneMatcher(_communes_in_scope(user, options), area=_area_name(options))
    if options.fmt == "long":
        parsed = parse_long(
            book,
            criteria_set=criteria_set,
            allowed_sets=criteria_sets_for_user(user, provinces_for_user(user)),
            matcher=matcher,
            assessed_on=options.assessed_on,
            sheet_name=options.sheet or None,
        )
    else:
        parsed = parse_matrix(
            book,
            criteria_set=criteria_set,
            matcher=matcher,
            assessed_on=options.assessed_on,
            sheet_name=options.sheet or None,
        )
    return parsed, matcher


def _plan(*, user, data: bytes, file_name: str, options: ImportOptions, lock: bool = False):
    """Parse the file and decide every row against the database: (plan, preview). Writes
    nothing."""
    parsed, matcher = _parse(user=user, data=data, file_name=file_name, options=options)
    plan = ImportPlan(
        parsed,
        communes=matcher,
        scope=_communes_in_scope(user, options),
        status=options.status,
        author=user,
        source=file_name,
        lock=lock,
    )
    return plan, _preview(parsed, plan, file_name, status=options.status)


def dry_run(*, user, data: bytes, file_name: str, options: ImportOptions) -> Preview:
    """Parse the file and decide what importing it would do, row by row. Raises
    ImportFileError for a file that cannot be read at all. Writes nothing; a fixed number of
    queries whatever the number of rows."""
    return _plan(user=user, data=data, file_name=file_name, options=options)[1]


def _unit_names(plan: ImportPlan) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the plan's districts and provinces, by id: two queries whatever the row
    count (the matcher's communes are read without them: a national sheet has 10,051)."""
    district_ids = {p.commune.district_id for p in plan.rows if p.commune.district_id}
    province_ids = {p.commune.province_id for p in plan.rows}
    districts = dict(District.objects.filter(pk__in=district_ids).values_list("pk", "name"))
    provinces = dict(Province.objects.filter(pk__in=province_ids).values_list("pk", "name"))
    return districts, provinces


def _preview(parsed: ParsedSheet, plan: ImportPlan, file_name: str, *, status: str) -> Preview:
    errors = list(parsed.errors)
    rows = []
    districts, provinces = _unit_names(plan) if plan.rows else ({}, {})
    # Every dataset row has the same keys: which hold marks and which indicators, once.
    mark_keys = [str(n) for n in parsed.criteria]
    indicator_keys = [
        key
        for key in (plan.rows[0].row if plan.rows else {})
        if key.count(":") == 1 and key[:2] == "i:"
    ]
    for row_plan in plan.rows:
        data_row = row_plan.row
        position = parsed.positions[row_plan.index]
        sheet_row = data_row["row"]
        for key, messages in row_plan.messages:
            row, col = position.get(key, position["commune"])
            # The value of the cell the error points at, never another column's.
            value = parsed.cell_value(row, col) if parsed.source else data_row.get(key)
            errors.append(CellError(parsed.sheet, row, col, value, " ".join(messages)))
        commune = row_plan.commune
        rows.append(
            PreviewRow(
                sheet_row=sheet_row,
                unit=commune.name,
                action=row_plan.action,
                summary=_summary(data_row, mark_keys, indicator_keys),
                changes=row_plan.changes if row_plan.action == "update" else [],
                code=commune.code,
                district=districts.get(commune.district_id, ""),
                province=provinces.get(commune.province_id, ""),
                assessed_on=row_plan.assessed_on,
                values=_values(data_row, mark_keys),
                reason=" ".join(m for _key, texts in row_plan.messages for m in texts),
            )
        )
    rows += _rejected_while_reading(parsed, rows)
    rows += [
        PreviewRow(sheet_row=number, unit=label, action="blank") for number, label in parsed.blank
    ]
    rows.sort(key=lambda r: r.sheet_row)
    errors.sort(key=lambda e: (e.row or 0, e.column or 0))
    fingerprint = hashlib.sha256(
        json.dumps(
            [
                [
                    r.sheet_row,
                    r.unit,
                    r.code,
                    r.action,
                    r.summary,
                    r.changes,
                    r.values,
                    r.assessed_on.isoformat() if r.assessed_on else None,
                ]
                for r in rows
            ]
            + [[e.row, e.column, e.message] for e in errors]
            + [[status, parsed.criteria_set.pk if parsed.criteria_set else None]],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    return Preview(
        file_name,
        parsed.sheet,
        rows,
        errors,
        parsed.skipped,
        fingerprint,
        criteria_set=parsed.criteria_set.display_name if parsed.criteria_set else "",
        status=str(AssessmentStatus(status).label),
        notices=list(parsed.notices),
    )


def _rejected_while_reading(parsed: ParsedSheet, rows: list[PreviewRow]) -> list[PreviewRow]:
    """Rows the parser refused before the resource saw them, so that the row-by-row table
    lists every row of the sheet, not only those that reached the dry run."""
    listed = {r.sheet_row for r in rows}
    messages: dict[int, list[str]] = {}
    for error in parsed.errors:
        if error.row and error.row not in listed:
            messages.setdefault(error.row, []).append(error.message)
    return [
        PreviewRow(
            sheet_row=number,
            unit=parsed.labels.get(number, ""),
            action="invalid",
            reason=" ".join(texts),
        )
        for number, texts in messages.items()
    ]


def _values(data_row: dict, mark_keys: list[str]) -> list[str]:
    """The marks the row writes, criterion by criterion ("3: CĐ"); blank cells write nothing
    and are left out."""
    return [
        f"{key}: {MARK_FOR_STATUS[data_row[key]]}"
        for key in mark_keys
        if data_row.get(key) is not None
    ]


def _summary(data_row: dict, mark_keys: list[str], indicator_keys: list[str]) -> str:
    counts = {"met": 0, "basically_met": 0, "not_met": 0, NOT_ASSESSED: 0}
    for key in mark_keys:
        status = data_row.get(key)
        if status is not None:
            counts[status] += 1
    summary = f"Đ {counts['met']} · CBĐ {counts['basically_met']} · CĐ {counts['not_met']}"
    if counts[NOT_ASSESSED]:
        summary += f" · KĐG {counts[NOT_ASSESSED]}"
    indicators = sum(1 for key in indicator_keys if data_row[key])
    if indicators:
        summary += " · " + ngettext("%(n)s indicator", "%(n)s indicators", indicators) % {
            "n": indicators
        }
    return summary


def apply_import(
    *,
    user,
    data: bytes,
    file_name: str,
    options: ImportOptions,
    fingerprint: str,
    progress=None,
    before_commit=None,
) -> Preview:
    """Apply the import the user previewed.

    Side effects: creates or updates Assessment, CriterionResult and IndicatorValue rows
    (marked imported, with the file name and the user as author) with their history rows, and
    deletes the results the file marks "not assessed", all in one transaction. The file is
    parsed and decided once, inside that transaction with the existing assessments locked, and
    written only if that gives the preview the user confirmed. Raises ImportChanged, with
    nothing written, if it does not, or if any write fails.

    A background job (jobs.py) passes ``progress(done, total)`` (told after each batch written)
    and ``before_commit(preview)``, run inside the transaction after the writes: what it writes
    commits with the rows, and an exception from it rolls them back.
    """
    try:
        with transaction.atomic():
            plan, preview = _plan(
                user=user, data=data, file_name=file_name, options=options, lock=True
            )
            if preview.fingerprint != fingerprint or not preview.can_apply:
                raise ImportChanged(
                    _(
                        "The data changed since the preview. Check the new preview before "
                        "confirming."
                    )
                )
            plan.write(progress=progress)
            if before_commit is not None:
                before_commit(preview)
    except (ImportChanged, ImportFileError):
        raise
    except Exception as e:  # any failure, database or not, has rolled everything back
        raise ImportChanged(
            _("Writing failed (%(error)s); nothing was imported.") % {"error": e}
        ) from e
    return preview


# -- Error workbook -----------------------------------------------------------------------


def error_workbook(*, data: bytes, file_name: str, errors: list[CellError]) -> bytes:
    """The original workbook with each bad cell filled red and its message as a comment (for
    a csv upload, the rows are first copied into a workbook)."""
    if file_name.lower().endswith(".csv"):
        book = read_book(data, file_name)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "CSV"
        for row in book.sheets[0].rows:
            ws.append(row)
        sheets = {book.sheets[0].title: ws}
    else:
        wb = openpyxl.load_workbook(io.BytesIO(data))
        sheets = {ws.title: ws for ws in wb.worksheets}
    notes: dict[tuple[str, int, int], list[str]] = {}
    for error in errors:
        if error.sheet in sheets and error.row:
            notes.setdefault((error.sheet, error.row, error.column or 1), []).append(error.message)
    for (title, row, col), messages in notes.items():
        cell = sheets[title].cell(row=row, column=col)
        cell.fill = ERROR_FILL
        cell.comment = Comment("\n".join(messages), "NTM portal", width=300, height=120)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
