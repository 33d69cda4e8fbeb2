from django.core.management.base import BaseCommand, CommandError

from ntm_portal.backup import BackupError, backup_portal


class Command(BaseCommand):
    help = (
        "Write everything the portal holds (units, criteria sets, assessments with their "
        "results, values and workflow events, recognitions, targets, statistics, users with "
        "hashed passwords and memberships, evidence records and files, the audit history) to "
        "one zip archive with a manifest of counts and SHA-256 sums. Restore it with "
        "restore_portal."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .zip file to create; it must not exist.")

    def handle(self, *args, archive, **options):
        try:
            summary = backup_portal(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 2:
            for line in summary.lines()[:-1]:
                self.stdout.write(line)
        if options["verbosity"] >= 1:
            self.stdout.write(summary.lines()[-1])
            self.stdout.write(self.style.SUCCESS(f"Backup written to {archive}."))
