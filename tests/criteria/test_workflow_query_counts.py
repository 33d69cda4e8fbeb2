"""The dossier pages cost the same number of queries however much a dossier holds."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communes.models import Commune
from criteria import workflow
from criteria.models import Assessment, CriteriaSet
from tests.criteria.test_workflow_views import PDF, all_met, login, user
from tests.factories import legacy_unit

pytestmark = pytest.mark.django_db


def grow(draft, n):
    """Add ``n`` evidence files, ``n`` saves (history rows) and ``n`` older assessments."""
    for i in range(n):
        workflow.add_evidence(
            user=user("lamhop"),
            assessment=draft,
            criterion_id=draft.criteria_set.criteria.get(number=i % 20 + 1).pk,
            uploaded=SimpleUploadedFile(f"e{i}.pdf", PDF),
            title=f"Văn bản {i}",
        )
        workflow.save_draft(
            user=user("lamhop"),
            assessment=draft,
            expected_version=Assessment.objects.get(pk=draft.pk).version,
            results=all_met(draft),
            values={},
        )
        workflow.start_assessment(
            user=user("lamhop"),
            unit=legacy_unit(Commune, "18838"),
            criteria_set=draft.criteria_set,
            assessed_on=datetime.date(2019, 1, 1) + datetime.timedelta(days=i),
        )


@pytest.mark.parametrize("extra", [0, 6])
@pytest.mark.parametrize(
    ("who", "page", "queries"),
    [
        # commune_history: + the lineage (links, same code) of an unmerged commune.
        # + what blocks submitting (criteria, indicators, results, values, thresholds).
        ("lamhop", "assessment", 21),
        ("lamhop", "assessment_edit", 14),
        ("lamhop", "commune_history", 7),
        ("kyanh", "assessment", 14),
        ("kyanh", "commune_history", 7),
        ("kyanh", "assessment_audit", 11),
    ],
)
def test_dossier_page_query_count_is_constant(
    client, django_assert_num_queries, settings, tmp_path, who, page, queries, extra
):
    settings.MEDIA_ROOT = tmp_path
    draft = workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, "18838"),
        criteria_set=CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020"),
        assessed_on=datetime.date(2020, 10, 15),
    )
    grow(draft, extra)
    login(client, who)
    args = ["18838"] if page == "commune_history" else [draft.pk]
    url = reverse(f"criteria:{page}", args=args)
    client.get(url)  # the session row is read once per request either way
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
