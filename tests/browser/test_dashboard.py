"""The Kỳ Anh dashboard in a real browser: the district office logs in, switches the criteria
set and the as-of date through the filters (the URL follows), and downloads the Excel file.
The province office's dashboard is shot too, on a phone and on a desktop.

Screenshots go to test-artifacts/screenshots/ (git-ignored; a CI artifact)."""

from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import DEMO_PROVINCES

pytestmark = pytest.mark.browser

PASSWORD = "ntm-demo-2025"
SCREENSHOTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def demo(transactional_db):
    # live_server flushes the database after each test; load_demo spans the demo provinces.
    call_command("load_admin_units", province=DEMO_PROVINCES, verbosity=0)
    call_command("load_criteria", verbosity=0)
    call_command("load_demo", verbosity=0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    expect(page.locator("form[action='/accounts/logout/']")).to_be_visible()


def test_district_office_filters_the_dashboard_and_downloads_excel(demo, live_server, page):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "kyanh")
    # The demo's offices hold units of the map until 30/06/2025 (after, the page says the
    # district no longer exists: tests/reports/test_dashboard_eras.py).
    page.goto(f"{live_server.url}/d/447/dashboard/?as_of=2025-06-30")
    expect(page.locator("h1")).to_contain_text("Kỳ Anh")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-ky-anh-1280.png"), full_page=True)

    # Another set: the URL carries it, and the filter shows it chosen.
    options = page.locator("#filter-set option")
    assert options.count() >= 2
    other = options.nth(1).get_attribute("value")
    page.select_option("#filter-set", other)
    page.click("form.filters button[type=submit]")
    assert f"set={other}" in page.url
    expect(page.locator("#filter-set")).to_have_value(other)

    # Back to the default set, as of an earlier date.
    first = options.nth(0).get_attribute("value")
    page.select_option("#filter-set", first)
    page.fill("#filter-as-of", "2020-12-31")
    page.click("form.filters button[type=submit]")
    assert "as_of=2020-12-31" in page.url
    expect(page.locator(".dashboard-scope")).to_contain_text("31/12/2020")

    with page.expect_download() as download_info:
        page.click("a[href*='/d/447/dashboard.xlsx']")
    download = download_info.value
    assert download.suggested_filename.endswith("2020-12-31.xlsx")
    workbook = load_workbook(BytesIO(Path(download.path()).read_bytes()))
    assert workbook.worksheets[0]["A1"].value == "Huyện Kỳ Anh, Tỉnh Hà Tĩnh"
    assert len(workbook.worksheets) == 3  # matrix, communes, legend

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/d/447/dashboard/?as_of=2025-06-30")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-ky-anh-360.png"), full_page=True)
    page.locator("#hardest").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "dashboard-ky-anh-360-chart.png"))


def test_province_office_sees_the_province_dashboard(demo, live_server, page):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "hatinh")
    page.goto(f"{live_server.url}/p/42/dashboard/?as_of=2025-06-30")
    expect(page.locator("h1")).to_contain_text("Hà Tĩnh")
    expect(page.locator("a[href^='/d/447/dashboard/']")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "dashboard-ha-tinh-1280.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    page.screenshot(path=str(SCREENSHOTS / "dashboard-ha-tinh-360.png"), full_page=True)
    page.locator("#trend").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "dashboard-ha-tinh-360-trend.png"))
