"""The committed criteria fixture: faithful to the reference, verified thresholds only."""

import json
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from criteria.enums import VERIFIED
from criteria.models import CriteriaSet, Indicator, Threshold
from criteria.services import CRITERIA_FIXTURE, load_criteria_fixture

REFERENCE = settings.BASE_DIR.parent / "shared" / "reference"


@pytest.mark.skipif(
    not (REFERENCE / "ntm-criteria.json").exists(), reason="research files not beside the repo"
)
def test_committed_fixture_matches_the_reference():
    call_command("build_criteria_fixture", "--check", reference=REFERENCE)


def fixture_rows():
    return json.loads(CRITERIA_FIXTURE.read_text(encoding="utf-8"))


def test_fixture_set_sizes():
    rows = fixture_rows()
    criteria = Counter(
        r["fields"]["criteria_set"][0] for r in rows if r["model"] == "criteria.criterion"
    )
    indicators = Counter(
        r["fields"]["criterion"][1] for r in rows if r["model"] == "criteria.indicator"
    )
    assert criteria == {
        "NTM_XA_2021_2025": 19,
        "NTMNC_XA_2021_2025": 19,
        "NTM_KIEUMAU_XA_2021_2025": 4,
        "NTM_XA_2016_2020": 19,
        "HATINH_NTM_XA_2017_2020": 20,
        "PHUONG_TIEU_CHUAN_2016_2025": 10,
        "NTM_HUYEN_2021_2025": 9,
        "NTM_XA_2026_2030": 10,
    }
    assert indicators["NTM_XA_2021_2025"] == 57
    assert "NTM_XA_2026_2030" not in indicators  # the 47 indicators are not yet known


def test_fixture_uses_natural_keys_only():
    assert all("pk" not in row for row in fixture_rows())


@pytest.mark.django_db
def test_declared_counts_from_the_legal_texts():
    declared = dict(
        CriteriaSet.objects.values_list("code", "declared_indicator_count").filter(
            declared_indicator_count__isnull=False
        )
    )
    assert declared == {"NTM_XA_2021_2025": 57, "NTMNC_XA_2021_2025": 75, "NTM_XA_2026_2030": 47}


@pytest.mark.django_db
def test_thresholds_only_for_verified_indicators():
    assert Threshold.objects.count() > 90
    assert not Threshold.objects.exclude(verification__in=VERIFIED).exists()
    assert not Threshold.objects.exclude(indicator__verification__in=VERIFIED).exists()


@pytest.mark.django_db
def test_unverified_reference_text_is_a_labelled_note_not_a_threshold():
    recalled = Indicator.objects.get(criterion__criteria_set__code="NTM_XA_2016_2020", code="4.2")
    assert not recalled.thresholds.exists()
    assert recalled.reference_note.startswith("[RECALLED-UNVERIFIED]")


@pytest.mark.django_db
def test_provincial_variant_and_prerequisites():
    hatinh = CriteriaSet.objects.get(code="HATINH_NTM_XA_2017_2020")
    assert hatinh.province.code == "42"
    assert hatinh.criteria.get(number=20).name == "Khu dân cư nông thôn mới kiểu mẫu, vườn mẫu"
    ntmnc = CriteriaSet.objects.get(code="NTMNC_XA_2021_2025")
    assert ntmnc.prerequisite.code == "NTM_XA_2021_2025"
    model = CriteriaSet.objects.get(code="NTM_KIEUMAU_XA_2021_2025")
    assert model.prerequisite == ntmnc


@pytest.mark.django_db
def test_load_criteria_refuses_missing_province(tmp_path: Path):
    rows = fixture_rows()
    rows.append(
        {
            "model": "criteria.threshold",
            "fields": {**rows[-1]["fields"], "province": ["99"], "scope": "province"},
        }
    )
    path = tmp_path / "criteria.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    before = Threshold.objects.count()
    with pytest.raises(ValueError, match="99"):
        load_criteria_fixture(path=path)
    assert Threshold.objects.count() == before
