"""Both eras of units (before and since 01/07/2025), dated identity and the lineage.

The session database holds both eras of the demo provinces (38, 42, 46, 80; tests/conftest.py)
and the lineage between the units it holds."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from vietnam_provinces import _province_conversion_2025 as province_conversion
from vietnam_provinces import _ward_conversion_2025 as ward_conversion
from vietnam_provinces import legacy

from communes.enums import CommuneKind, ProvinceKind, Region
from communes.models import (
    LEGACY_VALID_TO,
    MERGER_DATE,
    Commune,
    CommuneSuccession,
    District,
    Membership,
    Province,
    ProvinceSuccession,
)
from communes.selectors import unit_by_code, units_with_code
from communes.services import CONVERSION_EFFECTIVE_DATE, load_admin_units
from tests.factories import make_commune, make_district, make_province

pytestmark = pytest.mark.django_db

BEFORE = datetime.date(2025, 6, 30)
AFTER = datetime.date(2025, 7, 1)


def test_merger_date_is_the_conversion_tables_effective_date():
    assert MERGER_DATE == CONVERSION_EFFECTIVE_DATE
    assert MERGER_DATE - datetime.timedelta(days=1) == LEGACY_VALID_TO


@pytest.mark.parametrize(
    ("model", "code", "before", "after"),
    [
        (Commune, "18838", "Xã Lâm Hợp", "Xã Kỳ Lạc"),
        (Commune, "16072", "Xã Phú Lộc", "Xã Hoa Lộc"),
        (Province, "80", "Tỉnh Long An", "Tỉnh Tây Ninh"),
    ],
)
def test_reused_code_resolves_by_date(model, code, before, after):
    assert unit_by_code(model, code, on=datetime.date(2020, 9, 8)).name == before
    assert unit_by_code(model, code, on=BEFORE).name == before
    assert unit_by_code(model, code, on=AFTER).name == after
    assert unit_by_code(model, code).name == after  # today
    old, new = units_with_code(model, code)
    assert (old.name, old.valid_to, new.name, new.valid_from, new.valid_to) == (
        before,
        LEGACY_VALID_TO,
        after,
        MERGER_DATE,
        None,
    )


def test_unit_by_code_accepts_a_scoped_queryset_and_says_when_nothing_held_the_code():
    hatinh = unit_by_code(Province, "42", on=BEFORE)
    communes = Commune.objects.filter(province=hatinh)
    assert unit_by_code(communes, "18838", on=BEFORE).name == "Xã Lâm Hợp"
    with pytest.raises(Commune.DoesNotExist):
        unit_by_code(communes, "18838", on=AFTER)  # Kỳ Lạc belongs to the new Hà Tĩnh
    with pytest.raises(District.DoesNotExist):
        unit_by_code(District, "447", on=AFTER)  # no districts since 01/07/2025


def test_old_units_end_on_30_06_2025_and_new_ones_start_on_01_07_2025():
    assert not District.objects.filter(code="447").exclude(valid_to=LEGACY_VALID_TO).exists()
    new_hatinh = unit_by_code(Province, "42", on=AFTER)
    communes = new_hatinh.communes.all()
    assert communes.count() == len(
        [w for w in ward_conversion.NEW_TO_OLD.values() if w.new_ward.province_code == 42]
    )
    assert not communes.exclude(valid_from=MERGER_DATE, valid_to=None).exists()
    assert not communes.filter(district__isnull=False).exists()


def test_new_units_keep_their_kind_and_a_region_derived_from_predecessors():
    ky_lac = unit_by_code(Commune, "18838", on=AFTER)
    assert (ky_lac.kind, ky_lac.region) == (CommuneKind.COMMUNE, Region.BTB)
    assert unit_by_code(Commune, "18118", on=AFTER).kind == CommuneKind.WARD
    assert unit_by_code(Province, "42", on=AFTER).region == Region.BTB
    assert unit_by_code(Province, "46", on=AFTER).kind == ProvinceKind.CITY
    # Tây Ninh took Long An (Mekong delta) and the old Tây Ninh (Southeast): no single region,
    # so none is invented.
    assert unit_by_code(Province, "80", on=AFTER).region == ""


def test_commune_lineage_matches_the_conversion_table():
    ky_lac = unit_by_code(Commune, "18838", on=AFTER)
    links = ky_lac.predecessor_links.select_related("predecessor").order_by("predecessor__code")
    assert [(link.predecessor.name, link.partly_merged) for link in links] == [
        ("Xã Lâm Hợp", False),
        ("Xã Kỳ Lạc", False),
    ]
    assert {link.effective_on for link in links} == {MERGER_DATE}
    assert {link.legal_basis for link in links} == {""}  # not in the package: left blank
    assert all("BangChuyendoi" in link.source for link in links)
    # Bình Trinh Đông went partly to Xã Nhựt Tảo.
    nhut_tao = unit_by_code(Commune, "28087", on=AFTER)
    partly = {
        link.predecessor.code: link.partly_merged
        for link in nhut_tao.predecessor_links.select_related("predecessor")
    }
    assert partly == {
        str(old.code): old.is_partly_merged for old in ward_conversion.NEW_TO_OLD[28087].old_wards
    }
    assert partly["28057"] is True


def test_province_lineage_links_long_an_to_tay_ninh():
    long_an = unit_by_code(Province, "80", on=BEFORE)
    assert [link.successor.name for link in long_an.successor_links.all()] == ["Tỉnh Tây Ninh"]
    hatinh = unit_by_code(Province, "42", on=AFTER)
    assert [link.predecessor.name for link in hatinh.predecessor_links.all()] == ["Tỉnh Hà Tĩnh"]


def test_loading_a_demo_province_again_changes_nothing():
    counts = (Province.objects.count(), Commune.objects.count(), CommuneSuccession.objects.count())
    summary = load_admin_units(province_codes=["42", "80"])
    assert not summary.changed
    assert summary.new_communes.unchanged > 0 and summary.commune_links.unchanged > 0
    assert counts == (
        Province.objects.count(),
        Commune.objects.count(),
        CommuneSuccession.objects.count(),
    )


def test_a_database_loaded_before_the_eras_is_brought_forward():
    """Units loaded by the old loader had no dates: the loader closes them on 30/06/2025."""
    lam_hop = unit_by_code(Commune, "18838", on=BEFORE)
    ky_lac = unit_by_code(Commune, "18838", on=AFTER)
    CommuneSuccession.objects.filter(successor=ky_lac).delete()
    Membership.objects.filter(commune=ky_lac).delete()  # the 2026 demo account
    ky_lac.delete()
    Commune.objects.filter(pk=lam_hop.pk).update(valid_to=None)

    summary = load_admin_units(province_codes=["42"])

    lam_hop.refresh_from_db()
    assert lam_hop.valid_to == LEGACY_VALID_TO
    assert unit_by_code(Commune, "18838", on=AFTER).name == "Xã Kỳ Lạc"
    assert (summary.communes.updated, summary.new_communes.created) == (1, 1)
    assert summary.commune_links.created == 2


def test_no_two_open_ended_or_undated_units_share_a_code():
    province = make_province()
    with pytest.raises(IntegrityError), transaction.atomic():
        Province.objects.create(code=province.code, name="Tỉnh Trùng", kind=province.kind)
    district = make_district(valid_from=datetime.date(2020, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_district(code=district.code, valid_from=datetime.date(2021, 1, 1))


def test_clean_refuses_a_unit_that_overlaps_another_with_its_code():
    old = make_commune(valid_to=LEGACY_VALID_TO)
    overlapping = Commune(
        code=old.code,
        name="Xã Chồng Lấn",
        kind=CommuneKind.COMMUNE,
        province=old.province,
        valid_from=datetime.date(2025, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        overlapping.full_clean()
    assert old.name in str(error.value)

    successor = Commune(
        code=old.code,
        name="Xã Kế Tiếp",
        kind=CommuneKind.COMMUNE,
        province=old.province,
        valid_from=MERGER_DATE,
    )
    successor.full_clean()  # the day after: allowed


def test_natural_key_is_code_and_start():
    ky_lac = unit_by_code(Commune, "18838", on=AFTER)
    lam_hop = unit_by_code(Commune, "18838", on=BEFORE)
    assert ky_lac.natural_key() == ("18838", "2025-07-01")
    assert Commune.objects.get_by_natural_key(*ky_lac.natural_key()) == ky_lac
    assert Commune.objects.get_by_natural_key(*lam_hop.natural_key()) == lam_hop
    assert Commune.objects.get_by_natural_key("18838") == lam_hop  # older one-field keys


@pytest.mark.slow
def test_whole_country_both_eras_and_the_lineage_load_once():
    summary = load_admin_units()

    assert Province.objects.valid_on(BEFORE).count() == 63
    assert District.objects.valid_on(BEFORE).count() == 696
    assert Commune.objects.valid_on(BEFORE).count() == 10_051
    assert Province.objects.valid_on(AFTER).count() == 34
    assert District.objects.valid_on(AFTER).count() == 0
    assert Commune.objects.valid_on(AFTER).count() == 3_321
    new_kinds = dict(Commune.objects.valid_on(AFTER).values_list("kind").annotate(n=Count("pk")))
    assert new_kinds == {
        CommuneKind.COMMUNE: 2_621,
        CommuneKind.WARD: 687,
        CommuneKind.SPECIAL_ZONE: 13,
    }

    # The package's links, counted from its own tables: every province link, and every
    # commune link whose old code is in the package's pre-2025 list (a few rows of the
    # official table name old codes the list does not have).
    legacy_codes = {int(w.code) for w in legacy.Ward.iter_all()}
    package_commune_links = sum(
        len(entry.new_wards)
        for code, entry in ward_conversion.OLD_TO_NEW.items()
        if code in legacy_codes
    )
    package_province_links = sum(
        len(entry.new_provinces) for entry in province_conversion.OLD_TO_NEW.values()
    )
    assert ProvinceSuccession.objects.count() == package_province_links == 64
    assert CommuneSuccession.objects.count() == package_commune_links
    assert summary.links_skipped == (
        sum(len(e.new_wards) for e in ward_conversion.OLD_TO_NEW.values()) - package_commune_links
    )
    # Every new commune but the few the table gives no predecessor has at least one.
    orphans = Commune.objects.valid_on(AFTER).filter(predecessor_links__isnull=True).count()
    assert orphans == 3_321 - len(
        {e.new_ward.code for e in ward_conversion.NEW_TO_OLD.values()}
        & {int(c) for c in Commune.objects.valid_on(AFTER).values_list("code", flat=True)}
    )

    counts = (Province.objects.count(), Commune.objects.count(), CommuneSuccession.objects.count())
    again = load_admin_units()
    assert not again.changed
    assert counts == (
        Province.objects.count(),
        Commune.objects.count(),
        CommuneSuccession.objects.count(),
    )
