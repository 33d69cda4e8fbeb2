"""Shared fixtures. The test database is built once per run with the real reference data
(units of the demo provinces, every criteria set) and the demo data from the seed articles;
each test then runs in a transaction that is rolled back."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

# Provinces the demo data lives in: Thanh Hóa, Hà Tĩnh, Huế, Long An.
DEMO_PROVINCES = ["38", "42", "46", "80"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_admin_units", province=DEMO_PROVINCES, verbosity=0)
        call_command("load_criteria", verbosity=0)
        call_command("load_demo", verbosity=0)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the dashboards cache their bodies, reports.cache),
    as a fresh server process would. The cache stays on during the test."""
    from django.core.cache import cache

    cache.clear()


# A day while the pre-2025 map was in force (Huyện Kỳ Anh and its office still existed).
BEFORE_THE_MERGER = datetime.date(2025, 6, 2)


@pytest.fixture
def before_the_merger(monkeypatch):
    """Today is 02/06/2025 for the code under test (``timezone.localdate()``): the demo's
    three-tier workflow (lamhop submits, kyanh verifies, hatinh appraises) as it ran while
    the districts existed. Since 01/07/2025 a district office no longer acts (its membership
    ended with its district), so the tests of that tier's mechanics use this day."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return BEFORE_THE_MERGER if value is None else real(value, timezone)

    monkeypatch.setattr(timezone, "localdate", localdate)
    return BEFORE_THE_MERGER
