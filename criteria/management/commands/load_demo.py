from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError

from criteria.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo data from the seed articles (fixtures/demo.json) and the demo accounts. "
        "Idempotent. Needs load_admin_units and load_criteria first."
    )

    def handle(self, *args, **options):
        try:
            summary = load_demo()
        except ObjectDoesNotExist as exc:
            raise CommandError(
                f"{exc} — load the units first: `manage.py load_admin_units`."
            ) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            for line in summary.lines():
                self.stdout.write(line)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
