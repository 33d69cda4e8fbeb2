"""The assessment timeline of a commune follows it through the 2025 merger: a new commune's
history shows its predecessors' assessments and recognitions before 01/07/2025 under their
own names (and links to their own addresses); an old commune's history says what it became."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from communes.enums import Role
from communes.models import LEGACY_VALID_TO, MERGER_DATE, Commune, CommuneSuccession
from tests.factories import (
    legacy_unit,
    make_assessment,
    make_commune,
    make_criteria_set,
    make_province,
    make_recognition,
    make_user,
    new_unit,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def article(html, code):
    return re.search(rf'data-predecessor="{code}".*?</article>', html, re.S)[0]


def test_new_commune_history_shows_both_predecessors_2020_results(en):
    login(en, "kylac2026")
    response = en.get(reverse("criteria:commune_history", args=["18838"]))

    assert response.status_code == 200
    assert response.context["commune"] == new_unit(Commune, "18838")
    html = response.content.decode()
    lam_hop, ky_lac = article(html, "18838"), article(html, "18850")
    assert "Xã Lâm Hợp" in lam_hop and "08/09/2020" in lam_hop and "16/20" in lam_hop
    assert "Xã Kỳ Lạc" in ky_lac and "08/09/2020" in ky_lac and "10/20" in ky_lac
    # Each predecessor links to its own stable address, never to today's 18838.
    assert 'href="/c/18838/?on=2025-06-30"' in lam_hop
    assert 'href="/c/18850/?on=2025-06-30"' in ky_lac
    assert "Formed on 01/07/2025 from" in html
    assert "Not recognised: Xã Lâm Hợp, Xã Kỳ Lạc." in " ".join(html.split())


def test_partly_merged_predecessor_is_marked_on_the_history(en):
    login(en, "admin")
    html = en.get(reverse("criteria:commune_history", args=["28087"])).content.decode()
    nhi_thanh = article(html, "28057")
    assert "Xã Nhị Thành" in nhi_thanh and "partly merged" in nhi_thanh
    que_my_thanh = article(html, "28084")
    assert "Xã Quê Mỹ Thạnh" in que_my_thanh and "15/19" in que_my_thanh


def test_old_commune_history_says_what_it_became(en):
    login(en, "lamhop")
    response = en.get(reverse("criteria:commune_history", args=["18838"]))

    assert response.context["commune"] == legacy_unit(Commune, "18838")
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert "Xã Lâm Hợp existed until 30/06/2025. It is now part of Xã Kỳ Lạc" in text
    assert 'href="/c/18838/"' in response.content.decode()  # today's Kỳ Lạc
    assert "data-predecessor-history" not in response.content.decode()


def test_old_commune_history_has_its_own_dated_address(en):
    """An administrator sees both communes of code 18838: the dated address names Lâm Hợp,
    the bare one today's Kỳ Lạc, and the public page of Lâm Hợp links to the dated one."""
    login(en, "admin")
    lam_hop = legacy_unit(Commune, "18838")
    assert lam_hop.history_url() == "/criteria/c/18838/history/?on=2025-06-30"

    old = en.get(lam_hop.history_url())
    assert old.context["commune"] == lam_hop
    assert en.get(reverse("criteria:commune_history", args=["18838"])).context[
        "commune"
    ] == new_unit(Commune, "18838")
    assert f'href="{lam_hop.history_url()}"' in en.get(lam_hop.public_url()).content.decode()


def test_comparing_on_a_dated_address_stays_on_the_old_commune(en):
    login(en, "admin")
    lam_hop = legacy_unit(Commune, "18838")
    earlier = en.get(lam_hop.history_url()).context["timeline"][0]
    make_assessment(
        unit=lam_hop, criteria_set=earlier.criteria_set, assessed_on=datetime.date(2019, 9, 1)
    )
    page = en.get(lam_hop.history_url())
    assert 'name="on" value="2025-06-30"' in page.content.decode()  # kept when comparing
    first, second = (a.pk for a in page.context["timeline"][:2])
    response = en.get(
        reverse("criteria:commune_history", args=["18838"]),
        {"on": "2025-06-30", "first": first, "second": second},
    )
    assert response.status_code == 200
    assert response.context["commune"] == lam_hop
    assert response.context["comparison"] is not None


def test_a_malformed_date_is_a_400(client):
    login(client, "admin")
    response = client.get(reverse("criteria:commune_history", args=["18838"]), {"on": "30/06"})
    assert response.status_code == 400


def test_a_new_commune_is_out_of_the_old_officials_reach(client):
    """lamhop's Lâm Hợp is closed; the new Kỳ Lạc is not in their subtree (404)."""
    login(client, "lamhop")
    response = client.get(reverse("criteria:commune_history", args=["18838"]), {"on": "2026-01-01"})
    assert response.status_code == 200
    assert response.context["commune"] == legacy_unit(Commune, "18838")
    login(client, "kylac2026")
    assert client.get(legacy_unit(Commune, "18838").history_url()).status_code == 404


def merged_commune(predecessors: int, assessments: int):
    """A new commune formed from ``predecessors`` old ones, each with ``assessments`` public
    assessments and a recognition before the merger."""
    province = make_province(valid_from=MERGER_DATE)
    old_province = make_province(valid_to=LEGACY_VALID_TO)
    new = make_commune(province=province, valid_from=MERGER_DATE)
    criteria_set = make_criteria_set(n_criteria=5)
    for i in range(predecessors):
        old = make_commune(province=old_province, valid_to=LEGACY_VALID_TO)
        CommuneSuccession.objects.create(predecessor=old, successor=new, partly_merged=i % 2 == 1)
        for day in range(assessments):
            make_assessment(
                unit=old,
                criteria_set=criteria_set,
                met=(1, 2),
                assessed_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=day),
            )
        make_recognition(unit=old, decided_on=datetime.date(2024, 12, 1))
    make_assessment(unit=new, criteria_set=criteria_set, assessed_on=datetime.date(2026, 3, 1))
    return province, new


@pytest.mark.parametrize(("predecessors", "assessments"), [(1, 1), (4, 3)])
def test_history_query_count_is_constant_across_predecessors(
    client, django_assert_num_queries, predecessors, assessments
):
    province, new = merged_commune(predecessors, assessments)
    client.force_login(make_user(role=Role.PROVINCE_OFFICE, unit=province))
    url = reverse("criteria:commune_history", args=[new.code])
    client.get(url)
    # Session and user, membership, commune, timeline, lineage (links, same code),
    # own recognitions, the predecessors' assessments and recognitions.
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-predecessor=") == predecessors
    assert len(response.context["merger"].predecessors[0].assessments) == assessments
