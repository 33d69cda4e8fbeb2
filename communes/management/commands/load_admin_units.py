from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from communes.enums import CommuneKind
from communes.services import (
    AdminUnitDataError,
    AdminUnitLoadSummary,
    ProvinceProgress,
    load_admin_units,
)


class Command(BaseCommand):
    help = (
        "Load Vietnam's provinces, districts and communes (the pre-2025 list with GSO codes, "
        "from the vietnam-provinces package). Idempotent; never deletes a unit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="append",
            metavar="CODE",
            help=(
                "Load districts and communes of this province only (GSO code, e.g. 42); "
                "repeatable. All 63 provinces are loaded either way."
            ),
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        try:
            summary = load_admin_units(
                province_codes=options["province"],
                progress=self.show_progress if self.verbosity >= 1 else None,
            )
        except AdminUnitDataError as exc:
            raise CommandError(str(exc)) from exc
        if self.verbosity >= 1:
            self.show_summary(summary)

    def show_progress(self, step: ProvinceProgress):
        width = len(str(step.total))
        line = _(
            "[%(index)s/%(total)s] %(code)s %(name)s: "
            "%(districts)d districts, %(communes)d communes"
        ) % {
            "index": str(step.index).rjust(width),
            "total": step.total,
            "code": step.code,
            "name": step.name,
            "districts": step.districts.total,
            "communes": step.communes.total,
        }
        if self.verbosity >= 2:
            changes = step.districts + step.communes
            line += " " + _("(%(created)d created, %(updated)d updated)") % {
                "created": changes.created,
                "updated": changes.updated,
            }
        self.stdout.write(line)

    def show_summary(self, summary: AdminUnitLoadSummary):
        rows = [
            (_("Provinces"), summary.provinces),
            (_("Districts"), summary.districts),
            (_("Communes"), summary.communes),
        ]
        header = ("", _("created"), _("updated"), _("unchanged"))
        table = [header] + [
            (label, str(c.created), str(c.updated), str(c.unchanged)) for label, c in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        self.stdout.write("")
        for row in table:
            cells = [row[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
            self.stdout.write("  ".join(cells))

        kinds = ", ".join(
            f"{kind.label} {summary.commune_kinds[kind]}"
            for kind in CommuneKind
            if summary.commune_kinds[kind]
        )
        if kinds:
            self.stdout.write(_("Communes by kind: %(kinds)s") % {"kinds": kinds})

        totals = summary.totals
        counts = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": totals.created,
            "updated": totals.updated,
            "unchanged": totals.unchanged,
        }
        if summary.changed:
            self.stdout.write(
                self.style.SUCCESS(_("Units loaded: %(counts)s.") % {"counts": counts})
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Nothing to change: %(counts)s.") % {"counts": counts})
            )
