"""Backup and restore (ntm_portal.backup): an archive restored into an emptied database gives
back every figure, page and evidence file; a damaged archive or a database with data is
refused before anything is written."""

import datetime
import hashlib
import io
import json
import re
import zipfile
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.core.serializers.base import DeserializedObject
from django.db import connection
from django.urls import reverse

from communes.enums import ResultStatus
from communes.models import Commune
from criteria import workflow
from criteria.models import Assessment, CriteriaSet, Evidence
from criteria.workflow import CriterionInput
from ntm_portal.backup import BackupError, backed_up_models, backup_portal, restore_portal
from tests.factories import legacy_unit

# The district tier of the demo (kyanh verifies) works while Huyện Kỳ Anh exists.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_the_merger")]
User = get_user_model()
HATINH_SET = "HATINH_NTM_XA_2017_2020"
LAM_HOP, KY_ANH, HA_TINH = "18838", "447", "42"
PDF = b"%PDF-1.4\n% bi\xean b\xe1n th\xe1m tra\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def user(username):
    return User.objects.get(username=username)


@pytest.fixture
def dossiers(media):
    """On top of the demo data: a recognised dossier, and a returned one with evidence."""
    lamhop, kyanh, hatinh = user("lamhop"), user("kyanh"), user("hatinh")
    lam_hop = legacy_unit(Commune, LAM_HOP)
    criteria_set = CriteriaSet.objects.get(code=HATINH_SET)

    def start(day):
        return workflow.start_assessment(
            user=lamhop, unit=lam_hop, criteria_set=criteria_set, assessed_on=day
        )

    def fill(a):
        results = {c.pk: CriterionInput(ResultStatus.MET, "") for c in criteria_set.criteria.all()}
        return workflow.save_draft(
            user=lamhop, assessment=a, expected_version=a.version, results=results, values={}
        )

    done = workflow.submit(user=lamhop, assessment=fill(start(datetime.date(2020, 9, 1))))
    done = workflow.verify(user=kyanh, assessment=done)
    done = workflow.appraise(user=hatinh, assessment=done)
    workflow.recognise(
        user=hatinh,
        assessment=done,
        decision_number="12/QĐ-UBND",
        decided_on=datetime.date(2020, 12, 1),
        signer="Chủ tịch UBND tỉnh",
    )
    returned = start(datetime.date(2020, 10, 1))
    evidence = workflow.add_evidence(
        user=lamhop,
        assessment=returned,
        criterion_id=criteria_set.criteria.first().pk,
        uploaded=SimpleUploadedFile("biên bản.pdf", PDF, content_type="application/pdf"),
        title="Biên bản thẩm tra",
    )
    returned = workflow.submit(user=lamhop, assessment=fill(returned))
    returned = workflow.return_dossier(user=kyanh, assessment=returned, reason="Thiếu chữ ký")
    return done, returned, evidence


def pages(done, returned):
    return [
        (None, reverse("reports:home")),
        (None, reverse("reports:province", args=[HA_TINH])),
        (None, reverse("reports:district", args=[KY_ANH])),
        (None, reverse("reports:commune", args=[LAM_HOP])),
        (None, reverse("criteria:set_detail", args=[HATINH_SET])),
        ("kyanh", reverse("reports:district_dashboard", args=[KY_ANH])),
        ("hatinh", reverse("reports:province_dashboard", args=[HA_TINH])),
        ("admin", reverse("reports:national_dashboard")),
        ("lamhop", reverse("criteria:inbox")),
        ("lamhop", reverse("criteria:assessment", args=[returned.pk])),
        ("lamhop", reverse("criteria:commune_history", args=[LAM_HOP])),
        ("hatinh", reverse("criteria:assessment", args=[done.pk])),
        ("hatinh", reverse("criteria:assessment_audit", args=[done.pk])),
        ("hatinh", reverse("criteria:assessment_audit", args=[returned.pk])),
    ]


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def render_all(client, done, returned) -> dict[str, str]:
    rendered = {}
    for who, url in pages(done, returned):
        client.logout()
        if who:
            client.force_login(user(who))
        response = client.get(url)
        assert response.status_code == 200, url
        rendered[f"{who} {url}"] = CSRF.sub("", response.content.decode())
    return rendered


def figures() -> list:
    """The computed progress of every assessment, as the overview and dashboards read it."""
    return list(
        Assessment.objects.with_progress()
        .order_by("pk")
        .values_list(
            "pk",
            "status",
            "version",
            "criteria_met",
            "criteria_basically_met",
            "indicators_met",
            "indicators_recorded",
            "indicators_total",
        )
    )


def row_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in backed_up_models()}


def empty_the_database(media):
    # PostgreSQL will not TRUNCATE tables with foreign-key checks still deferred to the commit
    # of the test's transaction: run them now.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    assert not any(row_counts().values())


def test_restore_into_an_emptied_database_gives_back_every_figure_and_file(
    client, settings, media, dossiers
):
    done, returned, evidence = dossiers
    before_pages = render_all(client, done, returned)
    before_figures, before_counts = figures(), row_counts()
    archive = media / "backup.zip"
    summary = backup_portal(archive)
    assert summary.counts == before_counts
    assert summary.files == 1

    empty_the_database(media)
    settings.MEDIA_ROOT = media / "new-server-media"
    assert not default_storage.exists(evidence.file.name)
    restored = restore_portal(archive)

    assert restored.counts == before_counts
    assert row_counts() == before_counts
    assert figures() == before_figures
    assert render_all(client, done, returned) == before_pages
    restored_evidence = Evidence.objects.get(pk=evidence.pk)
    with restored_evidence.file.open("rb") as handle:
        assert handle.read() == PDF
    # Hashed passwords came back: the demo accounts log in with their own password.
    assert user("lamhop").check_password("ntm-demo-2025")
    # The audit history came back, and new work does not collide with restored rows.
    assert Assessment.history.filter(id=returned.pk).count() > 0
    client.force_login(user("lamhop"))
    response = client.get(reverse("criteria:evidence_download", args=[evidence.pk]))
    assert b"".join(response.streaming_content) == PDF
    fresh = workflow.start_assessment(
        user=user("lamhop"),
        unit=legacy_unit(Commune, LAM_HOP),
        criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
        assessed_on=datetime.date(2020, 11, 1),
    )
    assert fresh.pk > max(pk for pk, *_ in before_figures)


def test_archive_has_a_manifest_with_counts_and_hashes(media, dossiers):
    archive = media / "backup.zip"
    backup_portal(archive)
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for name, entry in manifest["entries"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == entry["sha256"]
        names = set(zf.namelist())
        users = json.loads(zf.read("data/auth.user.json"))
    assert manifest["counts"]["criteria.assessment"] == Assessment.objects.count()
    assert manifest["counts"]["criteria.historicalassessment"] > 0
    assert {"data/criteria.assessmentevent.json", "data/communes.membership.json"} <= names
    assert "data/sessions.session.json" not in names
    assert any(name.startswith("files/evidence/") for name in names)
    # Only password hashes leave the database.
    assert all(u["fields"]["password"].startswith("pbkdf2_sha256$") for u in users)


def test_restore_refuses_a_database_that_holds_data(media, dossiers):
    archive = media / "backup.zip"
    backup_portal(archive)
    before = row_counts()
    with pytest.raises(BackupError, match="already holds data"):
        restore_portal(archive)
    assert row_counts() == before


def test_restore_refuses_a_changed_archive_before_writing(settings, media, dossiers):
    archive = media / "backup.zip"
    backup_portal(archive)
    tampered = media / "tampered.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "data/criteria.recognition.json":
                data = data.replace(b"12/Q", b"99/Q")
            target.writestr(item, data)
    empty_the_database(media)
    settings.MEDIA_ROOT = media / "new-server-media"
    with pytest.raises(BackupError, match="criteria.recognition.json is damaged"):
        restore_portal(tampered)
    assert not any(row_counts().values())
    assert not (media / "new-server-media").exists()


def test_a_failure_halfway_through_the_restore_leaves_nothing(settings, media, dossiers):
    archive = media / "backup.zip"
    backup_portal(archive)
    empty_the_database(media)
    settings.MEDIA_ROOT = media / "new-server-media"
    save = DeserializedObject.save
    calls = iter(range(10**6))

    def failing_save(self, *args, **kwargs):
        if next(calls) == 500:
            raise RuntimeError("disk full")
        return save(self, *args, **kwargs)

    with (
        mock.patch.object(DeserializedObject, "save", failing_save),
        pytest.raises(RuntimeError, match="disk full"),
    ):
        restore_portal(archive)
    assert not any(row_counts().values())
    # And with the fault gone, the same archive restores.
    restore_portal(archive)
    assert Assessment.objects.exists()


def test_a_file_failure_after_the_rows_rolls_back_the_rows_too(settings, media, dossiers):
    archive = media / "backup.zip"
    backup_portal(archive)
    empty_the_database(media)
    settings.MEDIA_ROOT = media / "new-server-media"
    storage_class = type(default_storage._wrapped)
    with (
        mock.patch.object(storage_class, "save", side_effect=OSError("full")),
        pytest.raises(OSError),
    ):
        restore_portal(archive)
    assert not any(row_counts().values())


def test_restore_refuses_what_is_not_a_backup(media):
    not_zip = media / "notes.zip"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(BackupError, match="Cannot read"):
        restore_portal(not_zip)
    other = media / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something-else", "version": 1}))
    with pytest.raises(BackupError, match="Not a portal backup"):
        restore_portal(other)


def test_backup_never_overwrites_an_archive(media):
    archive = media / "backup.zip"
    archive.write_bytes(b"yesterday's backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup_portal", str(archive))
    assert archive.read_bytes() == b"yesterday's backup"


def test_commands_back_up_and_restore(media, dossiers):
    archive = media / "backup.zip"
    out = io.StringIO()
    call_command("backup_portal", str(archive), stdout=out)
    assert "1 evidence files" in out.getvalue()
    assert "Backup written to" in out.getvalue()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore_portal", str(archive), stdout=io.StringIO())
    before = row_counts()
    empty_the_database(media)
    out = io.StringIO()
    # The evidence file is still in the storage, with the same bytes: kept, not refused.
    call_command("restore_portal", str(archive), stdout=out)
    assert "Restored" in out.getvalue()
    assert row_counts() == before


def test_restore_never_overwrites_a_different_stored_file(media, dossiers):
    _, _, evidence = dossiers
    archive = media / "backup.zip"
    backup_portal(archive)
    empty_the_database(media)
    with default_storage.open(evidence.file.name, "wb") as handle:
        handle.write(b"another file")
    with pytest.raises(BackupError, match="not overwritten"):
        restore_portal(archive)
    assert not any(row_counts().values())
    with default_storage.open(evidence.file.name) as handle:
        assert handle.read() == b"another file"


def test_every_model_with_rows_is_backed_up():
    # A new model is in the archive without anyone listing it; only these are left out.
    labels = {m._meta.label_lower for m in backed_up_models()}
    everything = {m._meta.label_lower for m in apps.get_models()}
    assert everything - labels == {
        "contenttypes.contenttype",
        "auth.permission",
        "sessions.session",
        # The report change log describes this database's writes (reports.cache); a restore
        # records a change of its own.
        "reports.reportchange",
    }
