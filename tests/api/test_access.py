"""Every API endpoint for every role, the token holder included: the exact status, and no
private row in an answer that is not the caller's to read (the subtree rule of the pages)."""

import pytest

from communes.enums import PUBLIC_ASSESSMENT_STATUSES
from criteria.models import Assessment

from .conftest import (
    FAR_COMMUNE,
    FAR_DISTRICT,
    FAR_PROVINCE,
    HA_TINH,
    HATINH_SET,
    KY_ANH,
    LAM_HOP,
    ROLES,
)

pytestmark = pytest.mark.django_db

EVERYONE_200 = (200,) * len(ROLES)
EVERYONE_404 = (404,) * len(ROLES)

# (url, expected status per role in ROLES order)
CASES = [
    ("/api/v1/schema/", EVERYONE_200),
    ("/api/v1/docs/", EVERYONE_200),
    ("/api/v1/provinces/", EVERYONE_200),
    (f"/api/v1/provinces/{HA_TINH}/", EVERYONE_200),
    ("/api/v1/provinces/99/", EVERYONE_404),
    ("/api/v1/districts/", EVERYONE_200),
    (f"/api/v1/districts/{KY_ANH}/", EVERYONE_200),
    ("/api/v1/communes/", EVERYONE_200),
    (f"/api/v1/communes/{LAM_HOP}/", EVERYONE_200),
    ("/api/v1/communes/99999/", EVERYONE_404),
    ("/api/v1/criteria-sets/", EVERYONE_200),
    (f"/api/v1/criteria-sets/{HATINH_SET}/", EVERYONE_200),
    ("/api/v1/criteria-sets/NO_SUCH_SET/", EVERYONE_404),
    ("/api/v1/assessments/", EVERYONE_200),
    ("/api/v1/recognitions/", EVERYONE_200),
    ("/api/v1/targets/", EVERYONE_200),
    # Dashboards: the offices covering the area (the token is Kỳ Anh's district office).
    (f"/api/v1/dashboards/districts/{KY_ANH}/", (401, 403, 403, 200, 200, 200, 200, 200)),
    (f"/api/v1/dashboards/districts/{FAR_DISTRICT}/", (401, 404, 404, 404, 404, 200, 404, 404)),
    (f"/api/v1/dashboards/provinces/{HA_TINH}/", (401, 403, 403, 403, 200, 200, 200, 403)),
    (f"/api/v1/dashboards/provinces/{FAR_PROVINCE}/", (401, 404, 404, 404, 404, 200, 404, 404)),
    ("/open-data/", EVERYONE_200),
    ("/open-data/data-dictionary/", EVERYONE_200),
    ("/open-data/assessments.csv", EVERYONE_200),
    ("/open-data/results.csv", EVERYONE_200),
    ("/open-data/recognitions.csv", EVERYONE_200),
    ("/open-data/ntm-open-data.jsonl", EVERYONE_200),
]


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[c[0] for c in CASES])
def test_status_per_role(clients, url, expected):
    got = {}
    for role in ROLES:
        response = clients[role].get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        got[role] = response.status_code
    assert got == dict(zip(ROLES, expected, strict=True))


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nothing_is_writable(clients, method):
    for role in ROLES:
        for url in ("/api/v1/assessments/", f"/api/v1/communes/{LAM_HOP}/"):
            assert getattr(clients[role], method)(url).status_code == 405, (role, url)


def _ids(client, **params):
    """Every assessment id the client gets, following the cursor."""
    ids, url = [], "/api/v1/assessments/"
    response = client.get(url, {"page_size": 1000, **params})
    while True:
        assert response.status_code == 200
        data = response.json()
        ids += [row["id"] for row in data["results"]]
        if not data["next"]:
            return ids
        response = client.get(data["next"])


# Which of the two drafts each role reads: its own subtree's, never another's.
SEES_DRAFTS = {
    "anonymous": set(),
    "commune": {"near"},
    "other_commune": set(),
    "district": {"near"},
    "province": {"near"},
    "admin": {"near", "far"},
    "province_admin": {"near"},
    "token": {"near"},
}


def test_assessments_follow_the_subtree_rule(clients, drafts):
    public = set(
        Assessment.objects.filter(status__in=PUBLIC_ASSESSMENT_STATUSES).values_list(
            "pk", flat=True
        )
    )
    assert public
    for role in ROLES:
        ids = _ids(clients[role])
        assert len(ids) == len(set(ids)), role
        expected = public | {drafts[name].pk for name in SEES_DRAFTS[role]}
        assert set(ids) == expected, role


def test_anonymous_answer_has_no_private_field(clients, drafts):
    # A code names a unit with a date: Lâm Hợp is 18838 until 30/06/2025.
    rows = (
        clients["anonymous"]
        .get("/api/v1/assessments/", {"commune": LAM_HOP, "as_of": "2025-06-30"})
        .json()
    )
    assert rows["results"]
    for row in rows["results"]:
        assert row["is_public"] is True
        assert row["status"] in PUBLIC_ASSESSMENT_STATUSES
        assert not {"notes", "author", "import_source", "evidence"} & set(row)


def test_a_draft_filtered_by_its_commune_is_still_hidden(clients, drafts):
    for role in ("anonymous", "other_commune"):
        ids = _ids(clients[role], commune=LAM_HOP)
        assert drafts["near"].pk not in ids
    assert drafts["far"].pk not in _ids(clients["province"], commune=FAR_COMMUNE)
    assert drafts["far"].pk in _ids(clients["admin"], commune=FAR_COMMUNE)


def test_bulk_files_hold_no_draft(clients, drafts):
    for url in ("/open-data/assessments.csv", "/open-data/ntm-open-data.jsonl"):
        for role in ("anonymous", "admin"):
            body = b"".join(clients[role].get(url).streaming_content).decode()
            ids = {line.split(",")[0] for line in body.splitlines()[1:]}
            if url.endswith(".jsonl"):
                ids = {part.split(",")[0] for part in body.split('"assessment_id": ')[1:]}
            assert str(drafts["near"].pk) not in ids
            assert str(drafts["far"].pk) not in ids
