"""Shared fixtures. The test database is built once per run with the real reference data
(units of the demo provinces, every criteria set) and the demo data from the seed articles;
each test then runs in a transaction that is rolled back."""

import pytest
from django.core.management import call_command

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
