"""A visitor follows a commune through the 2025 merger in a real browser: the new Xã Kỳ Lạc
(18838) shows both predecessors' 2020 results, and its link leads to the old Lâm Hợp, which
keeps its own address and says what it became. Shot on a phone and on a desktop.

Screenshots go to test-artifacts/screenshots/ (git-ignored; a CI artifact)."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import DEMO_PROVINCES

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def demo(transactional_db):
    # live_server flushes the database after each test; load_demo spans the demo provinces.
    call_command("load_admin_units", province=DEMO_PROVINCES, verbosity=0)
    call_command("load_criteria", verbosity=0)
    call_command("load_demo", verbosity=0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_anonymous_follows_ky_lac_back_to_lam_hop(page, live_server, demo, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/c/18838/")

    expect(page.locator("h1")).to_contain_text("Xã Kỳ Lạc")
    notice = page.locator("[data-code-reuse]")
    expect(notice).to_contain_text(
        "Mã 18838 là Xã Lâm Hợp đến 30/06/2025; nay là Xã Kỳ Lạc (gồm Lâm Hợp và Kỳ Lạc cũ)."
    )
    lam_hop = page.locator('[data-predecessor="18838"]')
    old_ky_lac = page.locator('[data-predecessor="18850"]')
    expect(lam_hop).to_contain_text("Xã Lâm Hợp")
    expect(lam_hop).to_contain_text("16/20")
    expect(old_ky_lac).to_contain_text("Xã Kỳ Lạc")
    expect(old_ky_lac).to_contain_text("10/20")
    expect(page.locator("[data-merged-title]")).to_contain_text("chưa đạt")
    page.screenshot(path=SCREENSHOTS / f"units-ky-lac-{viewport['width']}.png", full_page=True)

    lam_hop.get_by_role("link", name="Xã Lâm Hợp").click()

    page.wait_for_url("**/c/18838/?on=2025-06-30")
    expect(page.locator("h1")).to_contain_text("Xã Lâm Hợp")
    expect(page.locator("main")).to_contain_text("16/20")
    expect(page.locator("[data-lineage-closed]")).to_contain_text("nay thuộc Xã Kỳ Lạc")
    page.screenshot(path=SCREENSHOTS / f"units-lam-hop-{viewport['width']}.png", full_page=True)
