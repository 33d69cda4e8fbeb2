"""Sets are offered from their legal effective date, and between two sets of the same kind the
one in force on the assessment date is offered (the start form, the service, the dashboards'
default set and the set page agree)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from communes.enums import AssessmentStatus as S
from communes.models import Commune
from criteria.models import Assessment, CriteriaSet
from criteria.selectors import set_in_force, startable_sets
from criteria.services import AssessmentError, check_assessment_fits
from reports.dashboard import area_sets, resolve_set
from tests.factories import legacy_unit, make_criteria_set

pytestmark = pytest.mark.django_db

D = datetime.date
LAM_HOP = "18838"


def window(code):
    return CriteriaSet.objects.get(code=code).in_force()


def in_force_codes(day):
    return set(CriteriaSet.objects.in_force_on(day).values_list("code", flat=True))


def test_effective_dates_are_the_ones_the_reference_gives():
    dates = dict(CriteriaSet.objects.values_list("code", "effective_from"))
    assert dates["NTM_XA_2016_2020"] == D(2016, 12, 1)  # QĐ 1980: effective 01/12/2016
    assert dates["NTM_XA_2021_2025"] == D(2022, 3, 8)  # QĐ 318: 08/03/2022
    assert dates["NTMNC_XA_2021_2025"] == D(2022, 3, 8)
    assert dates["NTM_XA_2026_2030"] == D(2026, 2, 15)  # QĐ 51/2025: effective 15/02/2026
    # No decision known (Hà Tĩnh), no date in the reference (ward standards): none stored.
    assert dates["HATINH_NTM_XA_2017_2020"] is None
    assert dates["PHUONG_TIEU_CHUAN_2016_2025"] is None
    why = CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020").effective_source
    assert why.startswith("Chưa rõ")


@pytest.mark.parametrize(
    ("day", "offered", "not_offered"),
    [
        (D(2016, 11, 30), set(), {"NTM_XA_2016_2020"}),
        (D(2016, 12, 1), {"NTM_XA_2016_2020"}, set()),
        # After its period (2016–2020) the 1980 set stays in force until QĐ 318 takes effect.
        (D(2022, 1, 1), {"NTM_XA_2016_2020"}, {"NTM_XA_2021_2025", "NTMNC_XA_2021_2025"}),
        (D(2022, 3, 7), {"NTM_XA_2016_2020"}, {"NTM_XA_2021_2025"}),
        (D(2022, 3, 8), {"NTM_XA_2021_2025", "NTMNC_XA_2021_2025"}, {"NTM_XA_2016_2020"}),
        (D(2026, 2, 14), {"NTM_XA_2021_2025"}, {"NTM_XA_2026_2030"}),
        (D(2026, 2, 15), {"NTM_XA_2026_2030"}, {"NTM_XA_2021_2025"}),
    ],
)
def test_the_set_in_force_on_each_edge(day, offered, not_offered):
    codes = in_force_codes(day)
    assert offered <= codes
    assert not (not_offered & codes)


def test_a_set_without_effective_date_keeps_its_period():
    hatinh = window("HATINH_NTM_XA_2017_2020")
    assert (hatinh.start, hatinh.end) == (D(2017, 1, 1), D(2020, 12, 31))


def test_the_service_refuses_a_set_before_it_takes_effect():
    commune = legacy_unit(Commune, LAM_HOP)
    ntm_2021 = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    with pytest.raises(AssessmentError, match="08/03/2022"):
        check_assessment_fits(
            unit=commune,
            criteria_set=ntm_2021,
            assessed_on=D(2022, 3, 7),
            allow_outside_period=False,
        )
    check_assessment_fits(
        unit=commune, criteria_set=ntm_2021, assessed_on=D(2022, 3, 8), allow_outside_period=False
    )


def test_start_form_offers_only_sets_in_effect_and_checks_the_date(client):
    client.force_login(get_user_model().objects.get(username="lamhop"))
    client.cookies["django_language"] = "en"
    url = reverse("criteria:assessment_start", args=[LAM_HOP])
    page = client.get(url)
    offered = {s.code for s in page.context["form"].fields["criteria_set"].queryset}
    assert {"NTM_XA_2016_2020", "NTM_XA_2021_2025", "NTM_XA_2026_2030"} <= offered
    # The default is the NTM set in force today.
    initial = page.context["form"].fields["criteria_set"].initial
    assert initial == set_in_force(legacy_unit(Commune, LAM_HOP), datetime.date.today()).pk
    ntm_2021 = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    refused = client.post(url, {"criteria_set": ntm_2021.pk, "assessed_on": "2022-03-07"})
    assert refused.status_code == 400
    assert "does not apply on this date" in refused.content.decode()
    assert not Assessment.objects.filter(status=S.DRAFT).exists()
    accepted = client.post(url, {"criteria_set": ntm_2021.pk, "assessed_on": "2022-03-08"})
    assert accepted.status_code == 302
    ntm_1980 = CriteriaSet.objects.get(code="NTM_XA_2016_2020")
    accepted = client.post(url, {"criteria_set": ntm_1980.pk, "assessed_on": "2022-01-01"})
    assert accepted.status_code == 302
    assert Assessment.objects.filter(status=S.DRAFT).count() == 2


def test_a_set_not_yet_in_effect_is_not_offered():
    commune = legacy_unit(Commune, LAM_HOP)
    future = make_criteria_set(
        code="FUTURE_SET",
        effective_from=datetime.date.today() + datetime.timedelta(days=30),
        valid_from=None,
    )
    assert future not in startable_sets(commune)
    assert future in startable_sets(commune, future.effective_from)


def test_a_replaced_version_is_no_longer_offered():
    commune = legacy_unit(Commune, LAM_HOP)
    old = CriteriaSet.objects.get(code="NTM_XA_2026_2030")
    new = make_criteria_set(
        code="NTM_XA_2026_2030_V2",
        effective_from=old.effective_from,
        valid_from=old.valid_from,
        valid_to=old.valid_to,
        previous_version=old,
    )
    day = D(2026, 6, 1)
    assert new in startable_sets(commune, day)
    assert old not in startable_sets(commune, day)
    assert old.in_force().replaced


def test_dashboard_default_set_is_the_one_in_force():
    sets = area_sets([])
    hatinh = legacy_unit(Commune, LAM_HOP).province_id
    on_2022 = resolve_set(sets, "", as_of=D(2022, 1, 1), province_id=None)
    assert on_2022.code == "NTM_XA_2016_2020"
    on_2023 = resolve_set(sets, "", as_of=D(2023, 1, 1), province_id=hatinh)
    assert on_2023.code == "NTM_XA_2021_2025"
    on_2026 = resolve_set(sets, "", as_of=D(2026, 12, 4), province_id=hatinh)
    assert on_2026.code == "NTM_XA_2026_2030"


def test_set_page_shows_the_effective_date_and_when_it_is_offered(client):
    body = client.get(reverse("criteria:set_detail", args=["NTM_XA_2021_2025"])).content.decode()
    assert "Ngày có hiệu lực" in body
    assert "08/03/2022" in body
    assert "từ 08/03/2022 đến 14/02/2026" in body
    body = client.get(
        reverse("criteria:set_detail", args=["HATINH_NTM_XA_2017_2020"])
    ).content.decode()
    assert "chưa rõ trong nguồn" in body
