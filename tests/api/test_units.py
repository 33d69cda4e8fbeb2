"""Units with their validity and lineage: each province and commune names the units it was
formed from and the ones it became part of (code, start date, name, partly merged, effective
date), read for a whole page in a constant number of queries."""

import datetime

import pytest

from communes.models import MERGER_DATE, Commune, CommuneSuccession
from tests.factories import make_commune, make_province

pytestmark = pytest.mark.django_db

MERGER = MERGER_DATE.isoformat()


def link(code, name, *, valid_from=None, partly=False):
    return {
        "code": code,
        "valid_from": valid_from,
        "name": name,
        "partly_merged": partly,
        "effective_on": MERGER,
    }


def test_a_new_commune_names_the_communes_it_was_formed_from(client):
    ky_lac = client.get("/api/v1/communes/18838/").json()
    assert (ky_lac["name"], ky_lac["valid_from"], ky_lac["valid_to"]) == ("Xã Kỳ Lạc", MERGER, None)
    assert ky_lac["predecessors"] == [
        link("18838", "Xã Lâm Hợp"),
        link("18850", "Xã Kỳ Lạc"),
    ]
    assert ky_lac["successors"] == []


def test_a_former_commune_names_what_it_became(client):
    lam_hop = client.get("/api/v1/communes/18838/", {"on": "2025-06-30"}).json()
    assert (lam_hop["name"], lam_hop["valid_to"]) == ("Xã Lâm Hợp", "2025-06-30")
    assert lam_hop["predecessors"] == []
    assert lam_hop["successors"] == [link("18838", "Xã Kỳ Lạc", valid_from=MERGER)]


def test_a_partly_merged_predecessor_is_marked(client):
    nhut_tao = client.get("/api/v1/communes/28087/").json()
    partly = {p["code"]: p["partly_merged"] for p in nhut_tao["predecessors"]}
    assert partly["28057"] is True
    assert False in partly.values()


def test_provinces_carry_their_lineage(client):
    long_an = client.get("/api/v1/provinces/80/", {"on": "2025-06-30"}).json()
    assert long_an["successors"] == [link("80", "Tỉnh Tây Ninh", valid_from=MERGER)]
    ha_tinh = client.get("/api/v1/provinces/42/").json()
    assert ha_tinh["predecessors"] == [link("42", "Tỉnh Hà Tĩnh")]
    listed = {
        (p["code"], p["valid_from"]): p
        for p in client.get("/api/v1/provinces/", {"page_size": 1000}).json()["results"]
    }
    assert listed[("42", MERGER)]["predecessors"] == ha_tinh["predecessors"]
    assert listed[("80", None)]["successors"] == long_an["successors"]


def test_the_commune_list_carries_the_lineage(client):
    rows = client.get("/api/v1/communes/", {"province": "42", "valid_on": "2026-01-01"}).json()
    ky_lac = next(row for row in rows["results"] if row["code"] == "18838")
    assert [p["name"] for p in ky_lac["predecessors"]] == ["Xã Lâm Hợp", "Xã Kỳ Lạc"]


def test_districts_have_no_lineage_links(client):
    """The district level was abolished: its end date says so, its communes carry the links."""
    ky_anh = client.get("/api/v1/districts/447/").json()
    assert ky_anh["valid_to"] == "2025-06-30"
    assert "predecessors" not in ky_anh and "successors" not in ky_anh


def _merged_province(links_per_commune, communes=3):
    """A new province whose communes were each formed from ``links_per_commune`` old ones
    (the first partly), and whose old communes each became part of one new commune."""
    province = make_province(valid_from=MERGER_DATE)
    old_province = make_province(valid_to=MERGER_DATE - datetime.timedelta(days=1))
    for _ in range(communes):
        new = make_commune(province=province, valid_from=MERGER_DATE)
        for i in range(links_per_commune):
            old = make_commune(
                province=old_province, valid_to=new.valid_from - datetime.timedelta(days=1)
            )
            CommuneSuccession.objects.create(predecessor=old, successor=new, partly_merged=i == 0)
    return province, old_province


@pytest.mark.parametrize("links", [1, 7])
def test_unit_lineage_query_count_is_constant(client, django_assert_num_queries, links):
    province, old_province = _merged_province(links)
    # The report version, the rows, the links to predecessors, the links to successors.
    with django_assert_num_queries(4):
        new = client.get("/api/v1/communes/", {"province": province.code}).json()["results"]
    assert [len(row["predecessors"]) for row in new] == [links] * 3
    assert all(row["predecessors"][0]["partly_merged"] for row in new)
    with django_assert_num_queries(4):
        old = client.get("/api/v1/communes/", {"province": old_province.code}).json()["results"]
    assert len(old) == 3 * links
    assert all(len(row["successors"]) == 1 for row in old)
    # One unit by its code: the version, the units with that code, then their links.
    code = Commune.objects.filter(province=province).first().code
    with django_assert_num_queries(4):
        one = client.get(f"/api/v1/communes/{code}/").json()
    assert len(one["predecessors"]) == links
