import datetime

from django.core.management.base import BaseCommand, CommandError

from criteria import generate


class Command(BaseCommand):
    help = (
        "Generate a reproducible national history of public assessments, recognitions, "
        "targets and villages for benchmarks (see criteria/generate.py). Bulk inserts: the "
        "generated rows have no audit history. Idempotent; --reset replaces generated rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
        parser.add_argument(
            "--years", type=int, default=generate.DEFAULT_YEARS, help="Years of rounds."
        )
        parser.add_argument(
            "--end-year", type=int, default=generate.DEFAULT_END_YEAR, help="The last year."
        )
        parser.add_argument(
            "--until",
            type=datetime.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="Date no round may be after (default: today): no assessment or recognition "
            "is generated in the future.",
        )
        parser.add_argument(
            "--villages", type=int, default=generate.DEFAULT_VILLAGES, help="Per commune."
        )
        parser.add_argument(
            "--province",
            action="append",
            metavar="CODE",
            help="Only this province (GSO code, e.g. 42); repeatable. Default: the whole country.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every generated row (and only those) first.",
        )

    def handle(self, *args, **options):
        if options["years"] < 1 or options["villages"] < 0:
            raise CommandError("--years must be at least 1 and --villages at least 0.")
        verbose = options["verbosity"] >= 2
        try:
            summary = generate.generate_history(
                seed=options["seed"],
                years=options["years"],
                end_year=options["end_year"],
                until=options["until"],
                villages=options["villages"],
                province_codes=options["province"],
                reset=options["reset"],
                progress=self.stdout.write if verbose else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            if summary.units_loaded:
                self.stdout.write("Administrative units were missing: loaded them first.")
            for name, count in summary.deleted.items():
                self.stdout.write(f"deleted {name}: {count}")
            for line in summary.lines():
                self.stdout.write(line)
