"""Files in an S3-compatible bucket (AWS_STORAGE_BUCKET_NAME, ntm_portal.storage), against a
local S3 server that the tests start (moto's server mode), not a mock of the client: evidence
uploaded, downloaded through the permission check only, never given a public address; pending
imports stored, read back for the preview, the error workbook and the confirm, then removed;
backups read the evidence from the bucket."""

import datetime
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from storages.backends.s3 import S3Storage

from communes.enums import AssessmentStatus, Role
from communes.models import Commune
from criteria import workflow
from criteria.models import Assessment, CriteriaSet, Evidence
from ntm_portal.backup import backup_portal
from tests.factories import legacy_unit, make_district, make_user
from tests.imports.workbooks import TAN_TRU, to_bytes

from .conftest import object_bytes, object_names

pytestmark = pytest.mark.django_db

HATINH_SET = "HATINH_NTM_XA_2017_2020"
LAM_HOP = "18838"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def draft():
    return workflow.start_assessment(
        user=get_user_model().objects.get(username="lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 10, 15),
    )


def upload_evidence(client, assessment):
    criterion = assessment.criteria_set.criteria.get(number=1)
    return client.post(
        reverse("criteria:evidence_add", args=[assessment.pk]),
        {
            "criterion": criterion.pk,
            "title": "Quyết định phê duyệt quy hoạch",
            "document_number": "123/QĐ-UBND",
            "document_date": "2019-05-02",
            "file": SimpleUploadedFile("qd.pdf", PDF),
        },
    )


def test_the_default_storage_is_the_bucket(s3):
    assert isinstance(storages["default"], S3Storage)


def test_evidence_round_trip_through_the_bucket_with_the_permission_check(
    client, s3, draft, settings, django_capture_on_commit_callbacks
):
    assert upload_evidence(login(client, "lamhop"), draft).status_code == 302
    evidence = Evidence.objects.get(assessment=draft)

    # Stored in the bucket, under the random name, privately; nothing on the local disk.
    assert object_names(s3) == [evidence.file.name]
    assert evidence.file.name.startswith(f"evidence/{draft.pk}/")
    assert object_bytes(s3, evidence.file.name) == PDF
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=evidence.file.name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"].get("Type") == "CanonicalUser" for g in grants)
    assert not settings.MEDIA_ROOT.exists()

    # The owner downloads it through the view, which streams it from the bucket.
    url = reverse("criteria:evidence_download", args=[evidence.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'attachment; filename="qd.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]

    # The dossier links the view, never the bucket or a signed address.
    page = client.get(reverse("criteria:assessment_edit", args=[draft.pk])).content.decode()
    assert url in page
    assert s3.endpoint not in page and s3.bucket not in page and "X-Amz" not in page

    # Outside the subtree: 404, as on the local disk.
    outsider = make_user("outsider", role=Role.DISTRICT_OFFICE, unit=make_district())
    client.force_login(outsider)
    assert client.get(url).status_code == 404

    # Removed by the owner: gone from the bucket once the transaction commits.
    login(client, "lamhop")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("criteria:evidence_delete", args=[evidence.pk]))
    assert response.status_code == 302
    assert object_names(s3) == []


def test_an_evidence_name_already_taken_is_never_overwritten(s3):
    first = default_storage.save("evidence/1/same.pdf", SimpleUploadedFile("a", b"first"))
    second = default_storage.save("evidence/1/same.pdf", SimpleUploadedFile("b", b"second"))
    assert first == "evidence/1/same.pdf" and second != first
    assert object_bytes(s3, first) == b"first" and object_bytes(s3, second) == b"second"


def post_import(client, data: bytes):
    return client.post(
        reverse("imports:upload"),
        {
            "file": SimpleUploadedFile(TAN_TRU.name, data),
            "fmt": "matrix",
            "criteria_set": CriteriaSet.objects.get(code="NTMNC_XA_2021_2025").pk,
            "status": AssessmentStatus.DRAFT,
            "province": "",
        },
    )


def test_a_pending_import_is_stored_in_the_bucket_read_back_and_removed(client, s3):
    data = TAN_TRU.read_bytes()
    response = post_import(login(client, "admin"), data)
    assert response.status_code == 302
    [name] = object_names(s3)
    assert name.startswith("imports/") and object_bytes(s3, name) == data

    preview = client.get(response.url)
    assert preview.status_code == 200 and "Xã Tân Phước Tây" in preview.content.decode()

    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    done = client.post(reverse("imports:confirm", args=[token]), follow=True)
    assert "7 created, 2 updated, 0 unchanged" in done.content.decode()
    assert Assessment.objects.filter(commune__code="28093").exists()
    assert object_names(s3) == []


def test_the_error_workbook_is_made_from_the_stored_upload(client, s3):
    import openpyxl

    book = openpyxl.load_workbook(TAN_TRU)
    book.active["E8"] = "??"
    response = post_import(login(client, "admin"), to_bytes(book))
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    download = client.get(reverse("imports:error_file", args=[token]))
    assert download.status_code == 200
    assert download["Content-Disposition"].endswith('-errors.xlsx"')
    assert len(object_names(s3)) == 1


def test_a_pending_import_gone_from_the_bucket_is_refused_with_a_message(client, s3):
    response = post_import(login(client, "admin"), TAN_TRU.read_bytes())
    [name] = object_names(s3)
    s3.client.delete_object(Bucket=s3.bucket, Key=name)
    token = response.url.rstrip("/").rsplit("/", 1)[-1]

    done = client.post(reverse("imports:confirm", args=[token]), follow=True)

    assert "The uploaded file is no longer available: upload it again." in done.content.decode()
    assert not Assessment.objects.filter(commune__code="28093").exists()


def test_a_backup_holds_the_evidence_read_from_the_bucket(client, s3, draft, tmp_path):
    assert upload_evidence(login(client, "lamhop"), draft).status_code == 302
    name = Evidence.objects.get(assessment=draft).file.name

    backup_portal(tmp_path / "backup.zip")

    with zipfile.ZipFile(tmp_path / "backup.zip") as archive:
        assert archive.read(f"files/{name}") == PDF
