"""Commune groups (nhóm 1/2/3 of QĐ 51/2025/QĐ-TTg) set in bulk from a sheet with two
columns, the commune's GSO code and its group: previewed, then written all or nothing.

A code names the commune valid today (codes are reused across the 2025 merger, and the groups
belong to the 2026–2030 set, i.e. to the communes of the new map). A commune outside the
user's subtree is refused like an unknown code: the preview reveals nothing about it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.enums import CommuneGroup, CommuneKind
from communes.selectors import communes_for_user
from reports.cache import record_change

from .errors import ImportFileError
from .matching import clean_code
from .reader import read_book
from .values import fold

CODE_HEADERS = {"code", "ma", "ma xa", "ma don vi", "ma gso", "commune code"}
GROUP_HEADERS = {"group", "nhom", "nhom xa", "commune group"}


@dataclass
class GroupRow:
    sheet_row: int
    code: str
    action: str  # "new" (no group before), "update", "skip" (same group) or "invalid"
    name: str = ""
    place: str = ""  # district (pre-2025 map) and province
    before: int | None = None
    after: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class GroupPreview:
    file_name: str
    rows: list[GroupRow]
    fingerprint: str

    @property
    def errors(self) -> list[GroupRow]:
        return [r for r in self.rows if r.errors]

    @property
    def counts(self) -> dict[str, int]:
        return {
            a: sum(1 for r in self.rows if r.action == a) for a in ("new", "update", "skip")
        } | {"rejected": len(self.errors)}

    @property
    def can_apply(self) -> bool:
        return not self.errors and any(r.action in ("new", "update") for r in self.rows)


class GroupImportChanged(ImportFileError):
    """The outcome differs from the preview the user confirmed; nothing was written."""


def _group(value) -> int | None:
    """1, 2 or 3 from "2", 2, 2.0, "Nhóm 2", "nhom 2"; None otherwise."""
    text = fold(str(value if value is not None else "")).replace("nhom", "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text in {"1", "2", "3"} else None


def _columns(header: list) -> tuple[int, int]:
    folded = [fold(str(h or "")).strip() for h in header]
    try:
        code = next(i for i, h in enumerate(folded) if h in CODE_HEADERS)
        group = next(i for i, h in enumerate(folded) if h in GROUP_HEADERS)
    except StopIteration:
        raise ImportFileError(
            _(
                "The first row must name the columns “mã xã” (the commune's GSO code) and "
                "“nhóm” (1, 2 or 3)."
            )
        ) from None
    return code, group


def import_commune_groups(
    *, user, data: bytes, file_name: str, apply: bool = False, fingerprint: str | None = None
) -> GroupPreview:
    """Preview (``apply`` False) or write the commune groups a sheet gives.

    Side effects when applied and no row is refused (and, with ``fingerprint``, only when the
    outcome is the preview the user saw): sets Commune.commune_group of each listed commune
    (saved one by one, so the history records who changed it), and marks the cached reports
    of their provinces stale, in one transaction. Raises ImportFileError for an unreadable
    file or missing columns, GroupImportChanged when the data moved since the preview.
    """
    book = read_book(data, file_name)
    sheet = book.visible()[0] if book.visible() else None
    if sheet is None or not sheet.rows:
        raise ImportFileError(_("The file is empty."))
    code_col, group_col = _columns(sheet.rows[0])
    today = timezone.localdate()
    visible = communes_for_user(user).valid_on(today).select_related("district", "province")
    rows: list[GroupRow] = []
    wanted: dict[str, int] = {}
    for number, values in enumerate(sheet.rows[1:], start=2):
        if all(v in (None, "") for v in values):
            continue
        raw_code = values[code_col] if code_col < len(values) else None
        raw_group = values[group_col] if group_col < len(values) else None
        code = clean_code(raw_code, 5) if raw_code not in (None, "") else ""
        row = GroupRow(number, code or str(raw_code or ""), "invalid")
        row.after = _group(raw_group)
        if not code:
            row.errors.append(_("The commune code is missing."))
        if row.after is None:
            row.errors.append(
                _("“%(value)s” is not a commune group: write 1, 2 or 3.")
                % {"value": "" if raw_group is None else raw_group}
            )
        if code and code in wanted:
            row.errors.append(_("The code %(code)s is listed twice.") % {"code": code})
        if code:
            wanted.setdefault(code, number)
        rows.append(row)
    communes = {c.code: c for c in visible.filter(code__in=[r.code for r in rows if r.code])}
    for row in rows:
        commune = communes.get(row.code)
        if commune is None and row.code:
            row.errors.append(
                _("No commune with the code %(code)s today within your area.") % {"code": row.code}
            )
        if commune is not None and commune.kind != CommuneKind.COMMUNE:
            # The NTM sets, and so the groups of QĐ 51/2025, are for xã only.
            row.errors.append(
                _("%(name)s is not a xã: commune groups are for xã only.") % {"name": commune.name}
            )
        if commune is not None:
            row.name = commune.name
            row.place = ", ".join(
                x.name for x in (commune.district, commune.province) if x is not None
            )
            row.before = commune.commune_group
        if row.errors:
            continue
        if row.before == row.after:
            row.action = "skip"
        else:
            row.action = "new" if row.before is None else "update"
    digest = hashlib.sha256(
        json.dumps(
            [[r.sheet_row, r.code, r.action, r.before, r.after, len(r.errors)] for r in rows]
        ).encode()
    ).hexdigest()
    preview = GroupPreview(file_name, rows, digest)
    if not apply or preview.errors:
        return preview
    if fingerprint is not None and fingerprint != digest:
        raise GroupImportChanged(
            _("The data changed since the preview. Check the new preview before confirming.")
        )
    with transaction.atomic():
        provinces = set()
        for row in rows:
            if row.action in ("new", "update"):
                commune = communes[row.code]
                commune.commune_group = CommuneGroup(row.after)
                commune.save(update_fields=["commune_group"])
                provinces.add(commune.province_id)
        for province_id in provinces:
            record_change(province_id=province_id)
    return preview
