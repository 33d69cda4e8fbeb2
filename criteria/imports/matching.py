"""Find the commune a row means: by GSO code first, else by name within the given scope."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from communes.models import Commune

from .values import fold, normalise, split_unit_name

DISTRICT_PREFIXES = ("thanh pho", "thi xa", "huyen", "quan")
PROVINCE_PREFIXES = ("thanh pho", "tinh")
COMMUNE_CODE_DIGITS = 5


class MatchError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field  # "code" or "name": which cell to point at


def clean_code(value, digits: int = COMMUNE_CODE_DIGITS) -> str:
    """A GSO code as typed or as Excel stored it (28078, 28078.0, "04" for "00004")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.isdigit() and len(text) < digits:
        text = text.zfill(digits)
    return text


def _district_key(name, prefixes=DISTRICT_PREFIXES) -> str:
    folded = fold(name)
    for prefix in prefixes:
        if folded.startswith(prefix + " "):
            return folded[len(prefix) + 1 :]
    return folded


def describe(commune: Commune) -> str:
    parts = [commune.name, commune.code]
    if commune.district_id:
        parts.append(commune.district.name)
    parts.append(commune.province.name)
    return ", ".join(parts)


class CommuneMatcher:
    """Indexes ``communes`` (already narrowed to what the user may import into) once, so each
    row costs no query."""

    def __init__(self, communes, *, area: str = ""):
        self.communes = communes
        # The district or province chosen in the form, to name it when a unit is not there.
        self.area = area
        # One query for the codes; the name indexes (with districts and provinces, one more
        # query) only when a row has no code: a national sheet has 10,051 codes.
        # A code may name two units (GSO reuses codes since 01/07/2025): by_code_on picks by
        # the row's date.
        self._by_code: dict[str, list[Commune]] = defaultdict(list)
        for commune in communes:
            self._by_code[commune.code].append(commune)
        self._by_name: dict[str, list[Commune]] | None = None
        self._by_folded: dict[str, list[Commune]] | None = None

    def _index_names(self) -> None:
        self._by_name, self._by_folded = defaultdict(list), defaultdict(list)
        for commune in self.communes.select_related("district", "province"):
            self._by_folded[split_unit_name(commune.name)[1]].append(commune)
            self._by_name[_bare_exact(commune.name)].append(commune)

    def by_code_on(self, code: str, on: datetime.date | None = None) -> Commune | None:
        """The commune of the scope with ``code`` valid on ``on`` (today when None); the only
        one when the scope holds a single unit with that code."""
        found = self._by_code.get(code, [])
        if len(found) <= 1:
            return found[0] if found else None
        day = on or timezone.localdate()
        return next((c for c in found if c.is_valid_on(day)), None)

    @property
    def by_name(self) -> dict[str, list[Commune]]:
        if self._by_name is None:
            self._index_names()
        return self._by_name

    @property
    def by_folded(self) -> dict[str, list[Commune]]:
        if self._by_folded is None:
            self._index_names()
        return self._by_folded

    def match(
        self,
        *,
        code=None,
        name=None,
        district=None,
        province=None,
        on: datetime.date | None = None,
    ):
        code = clean_code(code)
        if code:
            commune = self.by_code_on(code, on)
            if commune is None:
                if self.area:
                    message = _("No commune with code %(code)s in %(area)s.")
                else:
                    message = _("No commune with code %(code)s in the province(s) you import into.")
                raise MatchError(message % {"code": code, "area": self.area}, "code")
            if name and split_unit_name(name)[1] != split_unit_name(commune.name)[1]:
                raise MatchError(
                    _("Code %(code)s is %(unit)s, but the row names “%(name)s”.")
                    % {"code": code, "unit": commune.name, "name": name},
                    "name",
                )
            return commune
        if not normalise(name):
            raise MatchError(_("The row has neither a commune code nor a name."), "name")
        candidates = self.by_name.get(_bare_exact(name)) or self.by_folded.get(
            split_unit_name(name)[1], []
        )
        prefix = split_unit_name(name)[0]
        if prefix:
            candidates = [c for c in candidates if split_unit_name(c.name)[0] == prefix]
        if district:
            key = _district_key(district)
            candidates = [
                c for c in candidates if c.district_id and _district_key(c.district.name) == key
            ]
        if province and not clean_code(province, 2).isdigit():
            key = _district_key(province, PROVINCE_PREFIXES)
            candidates = [
                c for c in candidates if _district_key(c.province.name, PROVINCE_PREFIXES) == key
            ]
        elif province:
            candidates = [c for c in candidates if c.province.code == clean_code(province, 2)]
        if len(candidates) > 1 and on is not None:
            current = [c for c in candidates if c.is_valid_on(on)]
            candidates = current or candidates
        if not candidates:
            if self.area:
                message = _("No commune named “%(name)s” in %(area)s.")
            else:
                message = _("No commune named “%(name)s” in the province(s) you import into.")
            raise MatchError(message % {"name": name, "area": self.area}, "name")
        if len(candidates) > 1:
            raise MatchError(
                _(
                    "“%(name)s” is ambiguous: %(candidates)s. Add the GSO code, or choose the "
                    "province or district."
                )
                % {"name": name, "candidates": "; ".join(describe(c) for c in candidates)},
                "name",
            )
        return candidates[0]


def _bare_exact(name) -> str:
    """The name without its kind prefix, diacritics kept."""
    text = normalise(name)
    prefix, _folded = split_unit_name(text)
    if prefix:
        return " ".join(text.split(" ")[len(prefix.split()) :])
    return text
