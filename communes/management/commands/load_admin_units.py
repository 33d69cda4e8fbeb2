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
        "Load Vietnam's administrative units of both eras from the vietnam-provinces package: "
        "the pre-2025 provinces, districts and communes (until 30/06/2025), the provinces and "
        "communes since 01/07/2025, and the lineage between them. Idempotent; never deletes "
        "a unit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="append",
            metavar="CODE",
            help=(
                "Load districts and communes of this province only (GSO code, e.g. 42; in each "
                "era where the code exists); repeatable. All provinces of both eras are "
                "loaded either way."
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
        if step.since is not None:
            line += " " + _("(since %(date)s)") % {"date": step.since.strftime("%d/%m/%Y")}
        if self.verbosity >= 2:
            changes = step.districts + step.communes
            line += " " + _("(%(created)d created, %(updated)d updated)") % {
                "created": changes.created,
                "updated": changes.updated,
            }
        self.stdout.write(line)

    def show_summary(self, summary: AdminUnitLoadSummary):
        rows = [
            (_("Provinces until 30/06/2025"), summary.provinces),
            (_("Districts until 30/06/2025"), summary.districts),
            (_("Communes until 30/06/2025"), summary.communes),
            (_("Provinces since 01/07/2025"), summary.new_provinces),
            (_("Communes since 01/07/2025"), summary.new_communes),
            (_("Province lineage links"), summary.province_links),
            (_("Commune lineage links"), summary.commune_links),
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

        if summary.links_skipped:
            self.stdout.write(
                _(
                    "%(n)d links of the conversion table were skipped: their old or new unit "
                    "is not loaded (another province, or a code the pre-2025 list lacks)."
                )
                % {"n": summary.links_skipped}
            )

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
