from django.core.management.base import BaseCommand, CommandError

from ntm_portal.backup import BackupError, restore_portal


class Command(BaseCommand):
    help = (
        "Load an archive made by backup_portal into an EMPTY database (run `manage.py migrate` "
        "on a new database first, with the code version the backup was made with). Every "
        "entry is checked against the manifest's SHA-256 before anything is written; the rows "
        "load in one transaction, so a failure leaves the database empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .zip file written by backup_portal.")

    def handle(self, *args, archive, **options):
        try:
            summary = restore_portal(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 2:
            for line in summary.lines()[:-1]:
                self.stdout.write(line)
        if options["verbosity"] >= 1:
            self.stdout.write(summary.lines()[-1])
            self.stdout.write(self.style.SUCCESS(f"Restored {archive}."))
