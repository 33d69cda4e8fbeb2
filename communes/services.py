"""Write workflows for administrative units. Each function's docstring lists its side effects."""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import vietnam_provinces
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from vietnam_provinces import _province_conversion_2025 as province_conversion
from vietnam_provinces import _ward_conversion_2025 as ward_conversion
from vietnam_provinces import legacy

from reports.cache import record_change

from .enums import CommuneKind, DistrictKind, ProvinceKind
from .models import (
    LEGACY_VALID_TO,
    MERGER_DATE,
    Commune,
    CommuneSuccession,
    District,
    Membership,
    Province,
    ProvinceSuccession,
)
from .regions import PROVINCE_REGIONS
from .selectors import scoped

# Two eras from one package (vietnam-provinces 2026.9.0): the pre-2025 list (63 provinces,
# 696 districts, 10,051 communes; its ``legacy`` module), valid until 30/06/2025, and the list
# since 01/07/2025 (34 provinces, 3,321 communes, wards and special zones; no districts), with
# the official conversion table between them.
PACKAGE = f"vietnam-provinces {vietnam_provinces.__version__}"
# The conversion table's own effective date; MERGER_DATE must agree with it (a test checks).
CONVERSION_EFFECTIVE_DATE = datetime.date.fromisoformat(ward_conversion.EFFECTIVE_DATE)
COMMUNE_LINEAGE_SOURCE = f"{PACKAGE}: {ward_conversion.SOURCE}"
PROVINCE_LINEAGE_SOURCE = f"{PACKAGE}: province conversion (derived from {ward_conversion.SOURCE})"

# The kind of a pre-2025 unit comes from its name, as it always has (the source is
# inconsistent about case: "Thành Phố Bắc Kạn", "Thành Phố Đồng Hới", hence the case-insensitive
# match in _kind_from_name).
PROVINCE_PREFIXES = (
    ("Tỉnh ", ProvinceKind.PROVINCE),
    ("Thành phố ", ProvinceKind.CITY),
)
DISTRICT_PREFIXES = (
    ("Huyện ", DistrictKind.RURAL_DISTRICT),
    ("Thị xã ", DistrictKind.TOWN),
    ("Thành phố ", DistrictKind.CITY),
    ("Quận ", DistrictKind.URBAN_DISTRICT),
)
COMMUNE_PREFIXES = (
    ("Xã ", CommuneKind.COMMUNE),
    ("Phường ", CommuneKind.WARD),
    ("Thị trấn ", CommuneKind.TOWNSHIP),
)
# Since 01/07/2025 the package's division type is reliable, and "đặc khu" has no other marker.
NEW_PROVINCE_KINDS = {
    "tỉnh": ProvinceKind.PROVINCE,
    "thành phố trung ương": ProvinceKind.CITY,
}
NEW_COMMUNE_KINDS = {
    "xã": CommuneKind.COMMUNE,
    "phường": CommuneKind.WARD,
    "đặc khu": CommuneKind.SPECIAL_ZONE,
}

# GSO code widths: province 2 digits, district 3, commune 5.
PROVINCE_CODE_WIDTH = 2
DISTRICT_CODE_WIDTH = 3
COMMUNE_CODE_WIDTH = 5

BATCH_SIZE = 500


class AdminUnitDataError(ValueError):
    """The unit list, or what the caller asked for, cannot be loaded. Nothing was written."""


@dataclass
class UnitCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __add__(self, other: "UnitCounts") -> "UnitCounts":
        return UnitCounts(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
        )


@dataclass
class AdminUnitLoadSummary:
    # The pre-2025 units (valid until 30/06/2025).
    provinces: UnitCounts = field(default_factory=UnitCounts)
    districts: UnitCounts = field(default_factory=UnitCounts)
    communes: UnitCounts = field(default_factory=UnitCounts)
    # The units since 01/07/2025.
    new_provinces: UnitCounts = field(default_factory=UnitCounts)
    new_communes: UnitCounts = field(default_factory=UnitCounts)
    # The lineage between them.
    province_links: UnitCounts = field(default_factory=UnitCounts)
    commune_links: UnitCounts = field(default_factory=UnitCounts)
    # Links of the conversion table whose old or new unit is not loaded (another province, or
    # an old code the legacy list does not have).
    links_skipped: int = 0
    # CommuneKind value -> number of communes in the loaded provinces, both eras.
    commune_kinds: Counter = field(default_factory=Counter)

    @property
    def totals(self) -> UnitCounts:
        return (
            self.provinces
            + self.districts
            + self.communes
            + self.new_provinces
            + self.new_communes
            + self.province_links
            + self.commune_links
        )

    @property
    def changed(self) -> bool:
        totals = self.totals
        return bool(totals.created or totals.updated)


@dataclass(frozen=True)
class ProvinceProgress:
    """Reported after one province's districts and communes are written."""

    index: int  # 1-based, among the provinces whose units are loaded (both eras)
    total: int
    code: str
    name: str
    districts: UnitCounts
    communes: UnitCounts
    since: datetime.date | None = None  # MERGER_DATE for a province of the new map


def read_nested_divisions() -> list[dict]:
    """The pre-2025 list as nested dicts: province -> districts -> wards, codes as ints."""
    wards = defaultdict(list)
    for ward in legacy.Ward.iter_all():
        wards[int(ward.district_code)].append({"code": int(ward.code), "name": ward.name})
    districts = defaultdict(list)
    for district in legacy.District.iter_all():
        districts[int(district.province_code)].append(
            {
                "code": int(district.code),
                "name": district.name,
                "wards": sorted(wards[int(district.code)], key=lambda w: w["code"]),
            }
        )
    return [
        {
            "code": int(province.code),
            "name": province.name,
            "districts": sorted(districts[int(province.code)], key=lambda d: d["code"]),
        }
        for province in sorted(legacy.Province.iter_all(), key=lambda p: int(p.code))
    ]


def read_new_divisions() -> list[dict]:
    """The list since 01/07/2025: province -> wards (no districts), codes as ints."""
    wards = defaultdict(list)
    for ward in vietnam_provinces.Ward.iter_all():
        wards[int(ward.province_code)].append(
            {"code": int(ward.code), "name": ward.name, "type": str(ward.division_type)}
        )
    return [
        {
            "code": int(province.code),
            "name": province.name,
            "type": str(province.division_type),
            "wards": sorted(wards[int(province.code)], key=lambda w: w["code"]),
        }
        for province in sorted(vietnam_provinces.Province.iter_all(), key=lambda p: int(p.code))
    ]


@dataclass(frozen=True)
class Link:
    old_code: str
    new_code: str
    partly_merged: bool
    old_province_code: str = ""


def read_province_lineage() -> list[Link]:
    """Old province -> new province, from the package's province conversion table. An old
    province that went to several new ones (part of its communes each) is partly merged."""
    links = []
    for old_code, entry in sorted(province_conversion.OLD_TO_NEW.items()):
        several = len(entry.new_provinces) > 1
        for new in entry.new_provinces:
            links.append(Link(f"{old_code:02d}", f"{new.code:02d}", several))
    return links


def read_commune_lineage() -> list[Link]:
    """Old commune -> new commune, from the official conversion table (one row per pair, with
    its partly-merged flag)."""
    links = []
    for old_code, entry in sorted(ward_conversion.OLD_TO_NEW.items()):
        old = entry.old_ward
        for new in entry.new_wards:
            links.append(
                Link(
                    f"{old_code:05d}",
                    f"{new.code:05d}",
                    bool(old.is_partly_merged),
                    f"{old.province_code:02d}",
                )
            )
    return links


def load_admin_units(
    *,
    province_codes: Iterable[str | int] | None = None,
    progress: Callable[[ProvinceProgress], None] | None = None,
    divisions: list[dict] | None = None,
    new_divisions: list[dict] | None = None,
) -> AdminUnitLoadSummary:
    """Create or update both eras of units and the lineage between them, from the
    vietnam-provinces package.

    ``divisions`` is the pre-2025 nested list, ``new_divisions`` the list since 01/07/2025
    (both read from the package when omitted). All provinces of both eras are always loaded;
    ``province_codes`` ("42" or 42) limits the districts and communes to those provinces (a
    code selects the province of that code in each era where it exists). ``progress`` is
    called once per province whose units were loaded.

    Side effects, in one transaction:
    - pre-2025 units are matched by code among the units valid on 30/06/2025 and end on that
      day (valid_to = 30/06/2025; valid_from is left as it is); units since 01/07/2025 are
      matched by code among those valid on 01/07/2025 and start on that day, open-ended;
    - creates missing rows; updates name and kind when the source differs, Province.region
      when it differs from the derived one, and a unit's parent when the source moved it;
    - a pre-2025 province's region comes from communes.regions; a new province's region is
      its predecessors' when they all agree, else blank (never a guess); a new commune's
      region is its predecessors' when they agree, else blank; a blank commune region gets the
      derived one, a region an admin chose is never overwritten;
    - creates or updates the lineage links (ProvinceSuccession, CommuneSuccession) between
      loaded units, with the table's partly-merged flag;
    - never deletes rows.

    Raises AdminUnitDataError, before anything is written, for an unknown province code, and
    (rolling back) for a unit whose kind cannot be told from its name or type.
    """
    if divisions is None:
        divisions = read_nested_divisions()
    if new_divisions is None:
        new_divisions = read_new_divisions()
    legacy_codes = [_gso_code(p["code"], PROVINCE_CODE_WIDTH, p["name"]) for p in divisions]
    new_codes = [_gso_code(p["code"], PROVINCE_CODE_WIDTH, p["name"]) for p in new_divisions]
    selected = _selected_provinces(province_codes, known=sorted({*legacy_codes, *new_codes}))

    summary = AdminUnitLoadSummary()
    with transaction.atomic():
        # Bulk writes send no signals: every province's cached reports may be stale.
        record_change(province_id=None)
        legacy_scope = [p for p in divisions if selected is None or _code_of(p) in selected]
        new_scope = [p for p in new_divisions if selected is None or _code_of(p) in selected]
        total = len(legacy_scope) + len(new_scope)

        provinces = _load_provinces(divisions, summary=summary.provinces)
        # One query per model: existing rows are compared in memory. All rows of the era, not
        # only the selected provinces', because a unit may have moved.
        districts = {
            d.code: d
            for d in District.objects.valid_on(LEGACY_VALID_TO).only(
                "code", "name", "kind", "province", "valid_from", "valid_to"
            )
        }
        legacy_communes = _communes_valid_on(LEGACY_VALID_TO)
        for index, source in enumerate(legacy_scope, start=1):
            province = provinces[_code_of(source)]
            district_counts, commune_counts = _load_province_units(
                source,
                province=province,
                districts=districts,
                communes=legacy_communes,
                commune_kinds=summary.commune_kinds,
            )
            summary.districts += district_counts
            summary.communes += commune_counts
            if progress is not None:
                progress(
                    ProvinceProgress(
                        index=index,
                        total=total,
                        code=province.code,
                        name=province.name,
                        districts=district_counts,
                        communes=commune_counts,
                    )
                )

        # The new map, once every pre-2025 unit is closed (one open-ended unit per code).
        province_lineage = read_province_lineage()
        commune_lineage = read_commune_lineage()
        new_provinces = _load_new_provinces(
            new_divisions, lineage=province_lineage, summary=summary.new_provinces
        )
        new_communes = _communes_valid_on(MERGER_DATE)
        predecessors = defaultdict(list)
        for link in commune_lineage:
            predecessors[link.new_code].append(link)
        for index, source in enumerate(new_scope, start=len(legacy_scope) + 1):
            province = new_provinces[_code_of(source)]
            counts = _load_new_province_communes(
                source,
                province=province,
                communes=new_communes,
                legacy_communes=legacy_communes,
                predecessors=predecessors,
                commune_kinds=summary.commune_kinds,
            )
            summary.new_communes += counts
            if progress is not None:
                progress(
                    ProvinceProgress(
                        index=index,
                        total=total,
                        code=province.code,
                        name=province.name,
                        districts=UnitCounts(),
                        communes=counts,
                        since=MERGER_DATE,
                    )
                )

        summary.links_skipped += _load_links(
            ProvinceSuccession,
            province_lineage,
            old=provinces,
            new=new_provinces,
            source=PROVINCE_LINEAGE_SOURCE,
            summary=summary.province_links,
        )
        summary.links_skipped += _load_links(
            CommuneSuccession,
            commune_lineage,
            old=legacy_communes,
            new=new_communes,
            source=COMMUNE_LINEAGE_SOURCE,
            summary=summary.commune_links,
        )
    return summary


def _communes_valid_on(day: datetime.date) -> dict[str, Commune]:
    return {
        c.code: c
        for c in Commune.objects.valid_on(day).only(
            "code", "name", "kind", "district", "province", "region", "valid_from", "valid_to"
        )
    }


def _code_of(source_province: dict) -> str:
    return _gso_code(source_province["code"], PROVINCE_CODE_WIDTH, source_province["name"])


def _gso_code(value, width: int, name: str) -> str:
    code = str(value).strip()
    if not code.isdigit() or len(code) > width:
        raise AdminUnitDataError(
            _("“%(name)s” has code %(code)r, which is not a GSO code of %(width)d digits.")
            % {"name": name, "code": value, "width": width}
        )
    return code.zfill(width)


def _selected_provinces(codes: Iterable[str | int] | None, *, known: list[str]) -> set | None:
    if codes is None:
        return None
    selected, unknown = set(), []
    for value in codes:
        code = str(value).strip()
        if code.isdigit() and len(code) <= PROVINCE_CODE_WIDTH:
            code = code.zfill(PROVINCE_CODE_WIDTH)
        if code in known:
            selected.add(code)
        else:
            unknown.append(str(value))
    if unknown:
        raise AdminUnitDataError(
            _("Unknown province code(s): %(codes)s. Province codes have 2 digits, e.g. 42.")
            % {"codes": ", ".join(unknown)}
        )
    return selected


def _kind_from_name(name: str, prefixes, *, model, code: str) -> str:
    folded = name.casefold()
    for prefix, kind in prefixes:
        if folded.startswith(prefix.casefold()):
            return kind
    raise AdminUnitDataError(
        _(
            "Cannot tell the kind of %(level)s %(code)s “%(name)s” from its name: "
            "it should start with one of %(prefixes)s."
        )
        % {
            "level": model._meta.verbose_name,
            "code": code,
            "name": name,
            "prefixes": ", ".join(f"“{prefix.strip()}”" for prefix, _kind in prefixes),
        }
    )


def _apply(obj: models.Model, values: dict) -> bool:
    """Set the attributes of ``obj`` that differ from ``values``; True if any did."""
    changed = False
    for attname, value in values.items():
        if getattr(obj, attname) != value:
            setattr(obj, attname, value)
            changed = True
    return changed


def _save(model, *, create: list, update: list, fields: list[str]) -> None:
    if create:
        model.objects.bulk_create(create, batch_size=BATCH_SIZE)
        if any(obj.pk is None for obj in create):
            # Backends that cannot return ids from a bulk insert: fetch them by code and start.
            ids = {
                (code, valid_from): pk
                for code, valid_from, pk in model.objects.filter(
                    code__in=[obj.code for obj in create]
                ).values_list("code", "valid_from", "pk")
            }
            for obj in create:
                obj.pk = ids[(obj.code, obj.valid_from)]
    if update:
        model.objects.bulk_update(update, fields, batch_size=BATCH_SIZE)


def _load_provinces(divisions: list[dict], *, summary: UnitCounts) -> dict[str, Province]:
    staged = {}
    for source in divisions:
        code = _code_of(source)
        if code not in PROVINCE_REGIONS:
            raise AdminUnitDataError(
                _("Province %(code)s “%(name)s” has no region in communes/regions.py.")
                % {"code": code, "name": source["name"]}
            )
        values = {
            "name": source["name"],
            "kind": _kind_from_name(source["name"], PROVINCE_PREFIXES, model=Province, code=code),
            "region": PROVINCE_REGIONS[code],
            "valid_to": LEGACY_VALID_TO,
        }
        staged[code] = values
    existing = {p.code: p for p in Province.objects.valid_on(LEGACY_VALID_TO)}
    return _store_provinces(existing, staged, summary=summary)


def _store_provinces(
    existing: dict[str, Province], staged: dict[str, dict], *, summary: UnitCounts
) -> dict[str, Province]:
    """Create or update the provinces of one era: ``staged`` maps a code to its field values,
    ``existing`` the era's provinces by code (completed with the new ones and returned).
    Counts into ``summary``."""
    create, update = [], []
    fields = set()
    for code, values in staged.items():
        fields.update(values)
        province = existing.get(code)
        if province is None:
            existing[code] = Province(code=code, **values)
            create.append(existing[code])
        elif _apply(province, values):
            update.append(province)
        else:
            summary.unchanged += 1
    _save(Province, create=create, update=update, fields=sorted(fields))
    summary.created += len(create)
    summary.updated += len(update)
    return existing


def _load_province_units(
    source: dict,
    *,
    province: Province,
    districts: dict[str, District],
    communes: dict[str, Commune],
    commune_kinds: Counter,
) -> tuple[UnitCounts, UnitCounts]:
    """Write one pre-2025 province's districts, then its communes (which need the districts'
    ids). Every one of them ends on 30/06/2025."""
    district_counts, commune_counts = UnitCounts(), UnitCounts()

    create, update, in_source = [], [], []
    for source_district in source["districts"]:
        code = _gso_code(source_district["code"], DISTRICT_CODE_WIDTH, source_district["name"])
        values = {
            "name": source_district["name"],
            "kind": _kind_from_name(
                source_district["name"], DISTRICT_PREFIXES, model=District, code=code
            ),
            "province_id": province.pk,
            "valid_to": LEGACY_VALID_TO,
        }
        district = districts.get(code)
        if district is None:
            districts[code] = district = District(code=code, **values)
            create.append(district)
        elif _apply(district, values):
            update.append(district)
        else:
            district_counts.unchanged += 1
        in_source.append((district, source_district["wards"]))
    _save(District, create=create, update=update, fields=["name", "kind", "province", "valid_to"])
    district_counts.created, district_counts.updated = len(create), len(update)

    create, update = [], []
    for district, wards in in_source:
        for ward in wards:
            code = _gso_code(ward["code"], COMMUNE_CODE_WIDTH, ward["name"])
            values = {
                "name": ward["name"],
                "kind": _kind_from_name(ward["name"], COMMUNE_PREFIXES, model=Commune, code=code),
                "district_id": district.pk,
                "province_id": province.pk,
                "valid_to": LEGACY_VALID_TO,
            }
            commune_kinds[values["kind"]] += 1
            _stage_commune(
                communes,
                code,
                values,
                region=province.region,
                create=create,
                update=update,
                counts=commune_counts,
            )
    _save(
        Commune,
        create=create,
        update=update,
        fields=["name", "kind", "district", "province", "region", "valid_to"],
    )
    commune_counts.created, commune_counts.updated = len(create), len(update)
    return district_counts, commune_counts


def closed_unit_message(unit) -> str:
    """Why a unit that has ended gets no new account."""
    return _(
        "%(unit)s existed until %(day)s: a new account can only be bound to a unit that "
        "exists today."
    ) % {"unit": unit.name, "day": f"{unit.valid_to:%d/%m/%Y}" if unit.valid_to else ""}


def bind_new_account(*, account, role: str, unit, by) -> Membership:
    """Bind ``account``, created in the same transaction, to ``unit`` with ``role``: the one way
    a province's administrator gives an account a membership (communes.user_admin). Refuses
    an account that has a membership already or holds power (superuser, staff), and a unit
    outside ``by``'s subtree: binding an existing account is how an account above the
    administrator was taken over. Refuses a unit not valid today (ValidationError): a unit
    that ended on 30/06/2025 gets no new account.

    Side effects: creates one Membership.
    """
    with transaction.atomic():
        if Membership.objects.filter(user=account).exists() or (
            account.is_superuser or account.is_staff
        ):
            raise PermissionDenied(_("Only a new account without any rights can be bound here."))
        if not scoped(by, type(unit).objects.filter(pk=unit.pk)).exists():
            raise PermissionDenied(_("This unit is outside your area."))
        if not unit.is_valid_on(timezone.localdate()):
            raise ValidationError(closed_unit_message(unit))
        membership = Membership(user=account, role=role)
        setattr(membership, type(unit).__name__.lower(), unit)
        membership.full_clean()
        membership.save()
        return membership


def _stage_commune(communes, code, values, *, region, create, update, counts) -> None:
    commune = communes.get(code)
    if commune is None:
        communes[code] = commune = Commune(code=code, region=region, **values)
        create.append(commune)
        return
    changed = _apply(commune, values)
    # A blank region was never chosen by anyone (e.g. a row made before regions were mapped),
    # so it gets the default; any other value may be an admin's correction.
    if not commune.region and region:
        commune.region = region
        changed = True
    if changed:
        update.append(commune)
    else:
        counts.unchanged += 1


def _agreed_region(regions: Iterable[str]) -> str:
    """The one region all the given ones agree on, else blank: a merged unit whose
    predecessors lay in different regions has no region until an admin chooses one."""
    distinct = set(regions)
    if len(distinct) == 1:
        return distinct.pop()
    return ""


def _load_new_provinces(
    divisions: list[dict], *, lineage: list[Link], summary: UnitCounts
) -> dict[str, Province]:
    predecessors = defaultdict(list)
    for link in lineage:
        predecessors[link.new_code].append(link.old_code)
    staged = {}
    for source in divisions:
        code = _code_of(source)
        kind = NEW_PROVINCE_KINDS.get(source["type"])
        if kind is None:
            raise AdminUnitDataError(
                _("Province %(code)s “%(name)s” has an unknown type “%(type)s”.")
                % {"code": code, "name": source["name"], "type": source["type"]}
            )
        values = {
            "name": source["name"],
            "kind": kind,
            "region": _agreed_region(PROVINCE_REGIONS.get(old, "") for old in predecessors[code]),
            "valid_from": MERGER_DATE,
            "valid_to": None,
        }
        staged[code] = values
    existing = {p.code: p for p in Province.objects.valid_on(MERGER_DATE)}
    return _store_provinces(existing, staged, summary=summary)


def _load_new_province_communes(
    source: dict,
    *,
    province: Province,
    communes: dict[str, Commune],
    legacy_communes: dict[str, Commune],
    predecessors: dict[str, list[Link]],
    commune_kinds: Counter,
) -> UnitCounts:
    """Write one new province's communes: no district, open-ended from 01/07/2025."""
    counts = UnitCounts()
    create, update = [], []
    for ward in source["wards"]:
        code = _gso_code(ward["code"], COMMUNE_CODE_WIDTH, ward["name"])
        kind = NEW_COMMUNE_KINDS.get(ward["type"])
        if kind is None:
            raise AdminUnitDataError(
                _("Commune %(code)s “%(name)s” has an unknown type “%(type)s”.")
                % {"code": code, "name": ward["name"], "type": ward["type"]}
            )
        values = {
            "name": ward["name"],
            "kind": kind,
            "district_id": None,
            "province_id": province.pk,
            "valid_from": MERGER_DATE,
            "valid_to": None,
        }
        commune_kinds[kind] += 1
        links = predecessors.get(code, [])
        if links:
            # A loaded predecessor's own region (an admin may have corrected it), else the
            # region of the province it lay in.
            region = _agreed_region(
                legacy_communes[link.old_code].region
                if link.old_code in legacy_communes
                else PROVINCE_REGIONS.get(link.old_province_code, "")
                for link in links
            )
        else:
            region = province.region
        _stage_commune(
            communes, code, values, region=region, create=create, update=update, counts=counts
        )
    _save(
        Commune,
        create=create,
        update=update,
        fields=["name", "kind", "district", "province", "region", "valid_from", "valid_to"],
    )
    counts.created, counts.updated = len(create), len(update)
    return counts


def _load_links(model, lineage: list[Link], *, old: dict, new: dict, source: str, summary):
    """Create or update the lineage links whose two units are loaded; returns how many links
    of the table were skipped because one of their units is not."""
    existing = {(link.predecessor_id, link.successor_id): link for link in model.objects.all()}
    create, update, skipped = [], [], 0
    for link in lineage:
        predecessor, successor = old.get(link.old_code), new.get(link.new_code)
        if predecessor is None or successor is None:
            skipped += 1
            continue
        values = {
            "effective_on": MERGER_DATE,
            "partly_merged": link.partly_merged,
            "source": source,
        }
        row = existing.get((predecessor.pk, successor.pk))
        if row is None:
            row = model(predecessor=predecessor, successor=successor, **values)
            existing[(predecessor.pk, successor.pk)] = row
            create.append(row)
        elif _apply(row, values):
            update.append(row)
        else:
            summary.unchanged += 1
    model.objects.bulk_create(create, batch_size=BATCH_SIZE)
    if update:
        model.objects.bulk_update(
            update, ["effective_on", "partly_merged", "source"], batch_size=BATCH_SIZE
        )
    summary.created += len(create)
    summary.updated += len(update)
    return skipped
