"""The public criteria-set pages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_set_list_shows_every_set_with_sizes(client):
    response = client.get(reverse("criteria:set_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "NTM 2021–2025" in body
    assert "Hà Tĩnh 20 tiêu chí (2017–2020)" in body
    assert "NTM 2026–2030" in body


def test_set_detail_shows_verified_thresholds_and_not_set(client):
    response = client.get(reverse("criteria:set_detail", args=["NTM_XA_2021_2025"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tỷ lệ diện tích đất sản xuất nông nghiệp được tưới và tiêu nước chủ động" in body
    assert "≥ 80 %" in body
    assert "chưa quy định" in body  # e.g. income (criterion 10): never invented
    assert "chưa đối chiếu văn bản" in body  # a recalled item, in words, never its tag
    assert "RECALLED" not in body


def test_set_detail_warns_about_indicators_without_source_text(client):
    body = client.get(reverse("criteria:set_detail", args=["NTM_XA_2026_2030"])).content.decode()
    assert "47" in body
    assert "Giảm nghèo và an sinh xã hội" in body


def test_set_detail_unknown_code_is_404(client):
    assert client.get(reverse("criteria:set_detail", args=["NO_SUCH_SET"])).status_code == 404


@pytest.mark.parametrize("code", ["NTM_HUYEN_2021_2025", "NTM_XA_2016_2020"])
def test_set_detail_query_count_is_constant(client, django_assert_num_queries, code):
    # A 9-criterion set with 3 indicators and a 19-criterion set with 49 indicators and
    # dozens of thresholds cost the same number of queries (the set, criteria, indicators,
    # thresholds, and the sets of its kind for the in-force window).
    with django_assert_num_queries(5):
        client.get(reverse("criteria:set_detail", args=[code]))


def test_set_list_query_count(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(reverse("criteria:set_list"))
