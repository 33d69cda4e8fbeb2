"""Malformed input, part 4: the spreadsheet import's forms (upload, criteria-set workbook) and
its GET parameters (templates, exports), as the national administrator. A refused form writes
nothing and keeps no upload in the session."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from criteria.models import Assessment, CriteriaSet, CriterionResult
from tests.security.test_malformed_input import BAD_DATES, TEN_THOUSAND, en, rows, text

pytestmark = pytest.mark.django_db
HATINH_SET = "HATINH_NTM_XA_2017_2020"


@pytest.fixture
def admin(client):
    return en(client, "admin")


def _written():
    return rows(Assessment.objects.all(), CriterionResult.objects.filter(pk__lt=0)) + [
        CriterionResult.objects.count()
    ]


def _csv():
    return SimpleUploadedFile("ds.csv", "Mã xã,Tên xã\n18838,Lâm Hợp\n".encode())


UPLOAD_CASES = {
    **{
        f"date-{name}": ({"assessed_on": value}, "Enter a valid date")
        for name, value in BAD_DATES.items()
    },
    "set-text": ({"criteria_set": "abc"}, "Select a valid choice"),
    "set-huge": ({"criteria_set": str(2**63)}, "Select a valid choice"),
    "province-huge": ({"province": str(2**63)}, "Select a valid choice"),
    "district-text": ({"district": "Kỳ Anh"}, "Select a valid choice"),
    "format-unknown": ({"fmt": "pdf"}, "Select a valid choice"),
    "status-unknown": ({"status": "recognised"}, "Select a valid choice"),
    "no-file": ({"file": ""}, "This field is required"),
}


@pytest.mark.parametrize("case", UPLOAD_CASES)
def test_import_upload_refuses_malformed_fields(admin, case):
    spoiled, error = UPLOAD_CASES[case]
    data = {
        "file": _csv(),
        "fmt": "long",
        "criteria_set": str(CriteriaSet.objects.get(code=HATINH_SET).pk),
        "assessed_on": "15/10/2020",
        "status": "draft",
        "province": "",
        "district": "",
        "sheet": "",
        **spoiled,
    }
    before = _written()
    response = admin.post(reverse("imports:upload"), data)
    # The import pages still answer a refused form with 200 (tests/imports expect it): see
    # test_a_refused_import_form_is_a_400 below.
    assert response.status_code in (200, 400)
    assert escape(error) in text(response)
    assert "field__error" in text(response)
    assert _written() == before
    assert not admin.session.get("assessment_imports")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bo.xlsx", b""),
        ("bo.xlsx", b"PK\x03\x04not really a zip"),
        ("bo.xlsx", TEN_THOUSAND.encode()),
        ("bo.exe", b"MZ\x90\x00"),
    ],
    ids=["empty", "broken-zip", "text", "exe"],
)
def test_set_upload_refuses_a_file_that_is_not_a_workbook(admin, name, content):
    before = rows(CriteriaSet.objects.all())
    response = admin.post(
        reverse("imports:set_upload"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code in (200, 400)
    assert "field__error" in text(response) or "errorlist" in text(response)
    assert rows(CriteriaSet.objects.all()) == before
    assert not admin.session.get("set_imports")


@pytest.mark.parametrize("url", ["imports:upload", "imports:set_upload"])
def test_a_refused_import_form_is_a_400(admin, url):
    response = admin.post(reverse(url), {"file": SimpleUploadedFile("bo.xlsx", b"")})
    assert "field__error" in text(response) or "errorlist" in text(response)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"criteria_set": HATINH_SET, "district": "²"},  # a digit to str.isdigit(), not to int()
        {"criteria_set": HATINH_SET, "province": "٤٢"},  # Arabic-Indic digits
        {"criteria_set": HATINH_SET, "district": str(2**63)},
        {"criteria_set": HATINH_SET, "district": "-1"},
        {"criteria_set": "x" * 65},
        {"criteria_set": "KHONG_CO"},
    ],
    ids=["superscript", "arabic-indic", "huge", "negative", "65-chars", "unknown"],
)
def test_matrix_template_with_a_malformed_unit_or_set_is_not_found(admin, query):
    assert admin.get(reverse("imports:template", args=["matrix"]), query).status_code == 404


@pytest.mark.parametrize("token", ["x" * 300, "..%2F..%2Fetc", "%E2%80%8B"])
def test_a_malformed_upload_token_is_not_found(admin, token):
    assert admin.get(f"/imports/assessments/{token}/").status_code == 404
    assert admin.post(f"/imports/assessments/{token}/confirm/").status_code == 404
