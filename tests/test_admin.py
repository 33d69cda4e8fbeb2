"""Every admin page an administrator uses opens, and list pages do not grow with the data."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import Commune
from criteria.models import Assessment, CriteriaSet, Evidence
from criteria.services import record_assessment
from tests.factories import legacy_unit, make_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m.__name__}"
)
def test_admin_changelist_add_and_change_pages_open(admin_client, model, rf):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    request = rf.get("/")
    request.user = get_user_model().objects.get(username="admin")
    # Records such as the workflow timeline are read-only by design: their add page is refused.
    addable = admin.site._registry[model].has_add_permission(request)
    assert admin_client.get(admin_url(model, "add")).status_code == (200 if addable else 403)
    obj = model._default_manager.first()
    if obj is not None:
        assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_admin_search_finds_commune_by_name_and_code(admin_client):
    url = admin_url(Commune, "changelist")
    assert "Xã Lâm Hợp" in admin_client.get(url, {"q": "Lâm Hợp"}).content.decode()
    assert "Xã Lâm Hợp" in admin_client.get(url, {"q": "18838"}).content.decode()


def test_admin_assessment_list_query_count_is_constant(admin_client, django_assert_num_queries):
    url = admin_url(Assessment, "changelist")
    admin_client.get(url)  # warm the session and content-type caches

    with CaptureQueriesContext(connection) as few_rows:
        admin_client.get(url)
    criteria_set = CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020")
    for commune in Commune.objects.filter(district__code="447")[:10]:
        record_assessment(
            unit=commune,
            criteria_set=criteria_set,
            assessed_on=datetime.date(2019, 5, 1),
            results={1: (ResultStatus.MET, "")},
            status=AssessmentStatus.DRAFT,
        )
    with django_assert_num_queries(len(few_rows)):
        admin_client.get(url)


def test_evidence_admin_links_the_permission_checked_download(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = b"%PDF-1.4\n%%EOF\n"
    assessment = make_assessment(
        unit=legacy_unit(Commune, "18838"),
        criteria_set=CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020"),
    )
    evidence = Evidence.objects.create(
        assessment=assessment,
        criterion=assessment.criteria_set.criteria.first(),
        title="Biên bản",
        file=SimpleUploadedFile("bien-ban.pdf", pdf),
        original_name="bien-ban.pdf",
        content_type="application/pdf",
        size=len(pdf),
    )
    download = reverse("criteria:evidence_download", args=[evidence.pk])
    version = evidence.history.first().history_id
    pages = [
        admin_url(Evidence, "change", evidence.pk),
        reverse("admin:criteria_evidence_simple_history", args=[evidence.pk, version]),
    ]
    for url in pages:
        page = admin_client.get(url).content.decode()
        assert f'href="{download}"' in page
        assert settings.MEDIA_URL not in page
    response = admin_client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
