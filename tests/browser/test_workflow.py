"""The dossier's whole way, in a real browser: the Lâm Hợp official enters and submits, the Kỳ
Anh office returns it, the official fixes and resubmits, the district verifies, the province
appraises and records the recognition, which the public commune page then shows.

Screenshots of each step go to test-artifacts/screenshots/ (git-ignored; a CI artifact)."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from playwright.sync_api import expect

from communes.enums import AssessmentStatus, ResultStatus
from communes.models import Commune
from criteria.models import Assessment, ConditionCheck, CriteriaSet, Recognition
from tests.conftest import DEMO_PROVINCES
from tests.factories import legacy_unit, make_assessment, make_recognition

pytestmark = pytest.mark.browser

PASSWORD = "ntm-demo-2025"
LAM_HOP = "18838"
# 18838 names Xã Kỳ Lạc since 01/07/2025; Lâm Hợp keeps its own address with its last day.
LAM_HOP_LAST_DAY = "2025-06-30"
HATINH_SET = "HATINH_NTM_XA_2017_2020"
SCREENSHOTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "screenshots"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    # live_server flushes the database after each test: load what the scenario needs.
    # The demo data spans the four demo provinces, so load_demo needs all of them.
    call_command("load_admin_units", province=DEMO_PROVINCES, verbosity=0)
    call_command("load_criteria", verbosity=0)
    call_command("load_demo", verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "media"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def evidence_pdf(tmp_path):
    path = tmp_path / "quyet-dinh-quy-hoach.pdf"
    path.write_bytes(PDF)
    return path


def shot(page, name, at=None):
    """A screenshot of the viewport, scrolled to ``at`` (a selector) when given: the entry
    form is too long for a full-page image to be readable."""
    if at:
        page.locator(at).first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    expect(page.locator("form[action='/accounts/logout/']")).to_be_visible()


def act(page, action, fields=None, shot_name=None):
    """Take a step from the dossier page: open its confirmation page, check that it says what
    will happen, fill its form, confirm."""
    page.click(f".action-links a[href$='/{action}/']")
    expect(page.locator(f"[data-step={action}] [data-confirm-plan]")).to_be_visible()
    for selector, value in (fields or {}).items():
        page.fill(selector, value)
    if shot_name:
        shot(page, shot_name)
    page.click("[data-confirm]")
    expect(page.locator(".message--success")).to_be_visible()


def enter_and_submit(page, live_server, evidence_pdf, prefix):
    """The official's part: start, mark Quy hoạch met with a note, upload evidence, save,
    submit. Returns the dossier's URL."""
    login(page, live_server, "lamhop")
    page.goto(f"{live_server.url}/c/{LAM_HOP}/?on={LAM_HOP_LAST_DAY}")
    page.click(f"a[href='/criteria/assessments/new/{LAM_HOP}/']")
    hatinh_set = CriteriaSet.objects.get(code=HATINH_SET)
    page.select_option("#id_criteria_set", str(hatinh_set.pk))
    page.fill("#id_assessed_on", "2020-10-15")
    expect(page.locator("#id_copy_previous")).to_be_checked()
    shot(page, f"{prefix}1-start")
    page.click("form.stacked-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/criteria/assessments/\d+/edit/$"))

    quy_hoach = hatinh_set.criteria.get(number=1)
    indicators = list(quy_hoach.indicators.all())
    page.check(f"input[name=c{quy_hoach.pk}-status][value=met]")
    for indicator in indicators:
        page.check(f"input[name=i{indicator.pk}-flag][value=yes]")
    note = "Quy hoạch chung xây dựng xã đã được phê duyệt"
    page.fill(f"#c{quy_hoach.pk}-note", note)
    page.fill("#id_notes", "Hồ sơ năm 2020")
    shot(page, f"{prefix}2-entry", at="#criterion-1")

    # Evidence uploaded before anything was saved: what was typed is saved with it.
    page.select_option("#id_criterion", str(quy_hoach.pk))
    page.fill("#id_title", "Quyết định phê duyệt quy hoạch chung xã Lâm Hợp")
    page.fill("#id_document_number", "1234/QĐ-UBND")
    page.fill("#id_document_date", "2019-05-02")
    page.set_input_files("#id_file", str(evidence_pdf))
    page.click("button[name=upload]")
    expect(page.locator(".evidence-list")).to_contain_text("Quyết định phê duyệt quy hoạch")
    expect(page.locator(f"#c{quy_hoach.pk}-note")).to_have_value(note)
    expect(page.locator("#id_notes")).to_have_value("Hồ sơ năm 2020")
    expect(page.locator(f"input[name=c{quy_hoach.pk}-status][value=met]")).to_be_checked()
    for indicator in indicators:
        expect(page.locator(f"input[name=i{indicator.pk}-flag][value=yes]")).to_be_checked()
    shot(page, f"{prefix}3-evidence", at="#evidence")
    dossier_url = page.url.split("edit/")[0]

    page.goto(dossier_url)
    expect(page.locator("#criterion-1")).to_contain_text("Quy hoạch chung xây dựng xã")
    act(page, "submit")
    expect(page.locator("[data-lock-reason]")).to_be_visible()
    shot(page, f"{prefix}4-submitted")
    return dossier_url


def test_dossier_from_entry_to_recognition(
    page, live_server, demo, evidence_pdf, before_the_merger
):
    # Kỳ Anh verifies while its district exists (its membership ended on 30/06/2025).
    page.set_viewport_size({"width": 1280, "height": 900})
    dossier_url = enter_and_submit(page, live_server, evidence_pdf, "desktop-")

    # 2. The district office returns it with a reason.
    login(page, live_server, "kyanh")
    page.goto(f"{live_server.url}/criteria/inbox/")
    page.click(f".inbox a[href='{dossier_url.removeprefix(live_server.url)}']")
    act(
        page,
        "return",
        {"#id_reason": "Thiếu biên bản lấy ý kiến người dân về quy hoạch"},
        "desktop-5-return",
    )

    # 3. The official sees the reason, fixes the dossier and resubmits.
    login(page, live_server, "lamhop")
    page.goto(f"{live_server.url}/criteria/inbox/")
    expect(page.locator("[data-return-reason]")).to_contain_text("Thiếu biên bản")
    shot(page, "desktop-6-inbox-returned")
    page.goto(dossier_url + "edit/")
    expect(page.locator("[data-return-reason]")).to_contain_text("Thiếu biên bản")
    quy_hoach = CriteriaSet.objects.get(code=HATINH_SET).criteria.get(number=1)
    page.fill(
        f"#c{quy_hoach.pk}-note",
        "Quy hoạch đã phê duyệt; bổ sung biên bản lấy ý kiến người dân ngày 10/10/2020",
    )
    page.click("button[name=save]")
    act(page, "submit")

    # 4. The district verifies.
    login(page, live_server, "kyanh")
    page.goto(dossier_url)
    act(page, "verify")
    shot(page, "desktop-7-verified")

    # 5. The province appraises and records the recognition. The results copied from the
    # demo leave four criteria not met, which the set's rules refuse (see
    # test_recognise_form_of_a_15_of_19_dossier_lists_what_fails); here they are settled.
    Assessment.objects.get(pk=int(dossier_url.rstrip("/").rsplit("/", 1)[1])).results.update(
        status=ResultStatus.MET
    )
    login(page, live_server, "hatinh")
    page.goto(dossier_url)
    act(page, "appraise")
    act(
        page,
        "recognise",
        {
            "#id_decision_number": "2468/QĐ-UBND",
            "#id_decided_on": "2020-12-20",
            "#id_signer": "Phó Chủ tịch UBND tỉnh",
        },
        "desktop-8-recognise",
    )
    # The signer as typed, never a title made up from the province's name.
    expect(page.locator(".recognitions")).to_contain_text("Phó Chủ tịch UBND tỉnh")
    shot(page, "desktop-9-recognised")
    recognition = Recognition.objects.get(decision_number="2468/QĐ-UBND")
    assert recognition.commune.code == LAM_HOP

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/c/{LAM_HOP}/?on={LAM_HOP_LAST_DAY}")
    expect(page.locator("#recognitions + *")).to_contain_text("2468/QĐ-UBND")
    expect(page.locator("#recognitions + *")).to_contain_text("Phó Chủ tịch UBND tỉnh")
    shot(page, "desktop-10-public-page", at="#recognitions")


def test_official_part_on_a_phone(page, live_server, demo, evidence_pdf):
    page.set_viewport_size({"width": 360, "height": 740})
    enter_and_submit(page, live_server, evidence_pdf, "phone-")
    # Nothing wider than the screen: no sideways scrolling of the page itself.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_recognise_form_of_a_15_of_19_dossier_lists_what_fails(page, live_server, demo):
    """The province office opens an appraised dossier with 15 of 19 criteria met: the page
    counts them, lists the four unmet criteria and offers no way to record a decision."""
    national = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    dossier = make_assessment(
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=national,
        met=set(range(1, 20)) - {1, 10, 13, 15},
        status=AssessmentStatus.APPRAISED,
    )
    for condition in national.conditions.all():
        ConditionCheck.objects.create(
            assessment=dossier, condition=condition, is_met=True, evidence="Biên bản kiểm tra"
        )
    login(page, live_server, "hatinh")
    for width, height in ((1366, 900), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/criteria/assessments/{dossier.pk}/")
        expect(page.locator("[data-criteria-count]")).to_contain_text("15/19 tiêu chí đạt")
        failures = page.locator("[data-gate-failures] li")
        expect(failures).to_have_count(4)
        for number in (1, 10, 13, 15):
            name = national.criteria.get(number=number).name
            expect(page.locator("[data-gate-failures]")).to_contain_text(f"{number}. {name}")
        expect(page.locator("#recognise-form")).to_have_count(0)
        expect(page.locator("#id_decision_number")).to_have_count(0)
        expect(page.locator("button[name=action][value=recognise]")).to_have_count(0)
        shot(page, f"recognise-refused-{width}", at="#recognition-rules")
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_every_confirmation_page_fits_a_phone_and_a_desktop(
    page, live_server, demo, before_the_merger
):
    """Each step's confirmation page, for the office that takes it: it names the dossier and
    what will happen, and is no wider than the screen at 360 px. Screenshots at both sizes."""
    hatinh_set = CriteriaSet.objects.get(code=HATINH_SET)
    lam_hop = legacy_unit(Commune, LAM_HOP)
    dossiers = {
        status: make_assessment(
            unit=lam_hop,
            criteria_set=hatinh_set,
            met=set(range(1, 21)),
            indicators_met=10**6,
            status=status,
            assessed_on=datetime.date(2020, 10, day),
        )
        for day, status in enumerate(
            (
                AssessmentStatus.DRAFT,
                AssessmentStatus.SUBMITTED,
                AssessmentStatus.VERIFIED,
                AssessmentStatus.APPRAISED,
            ),
            start=10,
        )
    }
    recognition = make_recognition(unit=lam_hop, signer="Phó Chủ tịch UBND tỉnh")
    steps = [
        ("lamhop", f"/criteria/assessments/{dossiers['draft'].pk}/submit/", "submit"),
        ("kyanh", f"/criteria/assessments/{dossiers['submitted'].pk}/verify/", "verify"),
        ("kyanh", f"/criteria/assessments/{dossiers['submitted'].pk}/return/", "return"),
        ("hatinh", f"/criteria/assessments/{dossiers['verified'].pk}/appraise/", "appraise"),
        ("hatinh", f"/criteria/assessments/{dossiers['appraised'].pk}/recognise/", "recognise"),
        ("hatinh", f"/criteria/recognitions/{recognition.pk}/revoke/", "revoke"),
    ]
    for username, path, step in steps:
        login(page, live_server, username)
        for width, height in ((1366, 900), (360, 740)):
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            expect(page.locator(f"[data-step={step}] [data-confirm-plan]")).to_be_visible()
            expect(page.locator("[data-confirm-dossier]")).to_contain_text("Lâm Hợp")
            page.screenshot(path=str(SCREENSHOTS / f"confirm-{step}-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path


def test_leaving_a_form_with_unsaved_changes_asks_first(page, live_server, demo):
    """With JavaScript on, unsaved.js asks before the page is left; after a save it does not."""
    dossier = make_assessment(
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        met=set(),
        status=AssessmentStatus.DRAFT,
        assessed_on=datetime.date(2020, 10, 15),
    )
    login(page, live_server, "lamhop")
    page.goto(f"{live_server.url}/criteria/assessments/{dossier.pk}/edit/")
    page.wait_for_load_state("load")
    page.fill("#id_notes", "Chưa lưu")
    page.click("#id_notes")  # a real user gesture: Chromium asks only after one
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.evaluate("() => { window.location.href = '/criteria/inbox/'; }")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/edit/")  # dismissed: the page and what was typed stay
    expect(page.locator("#id_notes")).to_have_value("Chưa lưu")
    page.click("button[name=save]")
    expect(page.locator(".message--success")).to_be_visible()
    assert dialogs == ["beforeunload"]
