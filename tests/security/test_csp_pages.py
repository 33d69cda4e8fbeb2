"""Every page complies with the strict Content-Security-Policy: the rendered HTML has no inline
style (attribute or block), no inline script and no event-handler attribute. The admin may use
inline styles (its CSP allows them, see ntm_portal/urls.py) but no inline script either."""

import base64
import datetime
import hashlib
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communes.enums import ResultStatus
from communes.models import Commune
from criteria import workflow
from criteria.models import CriteriaSet
from criteria.workflow import CriterionInput
from tests.factories import legacy_unit

pytestmark = pytest.mark.django_db
User = get_user_model()
HATINH_SET = "HATINH_NTM_XA_2017_2020"
LAM_HOP, KY_ANH, HA_TINH = "18838", "447", "42"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.styles, self.handlers = [], [], []

    def handle_starttag(self, tag, attrs):
        names = {name.lower() for name, _ in attrs}
        line = self.getpos()[0]
        if tag == "script" and "src" not in names:
            self.scripts.append(f"line {line}: inline <script>")
        if tag == "style":
            self.styles.append(f"line {line}: <style> block")
        if "style" in names:
            self.styles.append(f"line {line}: style attribute on <{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.scripts.append(f"line {line}: {name}= on <{tag}>")
                self.handlers.append(value or "")

    handle_startendtag = handle_starttag


def inline_content(html: str) -> InlineFinder:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder


def test_finder_catches_every_kind_of_inline_content():
    found = inline_content(
        '<p style="color:red">x</p><style>p{}</style><script>alert(1)</script>'
        '<a href="#" onclick="go()">y</a><script src="/static/a.js"></script><img ONERROR="x">'
    )
    assert len(found.styles) == 2
    assert len(found.scripts) == 3


def user(username):
    return User.objects.get(username=username)


def all_met(assessment):
    return {
        c.pk: CriterionInput(ResultStatus.MET, "") for c in assessment.criteria_set.criteria.all()
    }


@pytest.fixture
def dossiers(settings, tmp_path, before_the_merger):  # kyanh verifies while Kỳ Anh exists
    """A draft with evidence, and a recognised dossier of Lâm Hợp."""
    settings.MEDIA_ROOT = tmp_path
    lamhop, kyanh, hatinh = user("lamhop"), user("kyanh"), user("hatinh")
    lam_hop = legacy_unit(Commune, LAM_HOP)
    criteria_set = CriteriaSet.objects.get(code=HATINH_SET)

    def start(day):
        return workflow.start_assessment(
            user=lamhop, unit=lam_hop, criteria_set=criteria_set, assessed_on=day
        )

    done = start(datetime.date(2020, 9, 1))
    done = workflow.save_draft(
        user=lamhop,
        assessment=done,
        expected_version=done.version,
        results=all_met(done),
        values={},
    )
    done = workflow.submit(user=lamhop, assessment=done)
    done = workflow.verify(user=kyanh, assessment=done)
    done = workflow.appraise(user=hatinh, assessment=done)
    workflow.recognise(
        user=hatinh,
        assessment=done,
        decision_number="12/QĐ-UBND",
        decided_on=datetime.date(2020, 12, 1),
        signer="Chủ tịch",
    )
    draft = start(datetime.date(2020, 10, 1))
    workflow.add_evidence(
        user=lamhop,
        assessment=draft,
        criterion_id=draft.criteria_set.criteria.first().pk,
        uploaded=SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf"),
        title="Biên bản",
    )
    return draft, done


def pages(draft, done):
    """(who, method, url, data): the main pages of every kind, for the user who may see them."""
    return [
        (None, "get", reverse("reports:home"), None),
        (None, "get", reverse("reports:province", args=[HA_TINH]), None),
        (None, "get", reverse("reports:district", args=[KY_ANH]), None),
        (None, "get", reverse("reports:commune", args=[LAM_HOP]), None),
        (None, "get", reverse("criteria:set_list"), None),
        (None, "get", reverse("criteria:set_detail", args=[HATINH_SET]), None),
        (None, "get", reverse("login"), None),
        (None, "post", reverse("login"), {"username": "lamhop", "password": "wrong"}),
        ("lamhop", "get", reverse("criteria:inbox"), None),
        ("lamhop", "get", reverse("criteria:assessment_start", args=[LAM_HOP]), None),
        ("lamhop", "get", reverse("criteria:assessment", args=[draft.pk]), None),
        ("lamhop", "get", reverse("criteria:assessment_edit", args=[draft.pk]), None),
        ("hatinh", "get", reverse("criteria:assessment_audit", args=[done.pk]), None),
        ("lamhop", "get", reverse("criteria:commune_history", args=[LAM_HOP]), None),
        # A step's confirmation page, and a refused step with the error on it.
        ("lamhop", "get", reverse("criteria:assessment_action", args=[draft.pk, "submit"]), None),
        ("lamhop", "post", reverse("criteria:assessment_action", args=[draft.pk, "verify"]), {}),
        ("kyanh", "get", reverse("criteria:inbox"), None),
        ("kyanh", "get", reverse("reports:district_dashboard", args=[KY_ANH]), None),
        ("hatinh", "get", reverse("reports:province_dashboard", args=[HA_TINH]), None),
        ("hatinh", "get", reverse("criteria:assessment", args=[done.pk]), None),
        ("admin", "get", reverse("reports:national_dashboard"), None),
        ("admin", "get", reverse("admin:index"), None),
    ]


def test_main_pages_have_no_inline_script_or_style(client, dossiers):
    checked, problems = 0, []
    for who, method, url, data in pages(*dossiers):
        client.logout()
        if who:
            client.force_login(user(who))
        response = getattr(client, method)(url, data) if data is not None else client.get(url)
        assert response.status_code in (200, 400, 403), f"{method.upper()} {url} as {who}"
        found = inline_content(response.content.decode())
        problems += [f"{url} ({who}): {p}" for p in found.scripts + found.styles]
        checked += 1
    assert checked == 22
    assert problems == []


def test_lockout_page_has_no_inline_script_or_style(client, settings):
    settings.AXES_FAILURE_LIMIT = 1
    response = client.post(reverse("login"), {"username": "lamhop", "password": "wrong"})
    assert response.status_code == 429
    found = inline_content(response.content.decode())
    assert found.scripts + found.styles == []


def csp_hash(source: str) -> str:
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def allowed_scripts(response) -> list[str]:
    policy = dict(
        (part.split()[0], part.split()[1:])
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )
    return policy["script-src"]


def assert_no_unhashed_script(response):
    """No inline <script>; an inline handler only where the page's CSP allows it by hash."""
    assert response.status_code == 200
    found = inline_content(response.content.decode())
    assert [s for s in found.scripts if "inline <script>" in s] == []
    allowed = allowed_scripts(response)
    for handler in found.handlers:
        assert "'unsafe-hashes'" in allowed
        assert csp_hash(handler) in allowed, f"handler {handler!r} is blocked by the admin CSP"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/criteria/assessment/",
        "/admin/criteria/recognition/",
        "/admin/communes/commune/?province__id__exact=1",
        # django-import-export's page: inline styles and the hashed "select all" handler.
        "/admin/communes/province/export/",
    ],
)
def test_admin_pages_have_no_inline_script_the_csp_blocks(admin_client, url):
    assert_no_unhashed_script(admin_client.get(url))


def test_admin_export_page_needs_its_hashed_handler(admin_client):
    found = inline_content(admin_client.get("/admin/communes/province/export/").content.decode())
    assert found.handlers == ["onSelectToggleChange(event)"]


def test_admin_history_page_has_no_inline_script(admin_client, dossiers):
    _, done = dossiers
    assert_no_unhashed_script(admin_client.get(f"/admin/criteria/assessment/{done.pk}/history/"))
