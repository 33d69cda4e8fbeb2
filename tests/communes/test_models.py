"""Unit models: effective region, validity, and the named constraints."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from communes.enums import Region, Role
from communes.models import Commune, Membership, Province
from tests.factories import make_commune, make_district, make_province, make_user

pytestmark = pytest.mark.django_db

JAN_2020 = datetime.date(2020, 1, 1)
DEC_2024 = datetime.date(2024, 12, 31)


def test_effective_region_is_tdmnpb_for_especially_difficult_commune():
    commune = Commune(region=Region.BTB, is_especially_difficult=True)

    assert commune.effective_region == Region.TDMNPB


def test_effective_region_is_own_region_otherwise():
    commune = Commune(region=Region.BTB, is_especially_difficult=False)

    assert commune.effective_region == Region.BTB


def test_is_valid_on_with_open_validity_is_always_true():
    commune = Commune(valid_from=None, valid_to=None)

    assert commune.is_valid_on(datetime.date(1976, 7, 2))
    assert commune.is_valid_on(datetime.date(2099, 1, 1))


def test_is_valid_on_with_closed_validity_includes_both_ends():
    commune = Commune(valid_from=JAN_2020, valid_to=DEC_2024)

    assert not commune.is_valid_on(datetime.date(2019, 12, 31))
    assert commune.is_valid_on(JAN_2020)
    assert commune.is_valid_on(DEC_2024)
    assert not commune.is_valid_on(datetime.date(2025, 1, 1))


def test_is_valid_on_with_half_open_validity():
    since_2020 = Commune(valid_from=JAN_2020)
    until_2024 = Commune(valid_to=DEC_2024)

    assert not since_2020.is_valid_on(datetime.date(2019, 12, 31))
    assert since_2020.is_valid_on(datetime.date(2099, 1, 1))
    assert until_2024.is_valid_on(datetime.date(1976, 7, 2))
    assert not until_2024.is_valid_on(datetime.date(2025, 1, 1))


def test_valid_on_queryset_agrees_with_is_valid_on():
    district = make_district()
    communes = [
        make_commune(district=district),
        make_commune(district=district, valid_from=JAN_2020, valid_to=DEC_2024),
        make_commune(district=district, valid_from=JAN_2020),
        make_commune(district=district, valid_to=DEC_2024),
    ]
    mine = Commune.objects.filter(district=district)

    for day in [datetime.date(2019, 6, 1), JAN_2020, DEC_2024, datetime.date(2025, 7, 1)]:
        expected = {c.pk for c in communes if c.is_valid_on(day)}
        assert set(mine.valid_on(day).values_list("pk", flat=True)) == expected, day
    assert set(mine.valid_on(datetime.date(2022, 1, 1))) == set(communes)
    assert set(mine.valid_on(datetime.date(2025, 7, 1))) == {communes[0], communes[2]}


def test_valid_on_queryset_works_for_provinces():
    province = make_province(valid_to=DEC_2024)

    assert Province.objects.valid_on(JAN_2020).filter(pk=province.pk).exists()
    assert not Province.objects.valid_on(datetime.date(2025, 1, 1)).filter(pk=province.pk).exists()


def test_validity_constraint_rejects_end_before_start():
    commune = make_commune()

    with (
        pytest.raises(IntegrityError, match="communes_commune_validity_ordered"),
        transaction.atomic(),
    ):
        Commune.objects.filter(pk=commune.pk).update(valid_from=DEC_2024, valid_to=JAN_2020)


def test_validity_constraint_allows_same_day_and_open_ends():
    commune = make_commune()

    Commune.objects.filter(pk=commune.pk).update(valid_from=JAN_2020, valid_to=JAN_2020)
    Commune.objects.filter(pk=commune.pk).update(valid_from=None, valid_to=JAN_2020)

    commune.refresh_from_db()
    assert commune.valid_to == JAN_2020


def test_validity_constraint_is_reported_by_full_clean():
    commune = make_commune()
    commune.valid_from, commune.valid_to = DEC_2024, JAN_2020

    with pytest.raises(ValidationError, match="communes_commune_validity_ordered"):
        commune.full_clean()


def test_membership_constraint_rejects_commune_official_bound_to_district():
    user = make_user()
    district = make_district()

    with (
        pytest.raises(IntegrityError, match="membership_role_matches_unit"),
        transaction.atomic(),
    ):
        Membership.objects.create(user=user, role=Role.COMMUNE_OFFICIAL, district=district)


def test_membership_constraint_accepts_commune_official_bound_to_commune():
    user = make_user()
    commune = make_commune()

    membership = Membership.objects.create(user=user, role=Role.COMMUNE_OFFICIAL, commune=commune)

    assert membership.unit == commune
