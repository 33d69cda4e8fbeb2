"""Everyone reads only their own subtree."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from communes.enums import Role
from communes.models import Commune, Membership, Province
from communes.selectors import (
    can_import,
    communes_for_user,
    districts_for_user,
    provinces_for_user,
    unit_scope_q,
    villages_for_user,
)
from criteria.models import Assessment
from tests.factories import legacy_unit

pytestmark = pytest.mark.django_db
User = get_user_model()


def user(username):
    return User.objects.get(username=username)


def test_commune_official_sees_only_their_commune():
    lamhop = user("lamhop")
    assert list(communes_for_user(lamhop).values_list("code", flat=True)) == ["18838"]
    assert not districts_for_user(lamhop).exists()
    assert not provinces_for_user(lamhop).exists()


def test_district_office_sees_its_communes():
    kyanh = user("kyanh")
    codes = set(communes_for_user(kyanh).values_list("code", flat=True))
    assert len(codes) == 20 and {"18838", "18850"} <= codes
    assert "18130" not in codes  # Thuận Lộc is in Hồng Lĩnh
    assert list(districts_for_user(kyanh).values_list("code", flat=True)) == ["447"]


def test_province_office_sees_its_province():
    hatinh = user("hatinh")
    assert set(communes_for_user(hatinh).values_list("province__code", flat=True)) == {"42"}
    assert "18130" in set(communes_for_user(hatinh).values_list("code", flat=True))
    assert list(provinces_for_user(hatinh).values_list("code", flat=True)) == ["42"]


def test_national_admin_sees_everything():
    admin = user("admin")
    assert communes_for_user(admin).count() == Commune.objects.count()
    assert can_import(admin, legacy_unit(Province, "80"))


def test_anonymous_and_unbound_users_see_nothing():
    stranger = User.objects.create_user("stranger", password="x-Long-enough-1")
    for who in (AnonymousUser(), stranger):
        assert not communes_for_user(who).exists()
        assert not villages_for_user(who).exists()
        assert not Assessment.objects.filter(unit_scope_q(who)).exists()
        assert not can_import(who)


def test_assessments_in_scope_follow_the_subtree():
    def codes(username):
        rows = Assessment.objects.filter(unit_scope_q(user(username)))
        return sorted(filter(None, rows.values_list("commune__code", flat=True)))

    assert codes("lamhop") == ["18838"]
    assert codes("kyanh") == ["18838", "18850"]
    assert codes("hatinh") == ["18130", "18838", "18850"]


def test_province_scoped_admin_imports_only_in_their_province():
    clerk = User.objects.create_user("clerk", password="x-Long-enough-1")
    Membership.objects.create(user=clerk, role=Role.ADMIN, province=legacy_unit(Province, "42"))
    assert can_import(clerk, legacy_unit(Province, "42"))
    assert not can_import(clerk, legacy_unit(Province, "80"))
    assert not can_import(clerk)
    assert set(communes_for_user(clerk).values_list("province__code", flat=True)) == {"42"}
    assert not can_import(user("hatinh"), legacy_unit(Province, "42"))  # office, not admin
