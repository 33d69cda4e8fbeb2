"""Each role in a real browser: where it lands after logging in, the header's menu (only the
links it may follow, and who is logged in), and no page of its wider than the phone it is read
on (document scrollWidth at 360 px, dashboards included).

Screenshots of each role's landing page at 360 and 1366 px go to
test-artifacts/screenshots/ (git-ignored; a CI artifact)."""

import pytest
from playwright.sync_api import expect

from criteria.models import Assessment

from .test_dashboard import PASSWORD, SCREENSHOTS, demo  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}

# username -> (landing path, the menu's links, the header's role line, main pages to measure)
ROLES = {
    None: (
        "/",
        ["Tổng quan", "Bộ tiêu chí", "Đăng nhập"],
        None,
        [
            "/",
            "/p/42/",
            "/d/447/",
            "/c/18838/",
            "/criteria/",
            "/criteria/sets/NTM_XA_2021_2025/",
            "/accounts/login/",
        ],
    ),
    "lamhop": (
        "/criteria/inbox/",
        ["Tổng quan", "Bộ tiêu chí", "Hồ sơ cần xử lý"],
        "Xã Lâm Hợp",
        ["/criteria/inbox/", "/criteria/c/18838/history/", "DOSSIER"],
    ),
    "kyanh": (
        "/d/447/dashboard/?as_of=2025-06-30",
        ["Tổng quan", "Bộ tiêu chí", "Bảng theo dõi", "Hồ sơ cần xử lý"],
        "Huyện Kỳ Anh",
        ["/d/447/dashboard/", "/d/447/dashboard/?as_of=2020-12-31", "/criteria/inbox/"],
    ),
    "hatinh": (
        "/p/42/dashboard/?as_of=2025-06-30",
        ["Tổng quan", "Bộ tiêu chí", "Bảng theo dõi", "Hồ sơ cần xử lý"],
        "Tỉnh Hà Tĩnh",
        ["/p/42/dashboard/", "/dashboard/", "/criteria/inbox/"],
    ),
    "admin": (
        "/imports/",
        ["Tổng quan", "Bộ tiêu chí", "Nhập và xuất dữ liệu", "Bảng theo dõi", "Hồ sơ cần xử lý",
         "Quản trị"],
        "Quản trị viên",
        ["/imports/", "/imports/assessments/", "/imports/sets/", "/dashboard/",
         "/p/80/dashboard/", "/d/805/dashboard/"],
    ),
}  # fmt: skip


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("username", list(ROLES), ids=lambda u: u or "anonymous")
def test_role_lands_on_its_page_with_its_menu_and_no_page_scrolls_sideways(
    demo,  # noqa: F811
    live_server,
    page,
    username,
):
    landing, links, who, pages = ROLES[username]
    page.set_viewport_size(DESKTOP)
    if username:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("form.stacked-form button[type=submit]")
    else:
        page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}{landing}")

    menu = page.locator(".site-nav a, .site-nav button")
    texts = [t.strip() for t in menu.all_inner_texts()]
    assert texts == [*links, "Đăng xuất"] if username else texts == links
    if who:
        expect(page.locator(".site-user")).to_contain_text(who)
    name = username or "anonymous"
    page.screenshot(path=str(SCREENSHOTS / f"landing-{name}-1366.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    page.screenshot(path=str(SCREENSHOTS / f"landing-{name}-360.png"), full_page=True)
    widths = {}
    for path in pages:
        if path == "DOSSIER":
            dossier = Assessment.objects.filter(commune__code="18838").first()
            path = f"/criteria/assessments/{dossier.pk}/"
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        widths[path] = scroll_width(page)
    assert {p: w for p, w in widths.items() if w > PHONE["width"]} == {}
