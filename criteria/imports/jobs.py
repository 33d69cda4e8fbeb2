"""An assessment import's confirm as a background job (ntm_portal.jobs), for large files.

The web request records an ImportJob (the stored upload's record, the user, the area) and
queues ``run_import_job``; a worker runs it. The job applies the import exactly as the
request would (services.apply_import: one transaction, the file re-read and decided again,
written only if the preview the user confirmed is still the outcome), and marks the job DONE
inside that same transaction. So:

- a job that fails (the data changed, a write failed) rolls everything back and is marked
  FAILED with the reason, in the language of the page the user confirmed on;
- a worker killed mid-job never commits: the database rolls its transaction back when the
  connection drops, and the job's heartbeat stops. ``refresh`` (called by the job page)
  marks a RUNNING job whose heartbeat has expired FAILED, with a conditional UPDATE: if the
  job did commit meanwhile, its own conditional UPDATE to DONE won the row, and the reverse
  way round the job finds it no longer RUNNING and rolls back (``_finish``);
- the user can retry a failed job: a new job of the same stored upload.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communes.selectors import scope_for
from criteria.enums import JobStatus
from criteria.models import ImportJob
from ntm_portal import jobs

from . import services
from .errors import ImportFileError
from .services import ImportChanged, ImportOptions

logger = logging.getLogger(__name__)


def should_queue(record: dict) -> bool:
    """Whether confirming this upload becomes a background job: a queue is configured and the
    preview had more than JOBS_IMPORT_MIN_ROWS rows to write."""
    return jobs.enabled() and record.get("rows", 0) > settings.JOBS_IMPORT_MIN_ROWS


def start(*, user, record: dict) -> ImportJob | None:
    """Record the job and queue it. Side effects: one ImportJob row, one RQ job. None (and no
    row) when the queue cannot be reached: the caller confirms in the request instead."""
    options = ImportOptions.from_json(record["options"])
    job = ImportJob.objects.create(
        user=user,
        province_id=options.province_id,
        file_name=record["file_name"][:300],
        record=record,
        rows_total=record.get("rows", 0),
    )
    try:
        jobs.enqueue(run_import_job, str(job.pk), job_id=f"ntm-import-{job.pk}")
    except Exception:  # Redis down or unreachable
        logger.warning("jobs: queue unreachable, import %s confirmed in the request", job.pk)
        job.delete()
        return None
    jobs.set_progress(job.key, stage="queued", total=job.rows_total)
    return job


def retry(job: ImportJob, *, user) -> ImportJob:
    """A new job of a failed job's stored upload (None if the queue cannot be reached)."""
    return start(user=user, record=job.record)


def visible_jobs(user):
    """The jobs ``user`` may look at: their own, and as an admin, those of the area they
    administer (every job for a national admin)."""
    scope = scope_for(user)
    jobs_ = ImportJob.objects.all()
    if scope.is_admin and scope.everything:
        return jobs_
    mine = Q(user_id=user.pk)
    if scope.is_admin and scope.province_id:
        mine |= Q(province_id=scope.province_id)
    return jobs_.filter(mine)


# -- The job --------------------------------------------------------------------------------


def run_import_job(job_id: str) -> str:
    """What the worker runs. Returns the final status."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    record = job.record
    with jobs.heartbeat(job.key):
        started = ImportJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=timezone.now()
        )
        if not started:
            return ImportJob.objects.get(pk=job.pk).status
        jobs.set_progress(job.key, stage="reading", total=job.rows_total)
        with translation.override(record.get("language")):
            try:
                services.apply_import(
                    user=job.user,
                    data=services.load_upload(record),
                    file_name=record["file_name"],
                    options=ImportOptions.from_json(record["options"]),
                    fingerprint=record["fingerprint"],
                    progress=lambda done, total: jobs.set_progress(
                        job.key, stage="writing", done=done, total=total
                    ),
                    before_commit=lambda preview: _finish(job, preview),
                )
            except (ImportChanged, ImportFileError) as e:
                ImportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                    status=JobStatus.FAILED, error=str(e), finished_at=timezone.now()
                )
                jobs.set_progress(job.key, stage="failed", total=job.rows_total)
                return JobStatus.FAILED
    services.discard_upload(record)
    jobs.set_progress(job.key, stage="done", done=job.rows_total, total=job.rows_total)
    return JobStatus.DONE


def _finish(job: ImportJob, preview) -> None:
    """Inside the import's transaction, after its writes: mark the job DONE with the counts,
    or roll everything back if it is no longer RUNNING (someone saw it abandoned)."""
    jobs.set_progress(job.key, stage="committing", done=job.rows_total, total=job.rows_total)
    pause = settings.JOBS_TEST_PAUSE_IN_TRANSACTION
    if pause:
        time.sleep(pause)
    finished = ImportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE, counts=preview.counts, finished_at=timezone.now()
    )
    if not finished:
        raise ImportChanged(_("The job was stopped before it finished; nothing was imported."))


# -- Reading a job --------------------------------------------------------------------------


def refresh(job: ImportJob) -> ImportJob:
    """The job as it stands, a dead one marked FAILED: RUNNING with no heartbeat (its worker
    died; the database rolled its transaction back), or QUEUED while the queue no longer
    holds it or holds it as failed. Without a queue a job cannot be running elsewhere."""
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING) or not jobs.enabled():
        return job
    if job.status == JobStatus.RUNNING:
        dead = not jobs.is_alive(job.key)
        reason = _(
            "The worker running this import stopped before it finished (the process was "
            "ended or the machine restarted). Nothing was imported: the database undid every "
            "row it had started to write. You can run it again."
        )
    else:
        state = jobs.rq_status(f"ntm-import-{job.pk}")
        dead = state in (None, "failed", "stopped", "canceled")
        reason = _(
            "The queue lost this import before a worker started it. Nothing was imported. "
            "You can run it again."
        )
    if dead:
        ImportJob.objects.filter(pk=job.pk, status=job.status).update(
            status=JobStatus.FAILED, error=reason, finished_at=timezone.now()
        )
        job.refresh_from_db()
    return job


def progress(job: ImportJob) -> dict:
    """{"stage", "done", "total"} of a job under way (from Redis), else {}."""
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return {}
    return jobs.progress(job.key)
