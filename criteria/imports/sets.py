"""A criteria set as one workbook: sheets "set", "criteria", "indicators" and "thresholds",
each with a header row of the column names below. This is how an admin completes the ward
items or brings in a province's own thresholds.

Rows are matched by their natural keys (set code; criterion number; indicator code; threshold
scope, region, group, province and year) and created or updated. A set already used by an
assessment is never changed in place: the admin gives the workbook a new code, i.e. a new
version. A threshold row without a source is rejected: thresholds are never invented.
"""

from __future__ import annotations

import hashlib
import json
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communes.models import Province
from communes.selectors import scope_for
from criteria.models import Assessment, CriteriaSet, Criterion, Indicator, Threshold

from .errors import CellError, ImportFileError
from .matching import clean_code
from .reader import Book, read_book
from .services import Preview, PreviewRow
from .values import fold, parse_date, parse_number

SHEETS = {
    "set": ("set", "bo tieu chi"),
    "criteria": ("criteria", "tieu chi"),
    "indicators": ("indicators", "chi tieu"),
    "thresholds": ("thresholds", "muc dat", "nguong"),
}
COLUMNS = {
    "set": (
        "code", "name", "name_en", "short_name", "level", "title", "legal_basis", "valid_from",
        "valid_to", "province", "prerequisite", "declared_criteria_count",
        "declared_indicator_count", "verification_summary", "sources", "notes",
    ),
    "criteria": ("number", "name", "name_en", "group", "verification", "source", "note"),
    "indicators": (
        "criterion", "code", "order", "name", "unit", "kind", "comparison", "verification",
        "source", "reference_note",
    ),
    "thresholds": (
        "criterion", "indicator", "scope", "region", "commune_group", "province", "year",
        "value", "text", "verification", "source", "note",
    ),
}  # fmt: skip
TEXT_FIELDS = {"name", "name_en", "short_name", "legal_basis", "group", "source", "note", "unit"}


class SetInUse(ImportFileError):
    """The set exists and assessments use it: only a new version may be imported."""


def _table(book: Book, kind: str, required: bool):
    """(sheet title, [(sheet row, {column: value})]) of one sheet, or None when absent."""
    sheet = next((s for s in book.sheets if fold(s.title) in SHEETS[kind]), None)
    if sheet is None:
        if required:
            raise ImportFileError(
                _("The workbook has no sheet “%(name)s”.") % {"name": SHEETS[kind][0]}
            )
        return None
    header = [fold(v).replace(" ", "_") for v in (sheet.rows[0] if sheet.rows else [])]
    rows = []
    for r, values in enumerate(sheet.rows[1:], start=2):
        if all(v is None for v in values):
            continue
        rows.append((r, {h: v for h, v in zip(header, values, strict=False) if h}))
    return sheet.title, header, rows


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class _Writer:
    """Upserts rows, counting what changed and collecting errors per cell."""

    def __init__(self):
        self.rows: list[PreviewRow] = []
        self.errors: list[CellError] = []
        self.changed: list[list[str]] = []  # field names per row, for the fingerprint

    def error(self, sheet, header, r, column, value, message):
        col = header.index(column) + 1 if column in header else None
        self.errors.append(CellError(sheet, r, col, value, message))

    def upsert(self, model, lookup, values, *, where, label):
        sheet, header, r, row = where
        kind = model._meta.model_name
        obj = model.objects.filter(**lookup).first()
        changed = []
        if obj is None:
            obj, action = model(**lookup, **values), "new"
        else:
            changed = [k for k, v in values.items() if getattr(obj, k) != v]
            action = "update" if changed else "skip"
            for k in changed:
                setattr(obj, k, values[k])
        if action != "skip":
            try:
                obj.full_clean()
            except ValidationError as e:
                for field, messages in e.message_dict.items():
                    column = {"value_text": "text", "criteria_set": "code"}.get(field, field)
                    self.error(sheet, header, r, column, row.get(column), " ".join(messages))
                self.rows.append(PreviewRow(r, label, "invalid", kind=kind))
                self.changed.append([])
                return None
            obj.save()
        changes = [str(model._meta.get_field(k).verbose_name) for k in changed]
        self.changed.append(changed)
        self.rows.append(PreviewRow(r, label, action, changes=changes, kind=kind))
        return obj

    def reject_unlisted(self, sheets: dict[str, str]):
        """Rows refused before any upsert (no number, unknown indicator, no source...) join
        the row-by-row list, so it covers every row of every sheet."""
        listed = {(x.kind, x.sheet_row) for x in self.rows}
        messages: dict[tuple[str, int], list[str]] = {}
        for error in self.errors:
            kind = sheets.get(error.sheet, "")
            if error.row and (kind, error.row) not in listed:
                messages.setdefault((kind, error.row), []).append(error.message)
        for (kind, r), texts in messages.items():
            self.rows.append(PreviewRow(r, "", "invalid", summary=" ".join(texts), kind=kind))


KINDS = {"set": "criteriaset", "criteria": "criterion", "indicators": "indicator",
         "thresholds": "threshold"}  # fmt: skip


class SetImportChanged(ImportFileError):
    """The outcome differs from the preview the user confirmed; nothing was written."""


def next_version_code(code: str) -> str:
    """The first free code "<base>_V<n>" (n ≥ 2) after ``code`` ("X" → "X_V2", "X_V2" →
    "X_V3")."""
    match = re.fullmatch(r"(.+)_V(\d+)", code)
    base, n = (match.group(1), int(match.group(2)) + 1) if match else (code, 2)
    taken = set(
        CriteriaSet.objects.filter(code__startswith=f"{base}_V").values_list("code", flat=True)
    )
    while f"{base}_V{n}" in taken:
        n += 1
    return f"{base}_V{n}"


def _copy_as_version(old: CriteriaSet, code: str) -> CriteriaSet:
    """A copy of ``old`` under ``code``, with its criteria, indicators, thresholds and
    recognition conditions, that names ``old`` as its previous version; the workbook's rows
    are then applied to the copy, so the preview lists what differs from ``old``."""
    new = CriteriaSet.objects.get(pk=old.pk)
    new.pk = None
    new.code = code
    new.previous_version = old
    new.save()
    for condition in old.conditions.all():
        condition.pk = None
        condition.criteria_set = new
        condition.save()
    for criterion in old.criteria.prefetch_related("indicators__thresholds"):
        indicators = list(criterion.indicators.all())
        criterion.pk = None
        criterion.criteria_set = new
        criterion.save()
        for indicator in indicators:
            thresholds = list(indicator.thresholds.all())
            indicator.pk = None
            indicator.criterion = criterion
            indicator.save()
            for threshold in thresholds:
                threshold.pk = None
                threshold.indicator = indicator
                threshold.save()
    return new


def import_criteria_set(
    *,
    user,
    data: bytes,
    file_name: str,
    apply: bool = False,
    fingerprint: str | None = None,
    new_version: bool = False,
) -> Preview:
    """Create or update a criteria set from its workbook. With ``apply`` False (the dry run)
    everything is rolled back; otherwise it is written only if no row is rejected and, when
    ``fingerprint`` is given, only if the outcome is the preview the user saw.

    A set that assessments use is never edited: without ``new_version`` the import is
    refused (SetInUse); with it, the workbook becomes a new version of the set under the next
    free code ("X_V2"): a copy of the set that names it as its previous version, with the
    workbook's rows applied. From then on the new version is offered for new assessments and
    the old one only keeps the assessments made against it.

    Side effects when applied: creates or updates one CriteriaSet and its Criterion,
    Indicator and Threshold rows (a new version: also copies the old set's rows and its
    RecognitionCondition rows), in one transaction. Raises SetInUse, with nothing written,
    when the set exists, assessments use it and ``new_version`` is false; SetImportChanged
    when the outcome no longer matches ``fingerprint``; ImportFileError for an unreadable
    workbook or a set outside the user's province.
    """
    book = read_book(data, file_name)
    if book.kind != "xlsx":
        raise ImportFileError(_("A criteria set is imported from an .xlsx workbook."))
    set_sheet, set_header, set_rows = _table(book, "set", required=True)
    if len(set_rows) != 1:
        raise ImportFileError(
            _("The sheet “%(sheet)s” must hold exactly one row below its header.")
            % {"sheet": set_sheet}
        )
    r, row = set_rows[0]
    code = _text(row.get("code"))
    scope = scope_for(user)
    existing = CriteriaSet.objects.filter(code=code).first()
    if existing is not None and not scope.everything and existing.province_id != scope.province_id:
        # Checked before "in use" so that another province's sets reveal nothing.
        raise ImportFileError(_("You may only import the provincial variant of your own province."))
    replaces = None
    if existing is not None:
        used = Assessment.objects.filter(criteria_set=existing).count()
        if used and not new_version:
            raise SetInUse(
                _(
                    "The set “%(code)s” is used by %(n)s assessments, so it is never edited. "
                    "Tick “Import as a new version” and upload the file again to create the "
                    "new version “%(new)s” from it (the assessments keep the set they used), "
                    "or give the workbook a new code."
                )
                % {"code": code, "n": used, "new": next_version_code(code)}
            )
        if used:
            replaces, code = existing, next_version_code(code)
    sheets = {
        s.title: KINDS[kind]
        for kind in SHEETS
        for s in book.sheets
        if fold(s.title) in SHEETS[kind]
    }
    writer = _Writer()
    with transaction.atomic():
        if replaces is not None:
            _copy_as_version(replaces, code)
        criteria_set = _write_set(writer, (set_sheet, set_header, r, row), code, scope)
        if replaces is not None:
            # The set row describes the new version: created, whatever its fields.
            set_row = next(x for x in writer.rows if x.kind == "criteriaset")
            if set_row.action != "invalid":
                set_row.action = "new"
            set_row.unit = _("set %(code)s, new version of %(old)s") % {
                "code": code,
                "old": replaces.code,
            }
        if criteria_set is not None:
            _write_children(writer, book, criteria_set)
        writer.reject_unlisted(sheets)
        order = list(KINDS.values())
        writer.rows.sort(key=lambda x: (order.index(x.kind) if x.kind in order else 9, x.sheet_row))
        writer.errors.sort(key=lambda e: (e.sheet, e.row or 0, e.column or 0))
        # Language-independent: the preview and the confirmation may be seen in different
        # languages, the outcome is the same.
        digest = hashlib.sha256(
            json.dumps(
                [[x.kind, x.sheet_row, x.action] for x in writer.rows]
                + sorted(writer.changed)
                + [[e.sheet, e.row, e.column, e.shown_value] for e in writer.errors],
                ensure_ascii=False,
            ).encode()
        ).hexdigest()
        if apply and fingerprint is not None and digest != fingerprint:
            transaction.set_rollback(True)
            raise SetImportChanged(
                _("The data changed since the preview. Check the new preview before confirming.")
            )
        if not apply or writer.errors:
            transaction.set_rollback(True)
    preview = Preview(file_name, set_sheet, writer.rows, writer.errors, [], digest, code)
    if replaces is not None:
        preview.notices.append(
            _(
                "“%(old)s” is used by assessments, so it is not edited: this file creates its "
                "new version “%(code)s”, offered for new assessments from then on. The existing "
                "assessments keep “%(old)s”."
            )
            % {"old": replaces.code, "code": code}
        )
    return preview


def counts_by_kind(preview: Preview) -> list[tuple[str, dict[str, int]]]:
    """(kind, {action: rows}) for the set, its criteria, indicators and thresholds."""
    table = {
        kind: dict.fromkeys(("new", "update", "skip", "invalid"), 0) for kind in KINDS.values()
    }
    for row in preview.rows:
        if row.kind in table:
            table[row.kind][row.action] += 1
    return list(table.items())


def _province(writer, where, column, value):
    sheet, header, r, _row = where
    if value in (None, ""):
        return None
    province = Province.objects.filter(code=clean_code(value, 2)).first()
    if province is None:
        writer.error(
            sheet,
            header,
            r,
            column,
            value,
            _("No province with the code %(code)s.") % {"code": value},
        )
    return province


def _write_set(writer, where, code, scope):
    sheet, header, r, row = where
    values = {k: _text(row.get(k)) for k in COLUMNS["set"][1:7] + COLUMNS["set"][13:]}
    for k in ("valid_from", "valid_to"):
        try:
            values[k] = parse_date(row[k]) if row.get(k) not in (None, "") else None
        except ValueError as e:
            writer.error(sheet, header, r, k, row.get(k), str(e))
            values[k] = None
    for k in ("declared_criteria_count", "declared_indicator_count"):
        values[k] = int(row[k]) if isinstance(row.get(k), int | float) else None
    values["province"] = _province(writer, where, "province", row.get("province"))
    if not scope.everything and (
        values["province"] is None or values["province"].pk != scope.province_id
    ):
        writer.error(
            sheet,
            header,
            r,
            "province",
            row.get("province"),
            _("You may only import the provincial variant of your own province."),
        )
        return None
    prerequisite = _text(row.get("prerequisite"))
    values["prerequisite"] = CriteriaSet.objects.filter(code=prerequisite).first()
    if prerequisite and values["prerequisite"] is None:
        writer.error(
            sheet, header, r, "prerequisite", prerequisite, _("No criteria set with this code.")
        )
    return writer.upsert(
        CriteriaSet, {"code": code}, values, where=where, label=_("set %(code)s") % {"code": code}
    )


def _write_children(writer, book, criteria_set):
    table = _table(book, "criteria", required=False)
    for r, row in table[2] if table else []:
        where = (table[0], table[1], r, row)
        number = row.get("number")
        if not isinstance(number, int | float):
            writer.error(table[0], table[1], r, "number", number, _("A criterion needs a number."))
            continue
        values = {k: _text(row.get(k)) for k in ("name", "name_en", "group", "source", "note")}
        values["verification"] = _text(row.get("verification"))
        writer.upsert(
            Criterion,
            {"criteria_set": criteria_set, "number": int(number)},
            values,
            where=where,
            label=_("criterion %(n)s") % {"n": int(number)},
        )
    criteria = {c.number: c for c in criteria_set.criteria.all()}
    table = _table(book, "indicators", required=False)
    for r, row in table[2] if table else []:
        where = (table[0], table[1], r, row)
        criterion = (
            criteria.get(int(row["criterion"]))
            if isinstance(row.get("criterion"), int | float)
            else None
        )
        if criterion is None:
            writer.error(
                table[0], table[1], r, "criterion", row.get("criterion"),
                _("No criterion with this number in the workbook or the set."),
            )  # fmt: skip
            continue
        code = _text(row.get("code"))
        values = {
            k: _text(row.get(k))
            for k in (
                "name",
                "unit",
                "kind",
                "comparison",
                "verification",
                "source",
                "reference_note",
            )
        }
        values["order"] = int(row["order"]) if isinstance(row.get("order"), int | float) else 0
        writer.upsert(
            Indicator,
            {"criterion": criterion, "code": code},
            values,
            where=where,
            label=_("indicator %(code)s") % {"code": code},
        )
    indicators = {i.code: i for i in Indicator.objects.filter(criterion__criteria_set=criteria_set)}
    table = _table(book, "thresholds", required=False)
    for r, row in table[2] if table else []:
        sheet, header = table[0], table[1]
        where = (sheet, header, r, row)
        indicator = indicators.get(_text(row.get("indicator")))
        if indicator is None:
            writer.error(
                sheet, header, r, "indicator", row.get("indicator"),
                _("No indicator with this code in the workbook or the set."),
            )  # fmt: skip
            continue
        source = _text(row.get("source"))
        if not source:
            writer.error(
                sheet, header, r, "source", None,
                _("A threshold needs its source (document, article): the portal never "
                  "invents one. Leave the row out if the level is not set."),
            )  # fmt: skip
            continue
        value = None
        if row.get("value") not in (None, ""):
            try:
                value = parse_number(row["value"])
            except ValueError as e:
                writer.error(sheet, header, r, "value", row["value"], str(e))
                continue
        group = row.get("commune_group")
        year = row.get("year")
        lookup = {
            "indicator": indicator,
            "scope": _text(row.get("scope")),
            "region": _text(row.get("region")),
            "commune_group": int(group) if isinstance(group, int | float) else None,
            "province": _province(writer, where, "province", row.get("province")),
            "year": int(year) if isinstance(year, int | float) else None,
        }
        values = {
            "value": value,
            "value_text": _text(row.get("text")),
            "verification": _text(row.get("verification")),
            "source": source,
            "note": _text(row.get("note")),
        }
        writer.upsert(
            Threshold,
            lookup,
            values,
            where=where,
            label=_("threshold %(code)s") % {"code": indicator.code},
        )
