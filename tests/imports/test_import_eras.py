"""Imports across the 2025 merger: a sheet's date chooses the map of units. A 2020 sheet with
old names matches the old communes of that date, a 2026 sheet the new ones, and a 2026 sheet
naming a commune closed on 30/06/2025 gets a cell error naming what it became."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from communes.models import Commune, CommuneSuccession, Province
from criteria.imports import services
from criteria.imports.services import ImportOptions
from criteria.models import CriteriaSet
from tests.factories import new_unit

from .workbooks import marks, summary_sheet, to_bytes

pytestmark = pytest.mark.django_db

SHEET_2020 = "(Số liệu tính đến ngày 31/12/2020)"
SHEET_2026 = "(Số liệu tính đến ngày 01/3/2026)"


@pytest.fixture
def admin():
    return get_user_model().objects.get(username="admin")


def dry_run(user, rows, set_code, as_of, *, n_criteria, with_codes=True, **options):
    criteria_set = CriteriaSet.objects.get(code=set_code)
    wb = summary_sheet(
        rows, n_criteria=n_criteria, as_of=as_of, with_codes=with_codes, with_total=False
    )
    return services.dry_run(
        user=user,
        data=to_bytes(wb),
        file_name="tong-hop.xlsx",
        options=ImportOptions(criteria_set_id=criteria_set.pk, **options),
    )


def sheet_2020(user, rows, **options):
    return dry_run(user, rows, "NTM_XA_2016_2020", SHEET_2020, n_criteria=19, **options)


def sheet_2026(user, rows, **options):
    return dry_run(user, rows, "NTM_XA_2026_2030", SHEET_2026, n_criteria=10, **options)


def test_2020_sheet_with_old_names_matches_the_old_communes(admin):
    # The province chosen is today's Hà Tĩnh; the sheet's date picks the communes of 2020.
    ha_tinh = new_unit(Province, "42")
    rows = [("", "Xã Lâm Hợp", marks(met=[1]), None), ("", "Xã Kỳ Lạc", marks(), None)]

    preview = sheet_2020(admin, rows, with_codes=False, province_id=ha_tinh.pk)

    assert preview.errors == []
    old_ky_lac = Commune.objects.get(name="Xã Kỳ Lạc", valid_to__isnull=False)
    assert [(r.unit, r.code) for r in preview.rows] == [
        ("Xã Lâm Hợp", "18838"),
        ("Xã Kỳ Lạc", old_ky_lac.code),
    ]
    # Both on the map of 2020: in a district (there are none since 01/07/2025).
    assert all(r.district for r in preview.rows)


def test_2020_sheet_by_code_reads_the_code_on_its_date(admin):
    rows = [("18838", "Xã Lâm Hợp", marks(met=[1, 2]), None)]

    preview = sheet_2020(admin, rows)

    assert preview.errors == []
    assert [(r.unit, r.district) for r in preview.rows] == [("Xã Lâm Hợp", "Huyện Kỳ Anh")]


def test_2026_sheet_matches_the_new_communes(admin):
    ha_tinh = new_unit(Province, "42")
    by_code = sheet_2026(admin, [("18838", "Xã Kỳ Lạc", marks(n=10, met=[1]), None)])
    by_name = sheet_2026(
        admin,
        [("", "Xã Kỳ Lạc", marks(n=10, met=[1]), None)],
        with_codes=False,
        province_id=ha_tinh.pk,
    )

    assert by_code.errors == [] and by_name.errors == []
    for preview in (by_code, by_name):
        assert [(r.unit, r.code, r.district) for r in preview.rows] == [("Xã Kỳ Lạc", "18838", "")]


def test_2026_sheet_naming_an_old_commune_names_its_successor_in_vietnamese(admin):
    ha_tinh = new_unit(Province, "42")
    rows = [("", "Xã Lâm Hợp", marks(n=10, met=[1]), None)]

    with translation.override("vi"):
        preview = sheet_2026(admin, rows, with_codes=False, province_id=ha_tinh.pk)

    (error,) = preview.errors
    assert error.cell == "C8"
    assert "Xã Lâm Hợp (18838) chỉ tồn tại đến 30/06/2025" in error.message
    assert "nay thuộc Xã Kỳ Lạc (18838)" in error.message
    assert preview.counts["rejected"] == 1


def test_2026_sheet_with_an_old_code_and_name_names_the_successor(admin):
    # 18838 is Xã Kỳ Lạc on the sheet's date; the row means the Lâm Hợp of before.
    rows = [("18838", "Xã Lâm Hợp", marks(n=10, met=[1]), None)]

    preview = sheet_2026(admin, rows)

    (error,) = preview.errors
    assert "existed until 30/06/2025" in error.message
    assert "Xã Kỳ Lạc (18838)" in error.message


def test_2026_sheet_with_a_code_no_longer_used_names_the_successor(admin):
    # An old commune of Hà Tĩnh whose code no new commune took.
    link = (
        CommuneSuccession.objects.filter(predecessor__province__code="42")
        .exclude(
            predecessor__code__in=Commune.objects.filter(valid_from__isnull=False).values("code")
        )
        .select_related("predecessor", "successor")
        .order_by("predecessor__code")
        .first()
    )
    old = link.predecessor
    rows = [(old.code, old.name, marks(n=10, met=[1]), None)]

    preview = sheet_2026(admin, rows)

    (error,) = preview.errors
    assert f"{old.name} ({old.code}) existed until 30/06/2025" in error.message
    assert f"{link.successor.name} ({link.successor.code})" in error.message


def test_2020_sheet_naming_a_new_commune_names_its_predecessors(admin):
    ha_tinh = new_unit(Province, "42")
    # A commune formed on 01/07/2025 whose name no 2020 commune of the province had.
    formed = (
        Commune.objects.filter(province=ha_tinh, predecessor_links__isnull=False)
        .exclude(name__in=Commune.objects.filter(valid_to__isnull=False).values("name"))
        .distinct()
        .order_by("code")
        .first()
    )
    rows = [("", formed.name, marks(met=[1]), None)]

    preview = sheet_2020(admin, rows, with_codes=False, province_id=ha_tinh.pk)

    (error,) = preview.errors
    assert f"{formed.name} ({formed.code}) was formed on 01/07/2025" in error.message
    predecessor = formed.predecessor_links.select_related("predecessor").first().predecessor
    assert predecessor.name in error.message
