"""The admin obeys the same subtree rule as every page."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from communes.enums import Role
from communes.models import Commune, Membership, Province, Village
from criteria.models import Assessment, CriteriaSet, Threshold
from tests.factories import legacy_unit, make_assessment, new_unit

pytestmark = pytest.mark.django_db


def _province_admin(client, province):
    user = get_user_model().objects.create_user(
        "hatinh-admin", password="Long-enough-pw-1", is_staff=True
    )
    user.user_permissions.set(Permission.objects.all())
    Membership.objects.create(user=user, role=Role.ADMIN, province=province)
    client.force_login(user)
    return client


@pytest.fixture
def hatinh_admin(client):
    """An administrator scoped to Hà Tĩnh of the former map, with every model permission."""
    return _province_admin(client, legacy_unit(Province, "42"))


@pytest.fixture
def new_hatinh_admin(client):
    """An administrator scoped to Hà Tĩnh of today's map (since 01/07/2025)."""
    return _province_admin(client, new_unit(Province, "42"))


def changelist(client, model, **params):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return client.get(url, params).content.decode()


def test_scoped_admin_lists_only_its_province(hatinh_admin):
    assert "Xã Lâm Hợp" in changelist(hatinh_admin, Commune, q="Lâm Hợp")
    assert "Xã Lộc Bổn" not in changelist(hatinh_admin, Commune, q="Lộc Bổn")
    body = changelist(hatinh_admin, Assessment)
    assert "Xã Lâm Hợp" in body and "Xã Thuận Lộc" in body
    assert "Xã Quê Mỹ Thạnh" not in body  # Long An


def test_scoped_admin_cannot_open_a_unit_elsewhere(hatinh_admin):
    loc_bon = legacy_unit(Commune, "20128")
    url = reverse("admin:communes_commune_change", args=[loc_bon.pk])
    assert hatinh_admin.get(url).status_code == 404  # as everywhere outside the subtree


def test_scoped_admin_changes_only_its_provincial_set(hatinh_admin):
    national = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    provincial = CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020")
    national_url = reverse("admin:criteria_criteriaset_change", args=[national.pk])
    provincial_url = reverse("admin:criteria_criteriaset_change", args=[provincial.pk])
    assert 'name="_save"' not in hatinh_admin.get(national_url).content.decode()
    assert hatinh_admin.post(national_url, {"name": "x"}).status_code == 403
    assert 'name="_save"' in hatinh_admin.get(provincial_url).content.decode()


def _history_form(client, obj, version):
    model = type(obj)
    url = reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )
    page = client.get(url)
    return url, page


def test_scoped_admin_cannot_read_history_outside_its_province(hatinh_admin):
    far = make_assessment(
        unit=legacy_unit(Commune, "28084"),  # Long An
        criteria_set=CriteriaSet.objects.get(code="NTM_XA_2021_2025"),
    )
    version = far.history.order_by("history_id").first()
    history_url = reverse("admin:criteria_assessment_history", args=[far.pk])
    assert hatinh_admin.get(history_url).status_code == 404
    url, page = _history_form(hatinh_admin, far, version)
    assert page.status_code == 404
    assert hatinh_admin.post(url, {"note": "changed"}).status_code == 404


def test_scoped_admin_cannot_revert_a_national_threshold(hatinh_admin, admin_client):
    threshold = Threshold.objects.filter(
        province=None, indicator__criterion__criteria_set__code="NTM_XA_2021_2025"
    ).first()
    threshold.save()  # a history row to revert to
    version = threshold.history.order_by("history_id").last()
    url, page = _history_form(hatinh_admin, threshold, version)
    assert page.status_code == 200  # may read it
    # The national admin's revert form, filled in and valid, posted by the province admin.
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["value"] = "1"
    assert hatinh_admin.post(url, data).status_code == 403
    threshold.refresh_from_db()
    assert threshold.value != 1
    assert admin_client.post(url, data).status_code == 302  # the national admin may
    threshold.refresh_from_db()
    assert threshold.value == 1


def test_scoped_admin_lists_only_accounts_of_its_province(hatinh_admin):
    body = changelist(hatinh_admin, get_user_model())
    assert "kyanh" in body and "lamhop" in body and "hatinh-admin" in body
    assert ">admin<" not in body  # the national administrator's account


def test_scoped_admin_cannot_grant_itself_power(hatinh_admin):
    me = get_user_model().objects.get(username="hatinh-admin")
    url = reverse("admin:auth_user_change", args=[me.pk])
    page = hatinh_admin.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    form = {
        "username": "hatinh-admin",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
    }
    response = hatinh_admin.post(url, form)
    assert response.status_code == 302
    me.refresh_from_db()
    assert not me.is_superuser


def test_scoped_admin_cannot_change_groups(hatinh_admin):
    group = Group.objects.create(name="Reviewers")
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert hatinh_admin.post(url, {"name": "Owners"}).status_code == 403
    assert hatinh_admin.get(reverse("admin:auth_group_add")).status_code == 403
    group.refresh_from_db()
    assert group.name == "Reviewers"


def test_scoped_admin_cannot_add_a_village_to_another_province(hatinh_admin):
    far = legacy_unit(Commune, "28084")  # Long An
    form = {"code": "2808499", "name": "Ấp Ngoài", "kind": "ap", "commune": far.pk}
    response = hatinh_admin.post(reverse("admin:communes_village_add"), form)
    assert response.status_code in (200, 400)
    assert not Village.objects.filter(code="2808499").exists()
    form["commune"] = legacy_unit(Commune, "18838").pk  # Lâm Hợp, Hà Tĩnh
    form["code"] = "1883899"
    assert hatinh_admin.post(reverse("admin:communes_village_add"), form).status_code == 302
    assert Village.objects.filter(code="1883899").exists()


def test_scoped_admin_cannot_grant_a_national_or_foreign_role(hatinh_admin):
    newcomer = get_user_model().objects.create_user("newcomer")
    url = reverse("admin:communes_membership_add")
    national = {"user": newcomer.pk, "role": Role.ADMIN}
    foreign = {**national, "province": legacy_unit(Province, "80").pk}
    for form in (national, foreign):
        # Binding an existing account is refused outright (communes.admin_scope).
        assert hatinh_admin.post(url, form).status_code == 403
    assert not Membership.objects.filter(user=newcomer).exists()
    own = Membership.objects.get(user__username="hatinh-admin")
    change = reverse("admin:communes_membership_change", args=[own.pk])
    assert hatinh_admin.post(change, {"user": own.user_id, "role": Role.ADMIN}).status_code == 403
    own.refresh_from_db()
    assert own.province.code == "42"


def test_scoped_admin_cannot_add_a_national_threshold(hatinh_admin):
    indicator = Threshold.objects.filter(province=None).first().indicator
    before = Threshold.objects.count()
    form = {
        "indicator": indicator.pk,
        "scope": "national",
        "year": "2024",  # a year the indicator has no national threshold for
        "value": "5",
        "verification": "VERIFIED-OFFICIAL",
        "source": "Quyết định giả",
    }
    response = hatinh_admin.post(reverse("admin:criteria_threshold_add"), form)
    assert response.status_code == 403
    assert Threshold.objects.count() == before


def test_refused_account_forms_are_a_400(admin_client):
    user = get_user_model().objects.get(username="kyanh")
    change = reverse("admin:auth_user_change", args=[user.pk])
    assert admin_client.post(change, {"username": ""}).status_code == 400
    password = reverse("admin:auth_user_password_change", args=[user.pk])
    refused = admin_client.post(password, {"password1": "a", "password2": "b"})
    assert refused.status_code == 400
    assert admin_client.post(reverse("admin:auth_group_add"), {"name": ""}).status_code == 400
    assert admin_client.get(change).status_code == 200


def _new_account(**fields):
    return {
        "username": "canbo-moi",
        "usable_password": "true",
        "password1": "Mat-khau-du-dai-2025",
        "password2": "Mat-khau-du-dai-2025",
        **fields,
    }


def test_scoped_admin_creates_an_account_with_its_membership_in_one_step(new_hatinh_admin):
    ky_lac = new_unit(Commune, "18838")
    form = _new_account(role=Role.COMMUNE_OFFICIAL, commune=ky_lac.pk, is_superuser="on")
    response = new_hatinh_admin.post(reverse("admin:auth_user_add"), form)
    assert response.status_code == 302
    account = get_user_model().objects.get(username="canbo-moi")
    assert (account.membership.role, account.membership.commune) == (
        Role.COMMUNE_OFFICIAL,
        ky_lac,
    )
    assert not (account.is_superuser or account.is_staff)
    # It is born inside the province: its administrator goes on managing it.
    change = reverse("admin:auth_user_change", args=[account.pk])
    assert new_hatinh_admin.get(change).status_code == 200


def test_scoped_admin_province_roles_are_bound_to_its_province(new_hatinh_admin):
    form = _new_account(role=Role.PROVINCE_OFFICE)
    assert new_hatinh_admin.post(reverse("admin:auth_user_add"), form).status_code == 302
    membership = Membership.objects.get(user__username="canbo-moi")
    assert membership.province == new_unit(Province, "42")


def test_the_account_form_offers_only_units_valid_today(new_hatinh_admin):
    page = new_hatinh_admin.get(reverse("admin:auth_user_add"))
    communes = page.context["adminform"].form.fields["commune"].queryset
    assert new_unit(Commune, "18838") in communes
    assert all(c.valid_to is None for c in communes)
    assert not page.context["adminform"].form.fields["district"].queryset.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"role": Role.COMMUNE_OFFICIAL, "commune": "lam-hop"},
        {"role": Role.DISTRICT_OFFICE, "district": "ky-anh"},
        {"role": Role.PROVINCE_OFFICE},
    ],
    ids=["closed-commune", "closed-district", "closed-province"],
)
def test_a_unit_that_ended_gets_no_new_account(hatinh_admin, fields):
    """The administrator of Hà Tĩnh of the former map: every unit of its subtree ended on
    30/06/2025, so it binds no new account (400, nothing written)."""
    lam_hop = legacy_unit(Commune, "18838")
    fields = {
        **fields,
        **({"commune": lam_hop.pk} if "commune" in fields else {}),
        **({"district": lam_hop.district_id} if "district" in fields else {}),
    }
    before = get_user_model().objects.count(), Membership.objects.count()
    response = hatinh_admin.post(reverse("admin:auth_user_add"), _new_account(**fields))
    assert response.status_code == 400
    assert (get_user_model().objects.count(), Membership.objects.count()) == before
    if fields["role"] == Role.PROVINCE_OFFICE:
        assert "30/06/2025" in response.content.decode()


def test_binding_refuses_a_closed_unit_in_the_service():
    from django.core.exceptions import ValidationError

    from communes.services import bind_new_account

    account = get_user_model().objects.create_user("canbo-moi")
    with pytest.raises(ValidationError):
        bind_new_account(
            account=account,
            role=Role.DISTRICT_OFFICE,
            unit=legacy_unit(Commune, "18838").district,
            by=get_user_model().objects.get(username="admin"),
        )
    assert not Membership.objects.filter(user=account).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"role": Role.COMMUNE_OFFICIAL},  # no commune
        {"role": Role.COMMUNE_OFFICIAL, "commune": "far"},  # a commune of Long An
        {"role": Role.DISTRICT_OFFICE, "district": "far"},  # a district of Long An
        {"role": "superuser"},
        {},
    ],
    ids=["no-unit", "foreign-commune", "foreign-district", "unknown-role", "no-role"],
)
def test_scoped_admin_account_form_refuses_a_unit_outside_or_none(hatinh_admin, fields):
    long_an_commune = legacy_unit(Commune, "28084")
    if fields.get("commune") == "far":
        fields["commune"] = long_an_commune.pk
    if fields.get("district") == "far":
        fields["district"] = long_an_commune.district_id
    before = get_user_model().objects.count(), Membership.objects.count()
    response = hatinh_admin.post(reverse("admin:auth_user_add"), _new_account(**fields))
    assert response.status_code == 400
    assert (get_user_model().objects.count(), Membership.objects.count()) == before


def test_national_admin_keeps_djangos_account_form(client):
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get(reverse("admin:auth_user_add")).content.decode()
    assert 'name="password1"' in page and 'name="role"' not in page


def test_scoped_admin_saves_an_assessment_whose_author_it_does_not_manage(hatinh_admin):
    from tests.security.test_malformed_input_admin import page_data

    assessment = make_assessment(
        unit=legacy_unit(Commune, "18838"),
        criteria_set=CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020"),
    )
    national = get_user_model().objects.get(username="admin")
    Assessment.objects.filter(pk=assessment.pk).update(author=national)
    url = reverse("admin:criteria_assessment_change", args=[assessment.pk])
    data = {**page_data(hatinh_admin, url), "notes": "Đã rà soát"}
    assert "author" not in data  # a record, shown read-only
    assert hatinh_admin.post(url, data).status_code == 302
    assessment.refresh_from_db()
    assert (assessment.notes, assessment.author) == ("Đã rà soát", national)


@pytest.mark.parametrize("who", ["admin", "hatinh-admin"])
def test_no_admin_can_filter_accounts_by_their_password_hash(hatinh_admin, client, who):
    # Django's UserAdmin refuses it (the admin lets filters on a model's own fields through
    # the address): kept here so that the scoped user admin never loses it.
    client.force_login(get_user_model().objects.get(username=who))
    url = reverse("admin:auth_user_changelist")
    assert client.get(url, {"password__startswith": "pbkdf2"}).status_code == 400
    assert client.get(url, {"password__regex": "^p"}).status_code == 400
    assert client.get(url, {"is_active__exact": "1"}).status_code == 200


def test_scoped_admin_sets_the_commune_group_of_its_own_communes_only(hatinh_admin):
    from tests.security.test_malformed_input_admin import page_data

    lam_hop = legacy_unit(Commune, "18838")
    url = reverse("admin:communes_commune_change", args=[lam_hop.pk])
    data = page_data(hatinh_admin, url)
    data["commune_group"] = "3"
    response = hatinh_admin.post(url, data)
    assert response.status_code == 302
    lam_hop.refresh_from_db()
    assert lam_hop.commune_group == 3
    elsewhere = Commune.objects.exclude(province__code="42").first()
    other = reverse("admin:communes_commune_change", args=[elsewhere.pk])
    assert hatinh_admin.post(other, {"commune_group": "1"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.commune_group is None
