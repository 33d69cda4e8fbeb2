"""Find the commune a row means: by GSO code first, else by name within the given scope."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.models import Commune, CommuneSuccession

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
        # The lineage, read once when a row names a unit not valid on its date.
        self._successors: dict[int, list[Commune]] | None = None
        self._predecessors: dict[int, list[Commune]] | None = None

    def _index_lineage(self) -> None:
        self._successors, self._predecessors = defaultdict(list), defaultdict(list)
        links = CommuneSuccession.objects.filter(
            Q(predecessor__in=self.communes) | Q(successor__in=self.communes)
        ).select_related("predecessor", "successor")
        for link in links.order_by("successor__code", "predecessor__code"):
            self._successors[link.predecessor_id].append(link.successor)
            self._predecessors[link.successor_id].append(link.predecessor)

    def _not_valid_on(self, commune: Commune, day: datetime.date) -> MatchError:
        """Why ``commune`` cannot take a row dated ``day``: it had ended by then (naming what
        it became) or did not exist yet (naming what it was formed from)."""
        if self._successors is None:
            self._index_lineage()
        date = day.strftime("%d/%m/%Y")
        if commune.valid_to is not None and commune.valid_to < day:
            successors = self._successors.get(commune.pk, [])
            if successors:
                message = _(
                    "%(name)s (%(code)s) existed until %(end)s; on %(date)s it is part of "
                    "%(successors)s. Write the new commune's name or code for a sheet of "
                    "this date."
                )
            else:
                message = _("%(name)s (%(code)s) existed until %(end)s, before %(date)s.")
            return MatchError(
                message
                % {
                    "name": commune.name,
                    "code": commune.code,
                    "end": commune.valid_to.strftime("%d/%m/%Y"),
                    "date": date,
                    "successors": "; ".join(f"{c.name} ({c.code})" for c in successors),
                },
                "name",
            )
        predecessors = self._predecessors.get(commune.pk, [])
        if predecessors:
            message = _(
                "%(name)s (%(code)s) was formed on %(start)s; on %(date)s its area was "
                "%(predecessors)s. Write the former commune's name or code for a sheet of "
                "this date."
            )
        else:
            message = _("%(name)s (%(code)s) exists only since %(start)s, after %(date)s.")
        return MatchError(
            message
            % {
                "name": commune.name,
                "code": commune.code,
                "start": commune.valid_from.strftime("%d/%m/%Y"),
                "date": date,
                "predecessors": "; ".join(f"{c.name} ({c.code})" for c in predecessors),
            },
            "name",
        )

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
        commune = self._match(code=code, name=name, district=district, province=province, on=on)
        # A sheet of 2026 naming a commune closed on 30/06/2025 (or one of 2020 naming a
        # commune formed since): an error that names the unit of the sheet's date.
        if on is not None and not commune.is_valid_on(on):
            raise self._not_valid_on(commune, on)
        return commune

    def _match(self, *, code, name, district, province, on):
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
                # The code's unit of another date by that name (18838 is Xã Kỳ Lạc since
                # 01/07/2025, Xã Lâm Hợp before): say what it became, or was formed from.
                for other in self._by_code.get(code, []):
                    if (
                        other is not commune
                        and on is not None
                        and (split_unit_name(name)[1] == split_unit_name(other.name)[1])
                    ):
                        raise self._not_valid_on(other, on)
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
