"""Public pages across the 2025 merger: an address shows the unit valid on its date, an old
unit keeps an address of its own, a reused code is explained, and each page shows where its
unit came from and what it became. Read in Vietnamese (the default) where the issue quotes the
wording, otherwise in English."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from communes.models import Commune, District, Province
from communes.selectors import unit_by_code
from tests.factories import legacy_unit, new_unit

pytestmark = pytest.mark.django_db

AFTER = datetime.date(2025, 7, 1)


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_commune_address_shows_todays_unit_and_explains_the_reused_code(client):
    response = client.get(reverse("reports:commune", args=["18838"]))

    assert response.status_code == 200
    text = text_of(response)
    assert "<h1>Xã Kỳ Lạc" in response.content.decode()
    assert (
        "Mã 18838 là Xã Lâm Hợp đến 30/06/2025; nay là Xã Kỳ Lạc (gồm Lâm Hợp và Kỳ Lạc cũ)."
        in text
    )
    lam_hop = legacy_unit(Commune, "18838")
    assert f'href="{lam_hop.public_url()}"' in response.content.decode()
    assert lam_hop.public_url() == "/c/18838/?on=2025-06-30"


def test_new_commune_shows_both_predecessors_2020_results_under_their_names(en):
    response = en.get(reverse("reports:commune", args=["18838"]))

    html = response.content.decode()
    lam_hop = re.search(r'data-predecessor="18838".*?</article>', html, re.S)[0]
    ky_lac = re.search(r'data-predecessor="18850".*?</article>', html, re.S)[0]
    assert "Xã Lâm Hợp" in lam_hop and "08/09/2020" in lam_hop and "16/20" in lam_hop
    assert "Xã Kỳ Lạc" in ky_lac and "08/09/2020" in ky_lac and "10/20" in ky_lac
    assert 'href="/c/18850/?on=2025-06-30"' in ky_lac


def test_old_commune_has_its_own_address_and_says_what_it_became(client):
    lam_hop = legacy_unit(Commune, "18838")

    response = client.get(lam_hop.public_url())

    text = text_of(response)
    assert "<h1>Xã Lâm Hợp" in response.content.decode()
    assert "16/20" in text
    assert "nay thuộc Xã Kỳ Lạc" in text
    assert 'href="/c/18838/"' in response.content.decode()  # today's Kỳ Lạc


def test_old_commune_whose_code_is_not_reused_is_shown_as_closed(en):
    response = en.get(reverse("reports:commune", args=["18850"]))  # the old Kỳ Lạc

    assert response.status_code == 200
    text = text_of(response)
    assert "Xã Kỳ Lạc existed until 30/06/2025. It is now part of Xã Kỳ Lạc" in text
    assert "10/20" in text


def test_closed_district_page_still_works_for_its_dates(en):
    for url in ("/d/447/", "/d/447/?on=2024-01-01"):
        response = en.get(url)
        assert response.status_code == 200
        text = text_of(response)
        assert "Huyện Kỳ Anh existed until 30/06/2025" in text
        assert "there are no districts" in text


def test_province_code_resolves_by_date_with_lineage_both_ways(en):
    tay_ninh = en.get("/p/80/")
    text = text_of(tay_ninh)
    assert "<h1>Tỉnh Tây Ninh" in tay_ninh.content.decode()
    assert "Code 80 was Tỉnh Long An until 30/06/2025" in text
    assert "Formed on 01/07/2025 from" in text and "Tỉnh Long An" in text

    long_an = en.get("/p/80/?on=2024-05-08")
    assert "<h1>Tỉnh Long An" in long_an.content.decode()
    assert "It is now part of Tỉnh Tây Ninh" in text_of(long_an)


def test_a_malformed_date_is_a_400_in_vietnamese(client):
    response = client.get("/c/18838/?on=30-06-2025")

    assert response.status_code == 400
    assert "không phải là ngày" in text_of(response)


def test_a_date_before_any_unit_with_the_code_is_a_404(client):
    # 99999 never existed; a real code asked for before it existed has nothing to show.
    assert client.get("/c/99999/").status_code == 404


def test_home_lists_todays_34_provinces_and_links_to_the_63_before(en):
    today = en.get(reverse("reports:home"))
    provinces = Province.objects.valid_on(datetime.date.today())
    assert list(today.context["provinces"]) == list(provinces.order_by("code"))
    assert provinces.count() == 34
    assert 'href="?on=2025-06-30"' in today.content.decode()

    before = en.get(reverse("reports:home") + "?on=2025-06-30")
    assert before.context["provinces"].count() == 63
    assert "Tỉnh Long An" in before.content.decode()


def test_merged_commune_counts_as_ntm_only_when_every_predecessor_was_recognised(en):
    # The new Xã Hoa Lộc: its six predecessors of Hậu Lộc were all NTM by 2023.
    hoa_loc = text_of(en.get("/c/16072/"))
    assert "Counts as NTM" in hoa_loc
    assert "Every commune it was formed from was recognised" in hoa_loc
    # The new Xã Kỳ Lạc: neither Lâm Hợp nor the old Kỳ Lạc was recognised.
    ky_lac = text_of(en.get("/c/18838/"))
    assert "chưa đạt" in ky_lac and "Counts as NTM" not in ky_lac
    assert "Not recognised: Xã Lâm Hợp, Xã Kỳ Lạc." in ky_lac


def test_merged_commune_title_rule_in_vietnamese_names_its_source(client):
    text = text_of(client.get("/c/18838/"))
    assert "chưa đạt" in text
    assert "Báo Hà Tĩnh" in text


def test_partly_merged_predecessor_is_shown_as_such(en):
    nhut_tao = new_unit(Commune, "28087")
    response = en.get(nhut_tao.public_url())
    html = response.content.decode()
    nhi_thanh = re.search(r'data-predecessor="28057".*?</article>', html, re.S)[0]
    assert "Xã Nhị Thành" in nhi_thanh and "partly merged" in nhi_thanh
    # Quê Mỹ Thạnh's 2024 figures (15/19) appear under its own name.
    que_my_thanh = re.search(r'data-predecessor="28084".*?</article>', html, re.S)[0]
    assert "Xã Quê Mỹ Thạnh" in que_my_thanh and "15/19" in que_my_thanh


def test_breadcrumbs_of_an_old_commune_link_to_its_old_district_and_province(en):
    html = en.get(legacy_unit(Commune, "18838").public_url()).content.decode()
    assert 'href="/d/447/?on=2025-06-30"' in html
    assert 'href="/p/42/?on=2025-06-30"' in html
    district = unit_by_code(District, "447", on=datetime.date(2020, 1, 1))
    assert district.public_url() == "/d/447/?on=2025-06-30"


def test_national_ranking_lists_the_map_of_its_date(client):
    client.force_login(get_user_model().objects.get(username="admin"))

    today = client.get(reverse("reports:national_dashboard"))
    before = client.get(reverse("reports:national_dashboard") + "?as_of=2024-12-31")

    assert len(today.context["ranking"]) == 34
    assert len(before.context["ranking"]) == 63
    names = {rank.province.name for rank in before.context["ranking"]}
    assert "Tỉnh Long An" in names and "Tỉnh Long An" not in {
        rank.province.name for rank in today.context["ranking"]
    }


def test_legal_basis_is_blank_unless_known_and_never_invented(en):
    """vietnam-provinces 2026.9.0 carries no resolution number for any conversion, so the
    loader leaves every link's legal basis blank and the pages show none; one entered by an
    administrator is shown."""
    from communes.models import CommuneSuccession, ProvinceSuccession

    assert not CommuneSuccession.objects.exclude(legal_basis="").exists()
    assert not ProvinceSuccession.objects.exclude(legal_basis="").exists()
    html = en.get("/c/18838/").content.decode()
    assert "legal basis" not in html and "Nghị quyết" not in html

    ky_lac = new_unit(Commune, "18838")
    CommuneSuccession.objects.filter(successor=ky_lac).update(legal_basis="Văn bản thử")
    html = en.get("/c/18838/").content.decode()
    assert "legal basis: Văn bản thử" in html
