"""Write workflows for administrative units. Each function's docstring lists its side effects."""

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import vietnam_provinces
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from reports.cache import record_change

from .enums import CommuneKind, DistrictKind, ProvinceKind
from .models import Commune, District, Membership, Province
from .regions import PROVINCE_REGIONS
from .selectors import scoped

# The pre-2025 list (63 provinces, 696 districts, 10,051 communes). The nested file is the one
# to read: the flat list drops the five island districts that have no communes.
NESTED_DIVISIONS_PATH = Path(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH)

# The package's `division_type` is wrong (every unit of a level has the same type), so the kind
# comes from the name. The source is inconsistent about case ("Thành Phố Bắc Kạn",
# "Thành Phố Đồng Hới"), hence the case-insensitive match in _kind_from_name.
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
    provinces: UnitCounts = field(default_factory=UnitCounts)
    districts: UnitCounts = field(default_factory=UnitCounts)
    communes: UnitCounts = field(default_factory=UnitCounts)
    # CommuneKind value -> number of communes in the loaded provinces (the source's split).
    commune_kinds: Counter = field(default_factory=Counter)

    @property
    def totals(self) -> UnitCounts:
        return self.provinces + self.districts + self.communes

    @property
    def changed(self) -> bool:
        totals = self.totals
        return bool(totals.created or totals.updated)


@dataclass(frozen=True)
class ProvinceProgress:
    """Reported after one province's districts and communes are written."""

    index: int  # 1-based, among the provinces whose units are loaded
    total: int
    code: str
    name: str
    districts: UnitCounts
    communes: UnitCounts


def read_nested_divisions(path: Path = NESTED_DIVISIONS_PATH) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_admin_units(
    *,
    province_codes: Iterable[str | int] | None = None,
    progress: Callable[[ProvinceProgress], None] | None = None,
    divisions: list[dict] | None = None,
) -> AdminUnitLoadSummary:
    """Create or update provinces, districts and communes from the vietnam-provinces list.

    ``divisions`` is the nested list as the package publishes it (read from the package when
    omitted). All provinces are always loaded; ``province_codes`` ("42" or 42) limits the
    districts and communes to those provinces. ``progress`` is called once per province whose
    units were loaded.

    Side effects, in one transaction:
    - creates missing Province, District and Commune rows, matched by GSO code;
    - updates name and kind when the source differs, Province.region when it differs from
      communes.regions, and a district's or commune's parent when the source moved it;
    - sets a new commune's region to its province's region, and fills a blank region on an
      existing commune; a region an admin chose is never overwritten;
    - never deletes rows and never touches valid_from / valid_to.

    Raises AdminUnitDataError, before anything is written, for an unknown province code, and
    (rolling back) for a unit whose kind cannot be told from its name.
    """
    if divisions is None:
        divisions = read_nested_divisions()
    source_codes = [_gso_code(p["code"], PROVINCE_CODE_WIDTH, p["name"]) for p in divisions]
    selected = _selected_provinces(province_codes, known=source_codes)

    summary = AdminUnitLoadSummary()
    with transaction.atomic():
        # Bulk writes send no signals: every province's cached reports may be stale.
        record_change(province_id=None)
        provinces = _load_provinces(divisions, summary=summary.provinces)
        # One query per model: existing rows are compared in memory. All rows, not only the
        # selected provinces', because codes are unique nationally and a unit may have moved.
        districts = {d.code: d for d in District.objects.only("code", "name", "kind", "province")}
        communes = {
            c.code: c
            for c in Commune.objects.only("code", "name", "kind", "district", "province", "region")
        }
        scope = [p for p in divisions if selected is None or _code_of(p) in selected]
        for index, source in enumerate(scope, start=1):
            province = provinces[_code_of(source)]
            district_counts, commune_counts = _load_province_units(
                source,
                province=province,
                districts=districts,
                communes=communes,
                commune_kinds=summary.commune_kinds,
            )
            summary.districts += district_counts
            summary.communes += commune_counts
            if progress is not None:
                progress(
                    ProvinceProgress(
                        index=index,
                        total=len(scope),
                        code=province.code,
                        name=province.name,
                        districts=district_counts,
                        communes=commune_counts,
                    )
                )
    return summary


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
            # Backends that cannot return ids from a bulk insert: fetch them by code.
            ids = dict(
                model.objects.filter(code__in=[obj.code for obj in create]).values_list(
                    "code", "pk"
                )
            )
            for obj in create:
                obj.pk = ids[obj.code]
    if update:
        model.objects.bulk_update(update, fields, batch_size=BATCH_SIZE)


def _load_provinces(divisions: list[dict], *, summary: UnitCounts) -> dict[str, Province]:
    existing = {p.code: p for p in Province.objects.all()}
    create, update = [], []
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
        }
        province = existing.get(code)
        if province is None:
            existing[code] = province = Province(code=code, **values)
            create.append(province)
        elif _apply(province, values):
            update.append(province)
        else:
            summary.unchanged += 1
    _save(Province, create=create, update=update, fields=["name", "kind", "region"])
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
    """Write one province's districts, then its communes (which need the districts' ids)."""
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
    _save(District, create=create, update=update, fields=["name", "kind", "province"])
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
            }
            commune_kinds[values["kind"]] += 1
            commune = communes.get(code)
            if commune is None:
                communes[code] = commune = Commune(code=code, region=province.region, **values)
                create.append(commune)
                continue
            changed = _apply(commune, values)
            # A blank region was never chosen by anyone (e.g. a row made before regions were
            # mapped), so it gets the default; any other value may be an admin's correction.
            if not commune.region and province.region:
                commune.region = province.region
                changed = True
            if changed:
                update.append(commune)
            else:
                commune_counts.unchanged += 1
    _save(
        Commune,
        create=create,
        update=update,
        fields=["name", "kind", "district", "province", "region"],
    )
    commune_counts.created, commune_counts.updated = len(create), len(update)
    return district_counts, commune_counts


def bind_new_account(*, account, role: str, unit, by) -> Membership:
    """Bind ``account``, created in the same transaction, to ``unit`` with ``role``: the one way
    a province's administrator gives an account a membership (communes.user_admin). Refuses
    an account that has a membership already or holds power (superuser, staff), and a unit
    outside ``by``'s subtree: binding an existing account is how an account above the
    administrator was taken over.

    Side effects: creates one Membership.
    """
    with transaction.atomic():
        if Membership.objects.filter(user=account).exists() or (
            account.is_superuser or account.is_staff
        ):
            raise PermissionDenied(_("Only a new account without any rights can be bound here."))
        if not scoped(by, type(unit).objects.filter(pk=unit.pk)).exists():
            raise PermissionDenied(_("This unit is outside your area."))
        membership = Membership(user=account, role=role)
        setattr(membership, type(unit).__name__.lower(), unit)
        membership.full_clean()
        membership.save()
        return membership
