"""Callers of the API: the personas of tests/security/test_access_matrix.py plus a token
holder (a token of the district office of Kỳ Anh), each a client of its own."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from api.services import issue_token
from communes.enums import AssessmentStatus, Role
from communes.models import Commune, District, Province
from criteria import workflow
from criteria.models import CriteriaSet
from tests.factories import legacy_unit, make_assessment, make_user

User = get_user_model()

LAM_HOP, KY_LAC, FAR_COMMUNE = "18838", "18850", "28084"
KY_ANH, FAR_DISTRICT = "447", "805"
HA_TINH, FAR_PROVINCE = "42", "80"
HATINH_SET, NATIONAL_SET = "HATINH_NTM_XA_2017_2020", "NTM_XA_2021_2025"

ROLES = (
    "anonymous",
    "commune",
    "other_commune",
    "district",
    "province",
    "admin",
    "province_admin",
    "token",
)


@pytest.fixture
def users(db):
    return {
        "anonymous": None,
        "commune": User.objects.get(username="lamhop"),
        "other_commune": make_user(
            "kylac", role=Role.COMMUNE_OFFICIAL, unit=legacy_unit(Commune, KY_LAC)
        ),
        "district": User.objects.get(username="kyanh"),
        "province": User.objects.get(username="hatinh"),
        "admin": User.objects.get(username="admin"),
        "province_admin": make_user(
            "hatinh-admin", role=Role.ADMIN, unit=legacy_unit(Province, HA_TINH)
        ),
    }


@pytest.fixture
def token_key(users):
    """A token of Kỳ Anh's district office."""
    return issue_token(user=users["district"], name="BI huyện")[1]


@pytest.fixture
def clients(users, token_key):
    """A client per role; the token holder sends its token and has no session."""
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        if user is not None:
            clients[role].force_login(user)
    clients["token"] = Client(headers={"Authorization": f"Bearer {token_key}"})
    return clients


@pytest.fixture
def drafts(db):
    """A draft of Lâm Hợp (by its official) and one of a Long An commune: private rows."""
    near = workflow.start_assessment(
        user=User.objects.get(username="lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 10, 15),
    )
    far = make_assessment(
        unit=legacy_unit(Commune, FAR_COMMUNE),
        criteria_set=CriteriaSet.objects.get(code=NATIONAL_SET),
        status=AssessmentStatus.DRAFT,
    )
    return {"near": near, "far": far}


def ky_anh():
    return legacy_unit(District, KY_ANH)
