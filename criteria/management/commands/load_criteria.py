from django.core.management.base import BaseCommand, CommandError

from criteria.services import load_criteria_fixture


class Command(BaseCommand):
    help = (
        "Load or refresh the criteria sets (fixtures/criteria.json): sets, criteria, indicators "
        "and verified thresholds. Idempotent. Needs the provinces (run load_admin_units first)."
    )

    def handle(self, *args, **options):
        try:
            summary = load_criteria_fixture()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            for line in summary.lines():
                self.stdout.write(line)
            self.stdout.write(self.style.SUCCESS("Criteria sets loaded."))
