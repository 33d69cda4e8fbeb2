"""The dashboards cache their body (reports.cache) under the province's report version: a
repeated request is cheap, and every kind of write that changes a figure shows on the very
next request. tests/reports/test_dashboard_current.py checks the workflow's writes; this
module the rest, the hit path and the version itself."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.cache.backends.dummy import DummyCache
from django.db import transaction
from django.urls import reverse

from communes.enums import AssessmentStatus, ResultStatus, Role
from criteria import generate, workflow
from criteria.enums import Title
from criteria.models import CriterionResult
from reports import cache
from reports.models import ReportChange
from tests.factories import (
    make_assessment,
    make_commune,
    make_criteria_set,
    make_district,
    make_province,
    make_recognition,
    make_target,
    make_user,
    make_village,
)

pytestmark = pytest.mark.django_db

AS_OF = {"as_of": "2025-06-01"}


@pytest.fixture
def area():
    district = make_district()
    commune = make_commune(district=district, name="Xã Bộ Nhớ")
    criteria_set = make_criteria_set(n_criteria=3, valid_from=datetime.date(2021, 1, 1))
    first = make_assessment(
        unit=commune, criteria_set=criteria_set, met=[1], assessed_on=datetime.date(2024, 1, 1)
    )
    return district, commune, criteria_set, first


@pytest.fixture
def client(client, area):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user(role=Role.ADMIN))
    return client


def district_page(client, district, **params) -> str:
    response = client.get(
        reverse("reports:district_dashboard", args=[district.code]), {**AS_OF, **params}
    )
    assert response.status_code == 200
    return response.content.decode()


def province_page(client, province) -> str:
    response = client.get(reverse("reports:province_dashboard", args=[province.code]), AS_OF)
    assert response.status_code == 200
    return response.content.decode()


def body(html: bytes) -> bytes:
    """The dashboard below the header (whose logout form carries a fresh CSRF token)."""
    return html[html.index(b"<h1>") : html.index(b"</main>")]


def matrix_met(html: str) -> str:
    """The first commune's "met" column in the matrix, e.g. "1/3"."""
    matrix = html[html.index('id="matrix"') : html.index('id="hardest"')]
    return re.findall(r'<td class="num">([^<]+)</td>', matrix)[0]


def headline(html: str, label: str) -> str:
    """The figure of a headline entry, e.g. headline(html, "Villages meeting")."""
    start = html.index("<dd>", html.index(label)) + 4
    return html[start : html.index("<", start)]


# -- The cache is on, and a hit is cheap -------------------------------------------------------


def test_the_test_settings_keep_the_cache_on():
    assert not isinstance(django_cache, DummyCache)
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_a_repeated_request_is_served_from_the_cache_with_five_queries(
    client, area, django_assert_num_queries
):
    district = area[0]
    url = reverse("reports:district_dashboard", args=[district.code])
    with django_assert_num_queries(13):
        first = client.get(url, AS_OF).content
    # Session, user, membership, the district (access), the report version.
    with django_assert_num_queries(5):
        second = client.get(url, AS_OF).content
    assert body(second) == body(first)


def test_a_repeated_province_request_is_served_from_the_cache_with_five_queries(
    client, area, django_assert_num_queries
):
    province = area[0].province
    url = reverse("reports:province_dashboard", args=[province.code])
    with django_assert_num_queries(15):  # the lineage of its communes is one more
        first = client.get(url, AS_OF).content
    with django_assert_num_queries(5):
        second = client.get(url, AS_OF).content
    assert body(second) == body(first)


def test_each_filter_and_language_has_its_own_entry(client, area):
    district, _, criteria_set, _ = area
    english = district_page(client, district)
    assert district_page(client, district, as_of="2023-06-01") != english
    assert "no public assessment" in district_page(client, district, as_of="2023-06-01")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vietnamese = district_page(client, district)
    assert "Tiến độ" in vietnamese or vietnamese != english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert body(district_page(client, district).encode()) == body(english.encode())


def test_the_header_is_not_cached_with_the_body(client, area):
    district = area[0]
    client.force_login(make_user(role=Role.ADMIN, is_staff=True))
    staff = district_page(client, district)
    client.force_login(make_user(role=Role.DISTRICT_OFFICE, unit=district))
    office = district_page(client, district)
    assert "Administration" in staff
    assert "Administration" not in office
    assert body(office.encode()) == body(staff.encode())


def test_a_write_in_another_province_keeps_the_entry(client, area, django_assert_num_queries):
    district, _, criteria_set, _ = area
    # Units are shared data (their names show everywhere): created before the first request.
    elsewhere = make_commune(district=make_district(province=make_province()))
    district_page(client, district)
    make_assessment(unit=elsewhere, criteria_set=criteria_set, met=[1, 2, 3])
    with django_assert_num_queries(5):
        district_page(client, district)


# -- Every kind of write shows on the next request ---------------------------------------------


def test_a_result_changed_alone_through_the_orm_shows(client, area):
    district, _, _, first = area
    assert matrix_met(district_page(client, district)) == "1/3"
    result = CriterionResult.objects.get(assessment=first, criterion__number=2)
    result.status = ResultStatus.MET
    result.save()
    assert matrix_met(district_page(client, district)) == "2/3"


def test_a_new_recognition_and_its_deletion_show(client, area):
    district, commune, _, _ = area
    assert headline(district_page(client, district), "meeting the NTM") == "0"
    recognition = make_recognition(unit=commune, decided_on=datetime.date(2024, 3, 1))
    assert headline(district_page(client, district), "meeting the NTM") == "1"
    recognition.delete()
    assert headline(district_page(client, district), "meeting the NTM") == "0"


def test_a_village_recognition_shows(client, area):
    district, commune, _, _ = area
    village = make_village(commune=commune)
    assert headline(district_page(client, district), "Villages meeting") == "0"
    make_recognition(unit=village, title=Title.VILLAGE_NTM, decided_on=datetime.date(2024, 3, 1))
    assert headline(district_page(client, district), "Villages meeting") == "1"


def test_a_target_shows(client, area):
    district, commune, _, _ = area
    assert "by 2027" not in district_page(client, district)
    make_target(unit=commune, title=Title.NTM, planned_year=2027)
    assert "by 2027" in district_page(client, district)


def test_renamed_commune_criterion_and_set_show(client, area):
    district, commune, criteria_set, _ = area
    district_page(client, district)
    commune.name = "Xã Đổi Tên"
    commune.save()
    assert "Xã Đổi Tên" in district_page(client, district)
    criterion = criteria_set.criteria.get(number=3)
    criterion.name = "Tiêu chí đổi tên"
    criterion.save()
    assert "Tiêu chí đổi tên" in district_page(client, district)
    criteria_set.name_en = "Renamed set"
    criteria_set.short_name = "Renamed set"
    criteria_set.save()
    assert "Renamed set" in district_page(client, district)


def test_a_status_change_by_queryset_update_needs_its_own_record(client, area):
    """QuerySet.update() sends no signal: a service writing that way records the change
    itself (reports.cache), and then the page follows."""
    district, commune, criteria_set, _ = area
    later = make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1, 2, 3],
        status=AssessmentStatus.DRAFT,
        assessed_on=datetime.date(2025, 1, 1),
    )
    assert matrix_met(district_page(client, district)) == "1/3"
    with transaction.atomic():
        type(later).objects.filter(pk=later.pk).update(status=AssessmentStatus.APPROVED)
        cache.record_change(province_id=district.province_id)
    assert matrix_met(district_page(client, district)) == "3/3"


def test_a_workflow_recognition_shows_on_the_province_dashboard(client, area):
    district, commune, criteria_set, _ = area
    dossier = make_assessment(
        unit=commune,
        criteria_set=criteria_set,
        met=[1, 2, 3],
        status=AssessmentStatus.APPRAISED,
        assessed_on=datetime.date(2025, 1, 1),
    )
    html = province_page(client, district.province)
    assert headline(html, "meeting the NTM") == "0"
    workflow.recognise(
        user=make_user(role=Role.PROVINCE_OFFICE, unit=district.province),
        assessment=dossier,
        decision_number="12/QĐ-UBND",
        decided_on=datetime.date(2025, 2, 1),
        signer="Nguyễn Văn A",
    )
    assert headline(province_page(client, district.province), "meeting the NTM") == "1"


def test_a_rolled_back_write_keeps_the_version(area):
    province_id = area[0].province_id
    before = cache.report_version(province_id)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_recognition(unit=area[1])
        raise RuntimeError
    assert cache.report_version(province_id) == before


def test_bulk_paths_record_a_change_for_every_province(area):
    """Bulk inserts and raw deletes send no signals: generate_history, reset_history,
    load_admin_units, load_criteria and restore_portal record the change themselves."""
    province_id = area[0].province_id
    before = cache.report_version(province_id)
    generate.reset_history()
    assert cache.report_version(province_id) != before


# -- The version ---------------------------------------------------------------------------


def test_every_recorded_change_moves_the_version_and_pruning_keeps_it(area):
    province_id = area[0].province_id
    versions = [cache.report_version(province_id)]
    for _ in range(2 * cache.PRUNE_EVERY + 3):
        cache.record_change(province_id=province_id)
        versions.append(cache.report_version(province_id))
    assert len(set(versions)) == len(versions)
    # Pruned: one row per province (and for every province) before the newest rows.
    assert ReportChange.objects.count() < cache.PRUNE_EVERY + 70
    before = cache.report_version(province_id)
    cache._prune(before=ReportChange.objects.order_by("-pk").first().pk + 1, using=None)
    assert cache.report_version(province_id) == before
    assert ReportChange.objects.filter(province_id=province_id).count() == 1


def test_a_change_for_every_province_moves_each_version(area):
    other = make_province()
    before = (cache.report_version(area[0].province_id), cache.report_version(other.pk))
    cache.record_change(province_id=None)
    after = (cache.report_version(area[0].province_id), cache.report_version(other.pk))
    assert after[0] != before[0] and after[1] != before[1]
