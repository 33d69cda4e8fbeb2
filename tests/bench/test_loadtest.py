"""The checking half of `make loadtest` (bench/loadtest.py), without gunicorn: the entry form
it fills is the real one, its recount agrees with the real dashboard, and each check fails
on a missing or altered assessment, an unannounced row or a wrong dashboard figure, so a
clean load test cannot be a vacuous one."""

import copy
import datetime
import gzip
import random

import pytest
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from bench import loadtest
from communes.enums import PUBLIC_ASSESSMENT_STATUSES, CommuneKind, ResultStatus, Role
from communes.models import Commune, District
from criteria import workflow
from criteria.enums import Title
from criteria.models import (
    Assessment,
    AssessmentEvent,
    CriteriaSet,
    CriterionResult,
    Indicator,
    IndicatorValue,
)
from reports import dashboard
from reports.selectors import NTM_COMMUNE_TITLES
from tests.factories import legacy_unit, make_user

HATINH_SET = "HATINH_NTM_XA_2017_2020"
# The demo's offices hold units of the map until 30/06/2025: their dashboards of that day.
BEFORE_MERGER = f"?set={HATINH_SET}&as_of=2025-06-30"
LAM_HOP = "18838"


def test_recount_constants_are_the_portals():
    assert set(loadtest.PUBLIC_STATUSES) == set(PUBLIC_ASSESSMENT_STATUSES)
    assert set(loadtest.NTM_TITLES) == set(NTM_COMMUNE_TITLES)
    assert (loadtest.VILLAGE_NTM, loadtest.VILLAGE_MODEL) == (
        Title.VILLAGE_NTM,
        Title.VILLAGE_MODEL,
    )
    assert loadtest.MET == ResultStatus.MET
    assert loadtest.NOT_ASSESSED == dashboard.NOT_ASSESSED
    assert CommuneKind.COMMUNE == "xa"


def test_database_url_is_always_the_load_tests_own():
    own = loadtest.database_url({"DATABASE_URL": "postgres://u:p@db.example:6543/ntm_h2?x=1"})
    assert own == "postgres://u:p@db.example:6543/ntm_loadtest"
    assert loadtest.database_url({"DATABASE_URL": "sqlite:///db.sqlite3"}) == (
        "postgres://postgres@127.0.0.1:5432/ntm_loadtest"
    )
    assert loadtest.database_url({}).endswith("/ntm_loadtest")


def test_parse_response_reads_status_headers_and_chunked_body():
    raw = (
        b"HTTP/1.1 302 Found\r\nLocation: /criteria/assessments/7/edit/\r\n"
        b"Set-Cookie: messages=abc; Path=/\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    response = loadtest.parse_response(raw)
    assert response.status == 302
    assert response.header("location") == "/criteria/assessments/7/edit/"
    assert response.body == b"hello world"


def test_parse_response_decompresses_a_gzip_body():
    body = gzip.compress("<p>Xã Lâm Hợp</p>".encode())
    raw = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n\r\n" + body
    assert loadtest.parse_response(raw).body == "<p>Xã Lâm Hợp</p>".encode()


# ---------------------------------------------------------------------------------------------
# Assessments: what the responses promised against what the database holds
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def official(db):
    commune = (
        Commune.objects.filter(province__code="42", kind=CommuneKind.COMMUNE)
        .exclude(code=LAM_HOP)
        .order_by("code")
        .first()
    )
    return make_user(role=Role.COMMUNE_OFFICIAL, unit=commune), commune


def _save_through_the_form(client, assessment, rng, tag):
    """GET the real entry form, fill every field, POST it: (expected, response)."""
    url = reverse("criteria:assessment_edit", args=[assessment.pk])
    form = loadtest.find_form(client.get(url).content.decode(), form_id="entry-form")
    data, expected = loadtest.fill_entry_form(form, rng, tag)
    return expected, form, client.post(url, dict(data))


@pytest.fixture
def saved(client, official):
    """An assessment started, saved twice through the entry form (the re-opened form must
    show the first save) and submitted, with the Promise the load test would hold for it."""
    user, commune = official
    client.force_login(user)
    day = datetime.date(2025, 6, 30)
    assessment = workflow.start_assessment(
        user=user,
        unit=commune,
        criteria_set=CriteriaSet.objects.get(code=loadtest.SET_CODE),
        assessed_on=day,
    )
    promise = loadtest.Promise(assessment.pk, commune.pk, user.username, day)
    rng = random.Random(1)
    for n in range(2):
        expected, form, response = _save_through_the_form(client, assessment, rng, f"t{n}")
        assert response.status_code == 302, response.content.decode()[:3000]
        if promise.saved is not None:
            reopened = loadtest.entry_form_state(form)
            assert loadtest.compare_saved("form", promise.saved, reopened) == []
            other = copy.deepcopy(reopened)
            criterion = next(iter(other["results"]))
            other["results"][criterion] = ("not_met", "khác")
            assert loadtest.compare_saved("form", promise.saved, other)
        promise.saves += 1
        promise.saved = expected
    workflow.submit(user=user, assessment=assessment)
    promise.submitted = True
    return promise


def test_entry_form_fill_covers_every_criterion_and_indicator(saved):
    assessment = Assessment.objects.get(pk=saved.pk)
    indicators = Indicator.objects.filter(criterion__criteria_set=assessment.criteria_set)
    assert len(saved.saved["results"]) == assessment.criteria_set.criteria.count() == 19
    assert len(saved.saved["values"]) == indicators.count() > 0
    assert saved.version == 4 and saved.status == "submitted"


def _check(promise):
    rows = loadtest.snapshot([promise.commune_id], promise.pk - 1)
    return loadtest.check_promises([promise], rows, set(rows))


def _broken(promise, damage) -> str:
    """The check's findings after ``damage()``, which is then rolled back."""
    with transaction.atomic():
        damage()
        problems = " | ".join(_check(promise))
        transaction.set_rollback(True)
    return problems


def test_check_passes_a_faithful_database_and_finds_each_loss(saved):
    promise = saved
    pk = promise.pk
    assert _check(promise) == []
    values = IndicatorValue.objects.filter(assessment_id=pk, value_number__isnull=False)
    altered = _broken(
        promise, lambda: values.filter(pk=values[0].pk).update(value_number=F("value_number") + 1)
    )
    assert "indicator values differ" in altered
    lost = _broken(promise, lambda: CriterionResult.objects.filter(assessment_id=pk)[0].delete())
    assert "criterion results differ" in lost
    reverted = _broken(
        promise, lambda: Assessment.objects.filter(pk=pk).update(status="draft", notes="")
    )
    assert "status draft, expected submitted" in reverted and "notes" in reverted
    events = AssessmentEvent.objects.filter(assessment_id=pk, action="submitted")
    assert "audit trail" in _broken(promise, events.delete)
    missing = _broken(promise, Assessment.objects.filter(pk=pk).delete)
    assert missing == f"assessment {pk} ({promise.official}): MISSING from the database"

    rows = loadtest.snapshot([promise.commune_id], pk - 1)
    assert loadtest.check_promises([], rows, set(rows)) == [
        f"assessment {pk}: in the database, but no request was told it exists"
    ]
    promise.verified_by = "someone"
    wrong = " | ".join(_check(promise))
    assert "status submitted, expected verified" in wrong and "version 4, expected 5" in wrong


# ---------------------------------------------------------------------------------------------
# Dashboards: page and service against the recount from raw rows
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def ky_anh_page(client, db):
    """Kỳ Anh's dashboard against Hà Tĩnh's set (Lâm Hợp 16/20, Kỳ Lạc 10/20), read by a
    district office."""
    district = legacy_unit(Commune, LAM_HOP).district
    client.force_login(make_user(role=Role.DISTRICT_OFFICE, unit=district))
    url = reverse("reports:district_dashboard", args=[district.code]) + BEFORE_MERGER
    response = client.get(url)
    assert response.status_code == 200
    return district, loadtest.parse_dashboard(response.content.decode())


def _recount(district, as_of):
    raw = loadtest.raw_area_rows(district_code=district.code, set_code=HATINH_SET)
    return loadtest.recount(**raw, as_of=as_of)


def test_recount_equals_the_dashboard_page_and_service(ky_anh_page):
    district, shown = ky_anh_page
    expected = _recount(district, shown["as_of"])
    assert sorted(r["met"] for r in expected["rows"] if r["met"] is not None)[-2:] == [10, 16]
    assert loadtest.compare_dashboard("page", expected, shown) == []
    board = dashboard.district_dashboard(district, set_code=HATINH_SET, as_of=shown["as_of"])
    assert loadtest.compare_dashboard("service", expected, loadtest.service_figures(board)) == []


def test_recount_finds_each_wrong_figure(ky_anh_page):
    district, shown = ky_anh_page
    expected = _recount(district, shown["as_of"])
    assessed = next(i for i, r in enumerate(shown["rows"]) if r["met"] is not None)
    wrong = []
    for change in ("met", "cells", "headline", "rows", "set_communes"):
        page = copy.deepcopy(shown)
        if change == "met":
            page["rows"][assessed]["met"] += 1
        elif change == "cells":
            page["rows"][assessed]["cells"][0] = "basically_met"
        elif change == "headline":
            page["headline"]["unrecognised"] += 1
        elif change == "rows":
            page["rows"].pop()
        else:
            page["set_communes"] += 1
        wrong.append(loadtest.compare_dashboard("page", expected, page))
    assert all(wrong), wrong


def test_recount_sees_a_change_the_page_missed(ky_anh_page):
    """A result that changes after the page was read (as a stale cache would show it) makes
    the page and the recount disagree."""
    district, shown = ky_anh_page
    lam_hop = legacy_unit(Commune, LAM_HOP)
    latest = (
        Assessment.objects.public()
        .filter(commune=lam_hop, criteria_set__code=HATINH_SET)
        .order_by("-assessed_on", "-pk")
        .first()
    )
    latest.results.filter(status=ResultStatus.MET).first().delete()
    problems = loadtest.compare_dashboard("page", _recount(district, shown["as_of"]), shown)
    assert any("criteria met shows 16, recount 15" in p for p in problems), problems


def test_recount_of_a_province_matches_its_page(client, db):
    district = District.objects.get(communes__code=LAM_HOP)
    province = district.province
    client.force_login(make_user(role=Role.PROVINCE_OFFICE, unit=province))
    url = reverse("reports:province_dashboard", args=[province.code]) + BEFORE_MERGER
    shown = loadtest.parse_dashboard(client.get(url).content.decode())
    raw = loadtest.raw_area_rows(province_code=province.code, set_code=HATINH_SET)
    expected = loadtest.recount(**raw, as_of=shown["as_of"])
    assert shown["rows"], "the province matrix lists the assessed communes"
    assert loadtest.compare_dashboard("page", expected, shown, assessed_only=True) == []


def test_recount_of_recognitions_matches_the_busiest_district(client, db):
    """Hậu Lộc: 21 communes NTM, 111 NTM and 14 model villages; the headline is not zeros."""
    district = loadtest.busiest_district()
    client.force_login(make_user(role=Role.DISTRICT_OFFICE, unit=district))
    url = reverse("reports:district_dashboard", args=[district.code])
    url += f"?set={loadtest.SET_CODE}&as_of={loadtest.LEGACY_DAY}"
    shown = loadtest.parse_dashboard(client.get(url).content.decode())
    raw = loadtest.raw_area_rows(district_code=district.code)
    expected = loadtest.recount(**raw, as_of=shown["as_of"])
    assert expected["headline"]["ntm"] == 21
    assert (expected["headline"]["villages_ntm"], expected["headline"]["villages_model"]) == (
        111,
        14,
    )
    assert loadtest.compare_dashboard("page", expected, shown) == []
    shown["headline"]["villages_model"] -= 1
    assert loadtest.compare_dashboard("page", expected, shown) == [
        "page: headline villages_model shows 13, recount 14"
    ]


def test_unanswered_writes_are_settled_against_the_database(saved):
    """A POST the killed server never answered: reconcile makes it a promise when it landed
    (then checked in full), and leaves it out when it did not."""
    rows = loadtest.snapshot([saved.commune_id], saved.pk - 1)
    day, official = saved.assessed_on, saved.official
    # The client knows nothing of the assessment: its "start" got a 502, but it landed.
    promises = {}
    unsettled = [("start", (official, saved.commune_id, day))]
    assert loadtest.reconcile(unsettled, promises, rows) == {"landed": 1, "not landed": 0}
    assert promises[saved.pk].status == "draft"
    # Its submit got no answer, and landed.
    known = promises[saved.pk] = copy.deepcopy(saved)
    known.submitted = False
    assert loadtest.reconcile([("submit", (saved.pk,))], promises, rows)["landed"] == 1
    assert loadtest.check_promises(list(promises.values()), rows, set(rows)) == []
    # Its second save got no answer, and landed (one version more than the client knew).
    known.saves, known.saved = 1, None
    unsettled = [("save draft", (saved.pk, saved.saved))]
    assert loadtest.reconcile(unsettled, promises, rows) == {"landed": 1, "not landed": 0}
    assert loadtest.check_promises(list(promises.values()), rows, set(rows)) == []
    # A save whose values are not those held did not land, nor did a start elsewhere.
    other = copy.deepcopy(saved.saved)
    other["notes"] = "never saved"
    unsettled = [
        ("save draft", (saved.pk, other)),
        ("start", (official, saved.commune_id, day + datetime.timedelta(days=1))),
    ]
    assert loadtest.reconcile(unsettled, promises, rows) == {"landed": 0, "not landed": 2}
    assert loadtest.check_promises(list(promises.values()), rows, set(rows)) == []


def test_balancer_retries_are_read_from_haproxys_log():
    log = "\n".join(
        [
            "127.0.0.1:1 [04/Dec/2026:08:46:07.150] portal web/web2 0/4599/1/31/4631 200 2143 - - "
            '---- 26/26/24/1/+1 0/43 "GET /criteria/inbox/ HTTP/1.1"',
            "127.0.0.1:2 [04/Dec/2026:08:46:07.151] portal web/web2 0/5066/0/228/5294 302 736 - - "
            '---- 26/26/25/1/+1 0/46 "POST /criteria/assessments/91/submit/ HTTP/1.1"',
            "127.0.0.1:3 [04/Dec/2026:08:46:07.152] portal web/web1 0/0/0/10/10 200 736 - - "
            '---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"',
            "127.0.0.1:4 [04/Dec/2026:08:46:07.153] portal web/web1 0/0/0/10/10 200 736 - - "
            '---- 1/1/1/1/2 0/0 "GET /p/42/ HTTP/1.1"',
            "Server web/web1 is DOWN, reason: Layer4 connection problem",
        ]
    )

    assert loadtest.balancer_retries(log) == {
        "retried": 3,
        "redispatched": 2,
        "statuses": {"GET 200": 2, "POST 302": 1},
    }
