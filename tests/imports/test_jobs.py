"""A large import's confirm as a background job (criteria.imports.jobs) on RQ over Redis.

Redis: TEST_JOBS_REDIS_URL, default DB 6 of the server at 127.0.0.1:6379; each test uses a
queue and keys of its own and removes them. The worker-killed test starts `manage.py
run_jobs` as a real process on a copy of the test database that both processes open (a file
for SQLite, a database made from the test one as template on PostgreSQL).
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communes.enums import AssessmentStatus, Role
from communes.models import Province
from criteria.enums import JobStatus
from criteria.models import Assessment, CriteriaSet, ImportJob
from ntm_portal import jobs
from tests.factories import legacy_unit, make_user

from .workbooks import TAN_TRU

REDIS_URL = os.environ.get("TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/6")
BASE_DIR = Path(__file__).resolve().parents[2]
TAN_TRU_COMMUNE = "28093"  # one of the 7 communes the file creates an assessment for


@pytest.fixture
def queue_settings(settings, tmp_path):
    """A queue of this test's own on the test Redis, any file of more than 5 rows a job."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOBS_REDIS_URL = REDIS_URL
    settings.JOBS_QUEUE = f"test-b17-{uuid.uuid4().hex[:8]}"
    settings.JOBS_IMPORT_MIN_ROWS = 5
    settings.JOBS_HEARTBEAT_SECONDS = 0.2
    settings.JOBS_STALE_SECONDS = 1.0
    client = jobs.redis()
    try:
        client.ping()
    except Exception as e:  # a missing Redis is a failure of the set-up, said plainly
        pytest.fail(f"these tests need Redis at {REDIS_URL} ({e})")
    yield settings
    keys = list(client.scan_iter("ntm:jobs:*")) + list(client.scan_iter("rq:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def upload(client, *, province=None):
    """Upload the Tân Trụ file (7 assessments to create, 2 reported ones to update) and return
    its preview's token."""
    form = {
        "file": SimpleUploadedFile(TAN_TRU.name, TAN_TRU.read_bytes()),
        "fmt": "matrix",
        "criteria_set": CriteriaSet.objects.get(code="NTMNC_XA_2021_2025").pk,
        "status": AssessmentStatus.DRAFT,
        "province": province.pk if province else "",
    }
    response = client.post(reverse("imports:upload"), form)
    assert response.status_code == 302, response.content.decode()[:500]
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def confirm(client, token) -> ImportJob:
    response = client.post(reverse("imports:confirm", args=[token]))
    assert response.status_code == 302
    assert "/imports/jobs/" in response.url, response.url
    return ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def page(client, job) -> str:
    response = client.get(reverse("imports:job", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def imported() -> int:
    return Assessment.objects.filter(
        commune__code=TAN_TRU_COMMUNE, import_source=TAN_TRU.name
    ).count()


def run_worker_in_process():
    """Run what is queued, in this process and this test's transaction (RQ's SimpleWorker)."""
    from rq import SimpleWorker

    SimpleWorker([jobs.queue()], connection=jobs.redis()).work(burst=True)


# -- In the test's transaction ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_small_import_is_still_confirmed_in_the_request(client, queue_settings):
    queue_settings.JOBS_IMPORT_MIN_ROWS = 100
    client.force_login(get_user_model().objects.get(username="admin"))

    response = client.post(reverse("imports:confirm", args=[upload(client)]), follow=True)

    assert "7 created, 2 updated, 0 unchanged" in response.content.decode()
    assert ImportJob.objects.count() == 0 and imported() == 1


@pytest.mark.django_db
def test_without_a_queue_a_large_import_is_confirmed_in_the_request(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_REDIS_URL = ""
    settings.JOBS_IMPORT_MIN_ROWS = 1
    client.force_login(get_user_model().objects.get(username="admin"))

    response = client.post(reverse("imports:confirm", args=[upload(client)]), follow=True)

    assert "7 created, 2 updated, 0 unchanged" in response.content.decode()
    assert ImportJob.objects.count() == 0 and imported() == 1


@pytest.mark.django_db
def test_with_the_queue_unreachable_a_large_import_is_confirmed_in_the_request(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.JOBS_IMPORT_MIN_ROWS = 1
    client.force_login(get_user_model().objects.get(username="admin"))

    response = client.post(reverse("imports:confirm", args=[upload(client)]), follow=True)

    assert "7 created, 2 updated, 0 unchanged" in response.content.decode()
    assert ImportJob.objects.count() == 0 and imported() == 1


@pytest.mark.django_db
def test_a_large_import_runs_as_a_job_and_the_page_shows_its_result(client, queue_settings):
    client.force_login(get_user_model().objects.get(username="admin"))
    job = confirm(client, upload(client))

    waiting = page(client, job)
    assert job.status == JobStatus.QUEUED and job.rows_total == 9
    assert "Waiting for a worker" in waiting
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert '<progress class="job-progress" max="9" value="0">' in waiting
    assert imported() == 0

    run_worker_in_process()

    done = page(client, job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.counts == {
        "new": 7,
        "update": 2,
        "skip": 0,
        "rejected": 0,
    }
    assert "http-equiv" not in done  # no more refreshing
    assert "Imported tan-tru" in done and "<dd>7</dd>" in done
    assert imported() == 1
    assert Assessment.objects.get(commune__code=TAN_TRU_COMMUNE).author.username == "admin"


@pytest.mark.django_db
def test_a_job_that_fails_writes_nothing_and_says_why_and_can_be_retried(client, queue_settings):
    client.force_login(get_user_model().objects.get(username="admin"))
    job = confirm(client, upload(client))
    # Someone imports the same file in the request meanwhile: the job's outcome is no longer
    # the preview the user confirmed (7 to create), so it must refuse.
    queue_settings.JOBS_IMPORT_MIN_ROWS = 100
    client.post(reverse("imports:confirm", args=[upload(client)]))
    before = Assessment.objects.count()

    run_worker_in_process()

    job.refresh_from_db()
    html = page(client, job)
    assert job.status == JobStatus.FAILED
    assert "The data changed since the preview" in job.error and job.error in html
    assert Assessment.objects.count() == before
    retry = client.post(reverse("imports:job_retry", args=[job.pk]))
    assert retry.status_code == 302 and str(job.pk) not in retry.url


@pytest.mark.django_db
def test_only_the_uploader_and_the_areas_admins_see_a_job(client, queue_settings):
    long_an = legacy_unit(Province, "80")
    uploader = make_user(role=Role.ADMIN, unit=long_an)
    client.force_login(uploader)
    job = confirm(client, upload(client, province=long_an))
    url = reverse("imports:job", args=[job.pk])
    retry = reverse("imports:job_retry", args=[job.pk])

    assert client.get(url).status_code == 200
    for allowed in (make_user(role=Role.ADMIN, unit=long_an), "admin"):
        user = allowed if not isinstance(allowed, str) else None
        client.force_login(user or get_user_model().objects.get(username=allowed))
        assert client.get(url).status_code == 200
    for other in (
        make_user(role=Role.ADMIN, unit=legacy_unit(Province, "42")),
        get_user_model().objects.get(username="lamhop"),
    ):
        client.force_login(other)
        assert client.get(url).status_code == 404
        assert client.post(retry).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


# -- Across processes: a real worker, killed inside the transaction -------------------------------


@pytest.fixture(scope="session")
def shared_db_copy(django_db_setup, django_db_blocker, tmp_path_factory):
    """A copy of the test database, as set up, that another process can open: a file for
    SQLite (whose test database lives in this process's memory), a database made with the test
    one as template on PostgreSQL (the test's transaction would hide its writes from the
    worker). Made before any test's transaction opens (a session fixture): (settings, URL)."""
    from django.db import connections

    with django_db_blocker.unblock():
        original = connections["default"]
        settings_dict = {**original.settings_dict}
        if original.vendor == "sqlite":
            path = tmp_path_factory.mktemp("jobs") / "shared.sqlite3"
            original.ensure_connection()
            target = sqlite3.connect(path)
            original.connection.backup(target)
            target.close()
            settings_dict["NAME"] = str(path)
            url = f"sqlite:///{path}"
        else:
            template = settings_dict["NAME"]
            name = f"{template}_jobs"[:63]
            original.close()
            with original._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [template],
                )
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            settings_dict["NAME"] = name
            user = settings_dict["USER"] or "postgres"
            host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
            url = f"postgres://{user}@{host}:{port}/{name}"
        yield settings_dict, url
        if original.vendor == "postgresql":
            with original._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')


@pytest.fixture
def shared_db(shared_db_copy):
    """This process's connection pointed at the shared copy for the test: its DATABASE_URL.
    The test's own transaction (on the usual test database) stays empty."""
    from django.db import connections

    settings_dict, url = shared_db_copy
    original = connections["default"]
    copy = original.__class__(settings_dict, alias="default")
    connections["default"] = copy
    try:
        yield url
    finally:
        copy.close()
        connections["default"] = original


def start_worker(settings, database_url, *, pause: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "test-only-insecure-key",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "JOBS_REDIS_URL": settings.JOBS_REDIS_URL,
        "JOBS_QUEUE": settings.JOBS_QUEUE,
        "JOBS_HEARTBEAT_SECONDS": str(settings.JOBS_HEARTBEAT_SECONDS),
        "JOBS_STALE_SECONDS": str(settings.JOBS_STALE_SECONDS),
        "JOBS_TEST_PAUSE_IN_TRANSACTION": str(pause),
        "CONN_MAX_AGE": "0",
    }
    log = (Path(settings.MEDIA_ROOT).parent / "worker.log").open("ab")
    # Its own process group: killing it kills RQ's work horse (the fork running the job) too,
    # as a lost machine or an OOM kill of the container would.
    with log:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_jobs", *([] if pause else ["--burst"])],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def worker_log(settings) -> str:
    return (Path(settings.MEDIA_ROOT).parent / "worker.log").read_text(errors="replace")[-2000:]


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.django_db
def test_a_worker_killed_inside_the_transaction_leaves_nothing_and_the_retry_imports(
    client, queue_settings, shared_db
):
    client.force_login(get_user_model().objects.get(username="admin"))
    job = confirm(client, upload(client))
    worker = start_worker(queue_settings, shared_db, pause=60)
    try:
        # The job has written every row and waits inside its transaction.
        wait_for(
            lambda: jobs.progress(job.key).get("stage") == "committing" or worker.poll(),
            90,
            "the job to write its rows",
        )
        assert worker.poll() is None, worker_log(queue_settings)
        running = page(client, job)
        assert "Running" in running and "Rows written: 9 / 9" in running
        assert 'http-equiv="refresh"' in running
        assert imported() == 0  # not committed: nobody else sees the rows

        # kill -9 of the worker and of its work horse, the fork that runs the job (RQ puts it
        # in a process group of its own): as when the machine is lost or the kernel's OOM
        # killer ends both.
        horse = jobs.progress(job.key)["pid"]
        assert horse not in (0, worker.pid)
        os.kill(horse, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        wait_for(lambda: not Path(f"/proc/{horse}").exists(), 30, "the work horse to die")
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)

    time.sleep(queue_settings.JOBS_STALE_SECONDS + 0.5)  # the heartbeat expires
    client.cookies[queue_settings.LANGUAGE_COOKIE_NAME] = "vi"
    failed = page(client, job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "Không có dòng nào được nhập" in failed and "Chạy lại việc nhập" in failed
    assert "http-equiv" not in failed
    assert imported() == 0
    assert not Assessment.objects.filter(import_source=TAN_TRU.name).exists()

    retry = client.post(reverse("imports:job_retry", args=[job.pk]))
    again = ImportJob.objects.get(pk=retry.url.rstrip("/").rsplit("/", 1)[-1])
    worker = start_worker(queue_settings, shared_db, pause=0)
    try:
        assert worker.wait(timeout=120) == 0, worker_log(queue_settings)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    again.refresh_from_db()
    assert again.status == JobStatus.DONE and again.counts["new"] == 7
    assert "Đã nhập" in page(client, again)
    assert imported() == 1
    assert Assessment.objects.filter(import_source=TAN_TRU.name).count() == 9  # 7 new, 2 updated


# -- Notification mail ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_a_queue_a_workflow_mail_is_sent_by_the_worker(
    queue_settings, django_capture_on_commit_callbacks, mailoutbox, before_the_merger
):
    from tests.criteria.test_workflow import submitted

    get_user_model().objects.filter(username="kyanh").update(email="kyanh@x.vn")
    assessment = submitted(django_capture_on_commit_callbacks)

    assert mailoutbox == []  # queued, not sent by the request
    assert jobs.queue().count == 1
    run_worker_in_process()
    assert [m.to for m in mailoutbox] == [["kyanh@x.vn"]]
    assert f"/criteria/assessments/{assessment.pk}/" in mailoutbox[0].body


@pytest.mark.django_db
def test_with_the_queue_unreachable_the_mail_is_sent_in_the_request(
    settings, django_capture_on_commit_callbacks, mailoutbox, before_the_merger
):
    from tests.criteria.test_workflow import submitted

    settings.JOBS_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    get_user_model().objects.filter(username="kyanh").update(email="kyanh@x.vn")

    submitted(django_capture_on_commit_callbacks)

    assert [m.to for m in mailoutbox] == [["kyanh@x.vn"]]
