"""`manage.py load_admin_units` and the service behind it.

The session database already holds all provinces of both eras and the units of the demo
provinces (tests/conftest.py), so loading one of those provinces again must change nothing.
The pre-2025 units are the ones valid on 30/06/2025 (tests/communes/test_eras.py covers the
units since 01/07/2025 and the lineage)."""

import copy
import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import translation

from communes import services
from communes.enums import CommuneKind, DistrictKind, ProvinceKind, Region
from communes.models import (
    LEGACY_VALID_TO,
    MERGER_DATE,
    Commune,
    CommuneSuccession,
    District,
    Province,
    ProvinceSuccession,
)
from communes.regions import PROVINCE_REGIONS
from communes.services import AdminUnitDataError, load_admin_units, read_nested_divisions
from tests.factories import legacy_unit

pytestmark = pytest.mark.django_db


def legacy(model):
    return model.objects.valid_on(LEGACY_VALID_TO)


ISLAND_DISTRICTS = {
    "318": "Huyện Bạch Long Vĩ",
    "471": "Huyện Cồn Cỏ",
    "498": "Huyện Hoàng Sa",
    "536": "Huyện Lý Sơn",
    "755": "Huyện Côn Đảo",
}


@pytest.fixture(scope="module")
def source():
    """The package's nested list, keyed by 2-digit province code."""
    return {f"{p['code']:02d}": p for p in read_nested_divisions()}


def source_codes(source_province):
    districts = {f"{d['code']:03d}" for d in source_province["districts"]}
    communes = {f"{w['code']:05d}" for d in source_province["districts"] for w in d["wards"]}
    return districts, communes


def run_command(*args, **options):
    """The command's output, in English so the assertions survive the Vietnamese catalogue."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_admin_units", *args, stdout=out, **options)
    return out.getvalue()


def test_load_province_creates_exactly_its_districts_and_communes(source):
    # Bắc Kạn (06) is not a demo province: its units are not in the session database yet.
    assert not District.objects.filter(province__code="06").exists()
    other_districts = District.objects.count()
    other_communes = Commune.objects.count()
    new_units = Commune.objects.filter(valid_from=MERGER_DATE).count()
    expected_districts, expected_communes = source_codes(source["06"])

    summary = load_admin_units(province_codes=["06"])

    assert summary.districts.created == len(expected_districts)
    assert summary.communes.created == len(expected_communes)
    assert summary.provinces.created == 0
    assert summary.provinces.unchanged == 63
    # Bắc Kạn's code is no province since 01/07/2025: no new commune is loaded for it.
    assert summary.new_provinces.unchanged == 34 and summary.new_communes.total == 0
    assert Commune.objects.filter(valid_from=MERGER_DATE).count() == new_units
    districts = District.objects.filter(province__code="06")
    communes = Commune.objects.filter(province__code="06")
    assert set(districts.values_list("code", flat=True)) == expected_districts
    assert set(communes.values_list("code", flat=True)) == expected_communes
    assert District.objects.count() == other_districts + len(expected_districts)
    assert Commune.objects.count() == other_communes + len(expected_communes)
    assert set(communes.values_list("region", flat=True)) == {Region.TDMNPB}
    assert not communes.exclude(district__province__code="06").exists()
    # The source spells this one "Thành Phố" (capital P); it is still a provincial city.
    assert legacy_unit(District, "058").kind == DistrictKind.CITY


def test_load_hatinh_sets_kinds_codes_parents_and_region(source):
    run_command(province=["42"], verbosity=0)

    lam_hop = legacy_unit(Commune.objects.select_related("district", "province"), "18838")
    assert lam_hop.name == "Xã Lâm Hợp"
    assert lam_hop.kind == CommuneKind.COMMUNE
    assert lam_hop.district.code == "447"
    assert lam_hop.district.name == "Huyện Kỳ Anh"
    assert lam_hop.district.kind == DistrictKind.RURAL_DISTRICT
    assert lam_hop.province.code == "42"
    assert lam_hop.region == Region.BTB

    ky_dong = legacy_unit(Commune.objects.filter(name="Thị trấn Kỳ Đồng"), "18775")
    assert ky_dong.kind == CommuneKind.TOWNSHIP
    bac_hong = legacy_unit(Commune.objects.select_related("district"), "18115")
    assert bac_hong.name == "Phường Bắc Hồng"
    assert bac_hong.kind == CommuneKind.WARD
    assert (bac_hong.district.code, bac_hong.district.kind) == ("437", DistrictKind.TOWN)

    hatinh = legacy_unit(Province, "42")
    assert (hatinh.name, hatinh.kind, hatinh.region) == (
        "Tỉnh Hà Tĩnh",
        ProvinceKind.PROVINCE,
        Region.BTB,
    )
    expected_districts, expected_communes = source_codes(source["42"])
    assert set(hatinh.districts.values_list("code", flat=True)) == expected_districts
    assert set(hatinh.communes.values_list("code", flat=True)) == expected_communes
    # The denormalised province always agrees with the district's.
    assert not hatinh.communes.exclude(district__province=hatinh).exists()


def test_load_accepts_province_code_as_int():
    summary = load_admin_units(province_codes=[42])

    assert summary.districts.unchanged == District.objects.filter(province__code="42").count()
    assert (
        summary.new_communes.unchanged
        == Commune.objects.filter(province__code="42", valid_from=MERGER_DATE).count()
    )
    assert summary.districts.total > 0


def test_second_run_changes_nothing_and_says_so(source):
    run_command(province=["42"])
    districts, communes = District.objects.count(), Commune.objects.count()
    expected_districts, expected_communes = source_codes(source["42"])
    new_communes = Commune.objects.filter(province__code="42", valid_from=MERGER_DATE).count()
    links = ProvinceSuccession.objects.count() + CommuneSuccession.objects.count()
    unchanged = 63 + len(expected_districts) + len(expected_communes) + 34 + new_communes + links

    out = run_command(province=["42"])

    assert f"0 created, 0 updated, {unchanged} unchanged" in out
    assert "Nothing to change" in out
    assert (District.objects.count(), Commune.objects.count()) == (districts, communes)
    summary = load_admin_units(province_codes=["42"])
    assert not summary.changed
    assert summary.communes.unchanged == len(expected_communes)


def test_summary_lists_counts_per_level_and_commune_kinds():
    out = run_command(province=["42"])

    lines = out.splitlines()
    # One line per province loaded, in each era.
    assert "[1/2] 42 Tỉnh Hà Tĩnh: 12 districts" in lines[0]
    assert lines[1].startswith("[2/2] 42 Tỉnh Hà Tĩnh: 0 districts")
    assert lines[1].endswith("(since 01/07/2025)")
    # Table rows: a label and three numbers (created, updated, unchanged).
    rows = (re.fullmatch(r"(.+?)\s+(\d+)\s+(\d+)\s+(\d+)", line) for line in lines)
    table = {m[1]: [m[2], m[3], m[4]] for m in rows if m}
    assert table["Provinces until 30/06/2025"] == ["0", "0", "63"]
    assert table["Provinces since 01/07/2025"] == ["0", "0", "34"]
    assert table["Districts until 30/06/2025"] == ["0", "0", "12"]
    kinds = Counter(legacy(Commune).filter(province__code="42").values_list("kind", flat=True))
    assert table["Communes until 30/06/2025"] == ["0", "0", str(sum(kinds.values()))]
    new = Commune.objects.filter(province__code="42", valid_from=MERGER_DATE)
    assert table["Communes since 01/07/2025"] == ["0", "0", str(new.count())]
    assert table["Commune lineage links"] == ["0", "0", str(CommuneSuccession.objects.count())]
    kinds += Counter(new.values_list("kind", flat=True))
    assert f"Commune (xã) {kinds[CommuneKind.COMMUNE]}" in out
    assert f"Ward (phường) {kinds[CommuneKind.WARD]}" in out
    assert f"Township (thị trấn) {kinds[CommuneKind.TOWNSHIP]}" in out


def test_verbosity_zero_prints_nothing():
    assert run_command(province=["42"], verbosity=0) == ""


def test_renamed_commune_gets_its_name_back_and_keeps_admin_region():
    legacy(Commune).filter(code="18838").update(name="Xã Sai Tên", region=Region.TDMNPB)

    summary = load_admin_units(province_codes=["42"])

    assert (summary.communes.created, summary.communes.updated) == (0, 1)
    lam_hop = legacy_unit(Commune, "18838")
    assert lam_hop.name == "Xã Lâm Hợp"
    assert lam_hop.region == Region.TDMNPB


def test_blank_commune_region_gets_the_province_region():
    legacy(Commune).filter(code="18838").update(region="")

    summary = load_admin_units(province_codes=["42"])

    assert summary.communes.updated == 1
    assert legacy_unit(Commune, "18838").region == Region.BTB


def test_changed_kind_and_parent_are_restored_and_the_start_is_left_alone():
    legacy(Commune).filter(code="18775").update(
        kind=CommuneKind.WARD,
        district=legacy_unit(District, "437"),
        valid_from="2008-04-01",
    )

    summary = load_admin_units(province_codes=["42"])

    assert summary.communes.updated == 1
    ky_dong = legacy_unit(Commune, "18775")
    assert ky_dong.kind == CommuneKind.TOWNSHIP
    assert ky_dong.district.code == "447"
    assert (str(ky_dong.valid_from), str(ky_dong.valid_to)) == ("2008-04-01", "2025-06-30")


def test_unknown_province_raises_command_error():
    with pytest.raises(CommandError, match="99"):
        run_command(province=["42", "99"])


def test_malformed_province_code_raises():
    with pytest.raises(AdminUnitDataError, match="4-2"):
        load_admin_units(province_codes=["4-2"])


def test_unknown_name_prefix_raises_command_error_naming_the_unit_and_rolls_back(
    monkeypatch, source
):
    divisions = copy.deepcopy(list(source.values()))
    hatinh = next(p for p in divisions if p["code"] == 42)
    hatinh["districts"][0]["name"] = "Huyện Đổi Tên"
    ward = next(w for d in hatinh["districts"] for w in d["wards"] if w["code"] == 18838)
    ward["name"] = "Làng Lâm Hợp"
    monkeypatch.setattr(services, "read_nested_divisions", lambda: divisions)
    district_code = f"{hatinh['districts'][0]['code']:03d}"
    district_name = legacy_unit(District, district_code).name

    with pytest.raises(CommandError, match="18838 “Làng Lâm Hợp”"):
        run_command(province=["42"])

    # The district renamed before the error is rolled back with everything else.
    assert legacy_unit(District, district_code).name == district_name
    assert legacy_unit(Commune, "18838").name == "Xã Lâm Hợp"


def test_every_source_province_has_a_region(source):
    assert set(PROVINCE_REGIONS) == set(source)
    assert not legacy(Province).filter(region="").exists()


def test_region_counts_match_the_seven_regions():
    assert Counter(PROVINCE_REGIONS.values()) == {
        Region.TDMNPB: 14,
        Region.DBSH: 11,
        Region.BTB: 6,
        Region.DHNTB: 8,
        Region.TN: 5,
        Region.DNB: 6,
        Region.DBSCL: 13,
    }


def test_centrally_run_cities_are_cities():
    cities = legacy(Province).filter(kind=ProvinceKind.CITY)

    # Hà Nội, Hải Phòng, Huế, Đà Nẵng, Hồ Chí Minh City, Cần Thơ.
    assert set(cities.values_list("code", flat=True)) == {"01", "31", "46", "48", "79", "92"}
    assert legacy(Province).count() == 63


@pytest.mark.slow
def test_load_whole_country_counts_kinds_and_is_idempotent():
    summary = load_admin_units()

    assert legacy(Province).count() == 63
    assert legacy(District).count() == 696
    assert legacy(Commune).count() == 10_051
    kinds = dict(legacy(Commune).values_list("kind").annotate(n=Count("pk")))
    assert kinds == {
        CommuneKind.COMMUNE: 7_717,
        CommuneKind.WARD: 1_716,
        CommuneKind.TOWNSHIP: 618,
    }
    all_kinds = dict(Commune.objects.values_list("kind").annotate(n=Count("pk")))
    assert summary.commune_kinds == all_kinds
    assert all_kinds[CommuneKind.SPECIAL_ZONE] == 13
    assert not legacy(Commune).filter(region="").exists()
    assert not legacy(Commune).exclude(province=F("district__province")).exists()
    islands = District.objects.filter(code__in=ISLAND_DISTRICTS).annotate(n=Count("communes"))
    assert {d.code: (d.name, d.n) for d in islands} == {
        code: (name, 0) for code, name in ISLAND_DISTRICTS.items()
    }

    again = load_admin_units()

    assert not again.changed
    links = ProvinceSuccession.objects.count() + CommuneSuccession.objects.count()
    assert again.totals.unchanged == 63 + 696 + 10_051 + 34 + 3_321 + links
