"""Where a unit came from and what it became (the 2025 reorganisation), for the unit pages.

Reads only: the lineage links (ProvinceSuccession, CommuneSuccession) and the other units
that held the same code. Districts have no successors (the level was abolished), so a
district's lineage is only its end date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .models import Commune, CommuneSuccession, District, Province, ProvinceSuccession

# Kind prefixes of unit names, longest first ("Thành phố" before "Thị xã" does not matter,
# but "Thị trấn" and "Thị xã" must both be tried whole).
NAME_PREFIXES = (
    "Thành phố ",
    "Thị trấn ",
    "Thị xã ",
    "Đặc khu ",
    "Phường ",
    "Huyện ",
    "Quận ",
    "Tỉnh ",
    "Xã ",
)


@dataclass(frozen=True)
class LinkedUnit:
    unit: Commune | Province
    partly_merged: bool
    # The day the change took effect (01/07/2025 for the 2025 reorganisation).
    effective_on: datetime.date
    # The resolution that made the change, only where it is known: the package's conversion
    # table carries none, so the loader leaves it blank and the pages show nothing for it.
    legal_basis: str = ""


@dataclass
class Lineage:
    unit: object
    predecessors: list[LinkedUnit] = field(default_factory=list)
    successors: list[LinkedUnit] = field(default_factory=list)
    # The other units that held this unit's code, oldest first (18838: Lâm Hợp for Kỳ Lạc).
    same_code: list = field(default_factory=list)
    # Why the address shows a unit that is not valid on the day asked for (a closed unit).
    closed: bool = False

    @property
    def formed_from(self) -> str:
        """The predecessors' names for a sentence: "Lâm Hợp và Kỳ Lạc cũ"."""
        return formed_from_label(self, successor=self.unit)

    @property
    def code_notices(self) -> list[str]:
        """One sentence per earlier unit that held this unit's code, linking to its own page:
        "Mã 18838 là Xã Lâm Hợp đến 30/06/2025; nay là Xã Kỳ Lạc (gồm Lâm Hợp và Kỳ Lạc
        cũ)." An old link to the code lands on today's unit, and this says so."""
        notices = []
        unit = self.unit
        for other in self.same_code:
            if (
                other.valid_to is None
                or unit.valid_from is None
                or other.valid_to >= unit.valid_from
            ):
                continue
            values = {
                "code": unit.code,
                "old": format_html('<a href="{}">{}</a>', other.public_url(), other.name),
                "end": other.valid_to.strftime("%d/%m/%Y"),
                "new": unit.name,
            }
            if self.predecessors:
                values["parts"] = self.formed_from
                text = _(
                    "Code %(code)s was %(old)s until %(end)s; it is now %(new)s (formed from "
                    "%(parts)s)."
                )
            else:
                text = _("Code %(code)s was %(old)s until %(end)s; it is now %(new)s.")
            notices.append(format_html(text.replace("%(", "{").replace(")s", "}"), **values))
        return notices


def _links(model, unit):
    """Predecessors and successors of ``unit``, in one query."""
    links = (
        model.objects.filter(Q(successor=unit) | Q(predecessor=unit))
        .select_related("predecessor", "successor")
        .order_by("predecessor__code", "successor__code")
    )
    preds, succs = [], []
    for link in links:
        if link.successor_id == unit.pk:
            preds.append(
                LinkedUnit(
                    link.predecessor, link.partly_merged, link.effective_on, link.legal_basis
                )
            )
        else:
            succs.append(
                LinkedUnit(link.successor, link.partly_merged, link.effective_on, link.legal_basis)
            )
    return preds, succs


def with_lineage(units: QuerySet) -> QuerySet:
    """``units`` (provinces or communes) with their lineage read in two queries whatever their
    number (one for the links to predecessors, one for those to successors), which
    ``predecessors_of`` and ``successors_of`` give as LinkedUnit lists ordered by code, as
    ``lineage_for`` does for one unit. Districts have none (the level was abolished)."""
    links = {Commune: CommuneSuccession, Province: ProvinceSuccession}[units.model]
    return units.prefetch_related(
        Prefetch(
            "predecessor_links",
            queryset=links.objects.select_related("predecessor").order_by("predecessor__code"),
            to_attr="prefetched_predecessor_links",
        ),
        Prefetch(
            "successor_links",
            queryset=links.objects.select_related("successor").order_by("successor__code"),
            to_attr="prefetched_successor_links",
        ),
    )


def predecessors_of(unit) -> list[LinkedUnit]:
    """The predecessors of a unit read through ``with_lineage``."""
    return [
        LinkedUnit(link.predecessor, link.partly_merged, link.effective_on, link.legal_basis)
        for link in unit.prefetched_predecessor_links
    ]


def successors_of(unit) -> list[LinkedUnit]:
    """The successors of a unit read through ``with_lineage``."""
    return [
        LinkedUnit(link.successor, link.partly_merged, link.effective_on, link.legal_basis)
        for link in unit.prefetched_successor_links
    ]


def lineage_for(unit, *, on=None) -> Lineage:
    """The unit's predecessors and successors (one query for a province or commune, none for
    a district) and the other units with its code (one query)."""
    lineage = Lineage(unit=unit)
    if isinstance(unit, Commune):
        lineage.predecessors, lineage.successors = _links(CommuneSuccession, unit)
    elif isinstance(unit, Province):
        lineage.predecessors, lineage.successors = _links(ProvinceSuccession, unit)
    elif not isinstance(unit, District):
        raise TypeError(f"No lineage for {type(unit).__name__}")
    lineage.same_code = list(type(unit).objects.filter(code=unit.code).exclude(pk=unit.pk))
    lineage.same_code.sort(key=lambda u: (u.valid_from is not None, u.valid_from))
    day = on or timezone.localdate()
    lineage.closed = not unit.is_valid_on(day)
    return lineage


def bare_name(unit) -> str:
    """The name without its kind: "Xã Lâm Hợp" -> "Lâm Hợp"."""
    folded = unit.name.casefold()
    for prefix in NAME_PREFIXES:
        if folded.startswith(prefix.casefold()) and len(unit.name) > len(prefix):
            return unit.name[len(prefix) :]
    return unit.name


def formed_from_label(lineage: Lineage, successor=None) -> str:
    names = []
    for link in lineage.predecessors:
        name = bare_name(link.unit)
        if successor is not None and name == bare_name(successor):
            name = _("former %(name)s") % {"name": name}
        if link.partly_merged:
            name = _("part of %(name)s") % {"name": name}
        names.append(name)
    return join_names(names)


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
