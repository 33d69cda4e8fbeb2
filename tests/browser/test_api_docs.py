"""The API's Swagger page in a real browser, under the portal's Content-Security-Policy and
without the network: it loads its files from the portal, and "Try it out" calls the API."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import DEMO_PROVINCES

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db):
    call_command("load_admin_units", province=DEMO_PROVINCES, verbosity=0)
    call_command("load_criteria", verbosity=0)
    call_command("load_demo", verbosity=0)


def test_swagger_page_works_offline_under_the_csp(page, live_server, demo):
    problems, outside = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/api/v1/docs/")
    operation = page.locator("#operations-provinces-provinces_retrieve")
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("input[placeholder='code']").fill("42")
    operation.get_by_role("button", name="Execute").click()
    expect(
        operation.locator(".live-responses-table tbody td.response-col_status").first
    ).to_have_text("200")
    expect(
        operation.locator(".live-responses-table tbody td.response-col_description")
    ).to_contain_text("Hà Tĩnh")
    assert outside == []
    assert not [p for p in problems if "Content Security Policy" in p], problems
