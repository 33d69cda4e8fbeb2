from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from criteria.reference import build_fixture, dump_fixture

DEFAULT_REFERENCE = settings.BASE_DIR.parent / "shared" / "reference"
FIXTURE = settings.BASE_DIR / "fixtures" / "criteria.json"


class Command(BaseCommand):
    help = (
        "Regenerate fixtures/criteria.json from the research files (ntm-criteria.json corrected "
        "by ntm-criteria-addendum.json). Only needed when the research files change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
        parser.add_argument("--output", type=Path, default=FIXTURE)
        parser.add_argument(
            "--check", action="store_true", help="Fail if the committed fixture is out of date."
        )

    def handle(self, *args, reference, output, check, **options):
        if not (reference / "ntm-criteria.json").exists():
            raise CommandError(f"No ntm-criteria.json in {reference}")
        text = dump_fixture(build_fixture(reference))
        if check:
            if not output.exists() or output.read_text(encoding="utf-8") != text:
                raise CommandError(f"{output} is out of date; run build_criteria_fixture.")
            self.stdout.write(self.style.SUCCESS(f"{output} is up to date."))
            return
        output.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}."))
