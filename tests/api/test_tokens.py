"""API tokens: shown once, stored hashed, refused once revoked, scoped in the admin."""

import pytest
from django.test import Client

from api.models import ApiToken
from api.services import hash_key, issue_token, revoke_tokens
from communes.enums import Role
from communes.models import Commune
from tests.factories import legacy_unit

from .conftest import FAR_COMMUNE, KY_ANH

pytestmark = pytest.mark.django_db

DASHBOARD = f"/api/v1/dashboards/districts/{KY_ANH}/"


def test_a_token_is_stored_only_as_its_hash(users):
    token, key = issue_token(user=users["district"], name="BI")
    token.refresh_from_db()
    assert token.key_hash == hash_key(key) and key not in (token.key_hash, token.prefix)
    assert token.prefix == key[:8]
    assert len(key) >= 40


def test_a_token_reads_as_its_user(users):
    key = issue_token(user=users["district"], name="BI")[1]
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert client.get(DASHBOARD).status_code == 200
    # The keyword "Token" works too.
    assert Client(headers={"Authorization": f"Token {key}"}).get(DASHBOARD).status_code == 200


def test_a_revoked_token_is_refused_with_401(users):
    token, key = issue_token(user=users["district"], name="BI")
    revoke_tokens(tokens=ApiToken.objects.filter(pk=token.pk))
    response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/provinces/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "thu hồi" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Bearer a b", "Token é"])
def test_a_wrong_token_is_refused_not_read_as_anonymous(header):
    response = Client(headers={"Authorization": header}).get("/api/v1/provinces/")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_account_is_refused(users):
    key = issue_token(user=users["district"], name="BI")[1]
    users["district"].is_active = False
    users["district"].save()
    response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/provinces/")
    assert response.status_code == 401


def test_the_admin_shows_a_new_token_once(users, admin_client):
    response = admin_client.post(
        "/admin/api/apitoken/add/", {"user": users["district"].pk, "name": "BI huyện"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="BI huyện")
    key = response.context["key"]
    assert hash_key(key) == token.key_hash
    assert key in response.content.decode()
    assert token.created_by.username == "admin"
    # Never again: the token's own page shows only its prefix.
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert key not in page and token.prefix in page


def test_the_admin_revokes_tokens(users, admin_client):
    token, key = issue_token(user=users["district"], name="BI")
    response = admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(headers={"Authorization": f"Bearer {key}"}).get(DASHBOARD).status_code == 401


def test_a_province_admin_issues_tokens_only_inside_its_province(users):
    from tests.factories import make_user

    far_user = make_user(role=Role.COMMUNE_OFFICIAL, unit=legacy_unit(Commune, FAR_COMMUNE))
    admin = users["province_admin"]
    admin.is_staff = True
    admin.save()
    from django.contrib.auth.models import Permission

    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="api"))
    client = Client()
    client.force_login(admin)
    refused = client.post("/admin/api/apitoken/add/", {"user": far_user.pk, "name": "x"})
    assert refused.status_code == 400
    assert not ApiToken.objects.filter(user=far_user).exists()
    accepted = client.post("/admin/api/apitoken/add/", {"user": users["commune"].pk, "name": "y"})
    assert accepted.status_code == 200
    far_token = issue_token(user=far_user, name="far")[0]
    listing = client.get("/admin/api/apitoken/").content.decode()
    assert "far" not in [
        t.name for t in client.get("/admin/api/apitoken/").context["cl"].result_list
    ]
    assert far_token.prefix not in listing


@pytest.mark.parametrize("power", ["is_superuser", "is_staff"])
def test_a_province_admin_cannot_issue_a_token_for_an_account_above_it(users, power):
    """A superuser or another administrator bound to one of its communes is not an account
    the province's administrator manages (communes.admin_scope.manageable_accounts): a token
    for it would read what that account reads."""
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    above = make_user(role=Role.COMMUNE_OFFICIAL, unit=legacy_unit(Commune, "18838"))
    setattr(above, power, True)
    above.save()
    admin = users["province_admin"]
    admin.is_staff = True
    admin.save()
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="api"))
    client = Client()
    client.force_login(admin)
    refused = client.post("/admin/api/apitoken/add/", {"user": above.pk, "name": "x"})
    assert refused.status_code == 400
    assert not ApiToken.objects.filter(user=above).exists()
