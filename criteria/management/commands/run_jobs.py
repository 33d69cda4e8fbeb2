"""The background-job worker: ``manage.py run_jobs`` (README, "Background jobs")."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ntm_portal import jobs


class Command(BaseCommand):
    help = "Run the background jobs queued on JOBS_REDIS_URL (an RQ worker)."

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="Stop once the queue is empty.")
        parser.add_argument("--name", default=None, help="The worker's name (default: RQ's).")

    def handle(self, *args, burst=False, name=None, **options):
        if not jobs.enabled():
            raise CommandError("JOBS_REDIS_URL is not set: jobs run in the requests, no worker.")
        # Each job runs in a fork of this process (RQ's work horse): a crash or leak in one job
        # does not stay in the worker. The database connection is opened by the job itself.
        from django.db import connections
        from rq import Worker

        connections.close_all()
        worker = Worker([jobs.queue()], connection=jobs.redis(), name=name)
        self.stdout.write(f"worker {worker.name} on queue {settings.JOBS_QUEUE}")
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
