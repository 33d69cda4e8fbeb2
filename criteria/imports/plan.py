"""What an assessment import would do, row by row, and writing exactly that in bulk.

The parsers (matrix.py, long.py) turn a sheet into dataset rows (see resources.py for their
shape). ImportPlan decides every row with lookups loaded once: the set's criteria and
indicators, the communes in scope (the matcher's), and the existing assessments, results and
indicator values for the file's dates, each in one query. A dry run therefore costs the same
few queries for 10 rows or for the whole country, and writing costs a few statements per batch
of rows instead of ~10 per row.

Why not django-import-export here: its import loop is per row by design (get_instance,
import_instance, skip_row and save_instance each run for one row, and a dry run writes every
row inside a transaction it then rolls back), and its ``use_bulk`` mode still loads each
instance with its own query and cannot write the rows that hang off an assessment (results,
indicator values). At ~10 queries per row the whole country took half an hour. Small files
take this same path, so that the preview and the confirmation cannot differ between a small
and a large file. The resource is still what exports use (resources.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communes.models import Commune
from criteria.models import Assessment, CriteriaSet, CriterionResult, Indicator, IndicatorValue
from criteria.services import AssessmentError, check_assessment_fits
from reports.cache import record_change

from .matrix import ParsedSheet
from .resources import OVERWRITABLE, Imported, indicator_value
from .values import MARK_FOR_STATUS, NOT_ASSESSED

# Dataset rows written per round of statements: bounds the model instances held in memory
# (a national file is ~10,000 assessments and ~190,000 results, with as many history rows).
# New rows are no longer model instances on PostgreSQL, so a round can be larger: each costs
# ~5 round trips to the server, which add up on a loaded machine.
ROWS_PER_BATCH = 2000
# Rows per INSERT/UPDATE statement: PostgreSQL takes at most 65,535 parameters per statement
# and a historical result row has ~10 columns.
STATEMENT_BATCH = 2000


@dataclass
class RowPlan:
    """The outcome of one dataset row: "new", "update", "skip" (unchanged) or "invalid"."""

    index: int
    row: dict
    commune: Commune
    assessed_on: datetime.date
    imported: Imported
    action: str = "new"
    existing: Assessment | None = None
    changes: list[str] = field(default_factory=list)
    # (dataset column, messages) of an invalid row, pointing at the cell to highlight.
    messages: list[tuple[str, list[str]]] = field(default_factory=list)


class ImportPlan:
    """Every dataset row of ``parsed`` decided against the database, without writing.

    ``communes`` is the matcher of the communes the user may import into (its by_code_on;
    the parser only lets through codes from it); ``scope`` the same as a queryset, used to
    narrow the existing assessments. With ``lock``, the existing assessments are read
    ``SELECT ... FOR UPDATE`` (inside the caller's transaction), so that nobody changes them
    between deciding and writing.
    """

    def __init__(
        self,
        parsed: ParsedSheet,
        *,
        communes,
        scope,
        status: str,
        author=None,
        source: str = "",
        lock: bool = False,
    ):
        self.criteria_set: CriteriaSet = parsed.criteria_set
        self.status = status
        self.author = author
        self.source = source[:300]
        self.criteria = {c.number: c for c in self.criteria_set.criteria.all()}
        headers = list(parsed.dataset.headers or [])
        rows = [dict(zip(headers, values, strict=True)) for values in parsed.dataset]
        self.indicators: dict[str, Indicator] = {}
        if any(h.startswith("i:") for h in headers):
            self.indicators = {
                i.code: i
                for i in Indicator.objects.filter(criterion__criteria_set=self.criteria_set)
            }
        keys = Imported.keys_of(headers, self.criteria, self.indicators)
        self.rows = [
            RowPlan(
                index=index,
                row=row,
                commune=communes.by_code_on(
                    row["commune"], datetime.date.fromisoformat(row["assessed_on"])
                ),
                assessed_on=datetime.date.fromisoformat(row["assessed_on"]),
                imported=Imported.from_row(row, self.criteria, self.indicators, keys),
            )
            for index, row in enumerate(rows)
        ]
        self._load_existing(scope, lock=lock)
        for plan in self.rows:
            self._decide(plan)

    # -- Deciding -------------------------------------------------------------------------

    def _load_existing(self, scope, *, lock: bool) -> None:
        """The assessment each row would overwrite (the oldest, if a unit has several on the
        date), with its results and indicator values: three queries whatever the row count."""
        self.results: dict[int, dict[int, CriterionResult]] = {}  # assessment -> criterion id
        self.values: dict[int, dict[int, IndicatorValue]] = {}  # assessment -> indicator id
        if not self.rows:
            return
        candidates = Assessment.objects.filter(
            criteria_set=self.criteria_set,
            commune__in=scope.values("pk"),
            assessed_on__in={plan.assessed_on for plan in self.rows},
        ).order_by("pk")
        found: dict[tuple[int, datetime.date], Assessment] = {}
        for assessment in candidates.select_for_update() if lock else candidates:
            found.setdefault((assessment.commune_id, assessment.assessed_on), assessment)
        for plan in self.rows:
            plan.existing = found.get((plan.commune.pk, plan.assessed_on))
        ids = [plan.existing.pk for plan in self.rows if plan.existing is not None]
        if not ids:
            return
        # The ids again as a subquery, not as parameters: SQLite takes 999 at most.
        chosen = candidates.order_by().values("pk")
        wanted = set(ids)
        for result in CriterionResult.objects.filter(assessment__in=chosen).order_by():
            if result.assessment_id in wanted:
                self.results.setdefault(result.assessment_id, {})[result.criterion_id] = result
        if self.indicators:
            for value in IndicatorValue.objects.filter(assessment__in=chosen).order_by():
                if value.assessment_id in wanted:
                    self.values.setdefault(value.assessment_id, {})[value.indicator_id] = value

    def _decide(self, plan: RowPlan) -> None:
        """As the row-by-row import decided: an existing assessment the file does not change is
        skipped (even one in the workflow); anything else must fit the set and, when it
        overwrites, be a draft or imported history."""
        if plan.existing is not None:
            plan.changes = self.describe_changes(plan)
            if not plan.changes:
                plan.action = "skip"
                return
            plan.action = "update"
        errors: dict[str, list[str]] = {}
        try:
            check_assessment_fits(
                unit=plan.commune,
                criteria_set=self.criteria_set,
                assessed_on=plan.assessed_on,
                allow_outside_period=False,
            )
        except AssessmentError as e:
            errors["commune"] = [str(e)]
        if plan.existing is not None and plan.existing.status not in OVERWRITABLE:
            errors["commune"] = [
                _(
                    "%(unit)s already has an assessment on this date in the workflow (%(status)s); "
                    "an import does not overwrite it."
                )
                % {"unit": plan.commune, "status": plan.existing.get_status_display()}
            ]
        if errors:
            plan.action = "invalid"
            plan.messages = list(errors.items())

    def describe_changes(self, plan: RowPlan) -> list[str]:
        """What importing the row would change in the existing assessment, readably."""
        imported = plan.imported
        existing = self.results.get(plan.existing.pk, {})
        results = {
            number: (existing[c.pk].status, existing[c.pk].note)
            for number, c in self.criteria.items()
            if c.pk in existing
        }
        values = {
            code: self.values[plan.existing.pk][i.pk]
            for code, i in self.indicators.items()
            if i.pk in self.values.get(plan.existing.pk, {})
        }
        changes = []
        for n, new in sorted(imported.results.items()):
            old = results.get(n, (None, ""))[0]
            new = None if new == NOT_ASSESSED else new
            if old != new:
                changes.append(
                    _("criterion %(n)s: %(old)s → %(new)s")
                    % {
                        "n": n,
                        "old": MARK_FOR_STATUS.get(old, "—"),
                        "new": MARK_FOR_STATUS.get(new, "—"),
                    }
                )
        for n, note in sorted(imported.notes.items()):
            has_result = imported.results.get(n, results.get(n, (None,))[0]) not in (
                None,
                NOT_ASSESSED,
            )
            if has_result and results.get(n, (None, ""))[1] != note:
                changes.append(_("criterion %(n)s: note") % {"n": n})
        for code, entry in sorted(imported.indicators.items()):
            old = values.get(code)
            if old is None:
                if entry.get("is_met") is not None or entry.get("value") is not None:
                    changes.append(_("indicator %(code)s: new value") % {"code": code})
                continue
            if (
                ("is_met" in entry and entry["is_met"] != old.is_met)
                or ("value" in entry and entry["value"] != indicator_value(old))
                or ("note" in entry and entry["note"] != old.note)
            ):
                changes.append(_("indicator %(code)s: changed") % {"code": code})
        return changes

    # -- Writing --------------------------------------------------------------------------

    @property
    def is_valid(self) -> bool:
        return not any(plan.action == "invalid" for plan in self.rows)

    def write(self, progress=None) -> None:
        """Write the new and changed rows, ROWS_PER_BATCH at a time, each model with its
        history rows (django-simple-history, the importing user as history user). Results the
        file marks "not assessed" are deleted (their history rows come from the delete
        signal). Records a report change for each province written to (the bulk writes send
        no signals: reports.cache). Call inside the caller's transaction: it is all or nothing
        only there. ``progress(done, total)``, if given, is told the rows written after each
        batch (a background job shows it)."""
        if not self.is_valid:
            raise ValueError("The plan has invalid rows: nothing to write.")
        pending = [plan for plan in self.rows if plan.action in ("new", "update")]
        for start in range(0, len(pending), ROWS_PER_BATCH):
            batch = pending[start : start + ROWS_PER_BATCH]
            self._write_batch(batch)
            if progress is not None:
                progress(start + len(batch), len(pending))
        for province_id in sorted({plan.commune.province_id for plan in pending}):
            record_change(province_id=province_id)

    def _write_batch(self, batch: list[RowPlan]) -> None:
        now = timezone.now()
        user = self.author
        created, updated = [], []
        for plan in batch:
            if plan.action == "new":
                created.append(plan)
            else:
                assessment = plan.existing
                assessment.status = self.status
                assessment.author = user
                assessment.is_imported = True
                assessment.import_source = self.source
                assessment.version += 1
                assessment.updated_at = now
                updated.append(assessment)
        if created:
            self._create_assessments(created, user)
        if updated:
            bulk_update_with_history(
                updated,
                Assessment,
                ["status", "author", "is_imported", "import_source", "version", "updated_at"],
                batch_size=STATEMENT_BATCH,
                default_user=user,
            )
        self._write_results(batch, user)
        if self.indicators:
            self._write_indicators(batch, user)

    def _create_assessments(self, plans: list[RowPlan], user) -> None:
        """The new assessments, with their "+" history rows; sets each plan's ``existing``.

        On PostgreSQL the rows go in by COPY with ids taken from the table's sequence first,
        and their history by one INSERT ... SELECT (insert_with_history): building two model
        instances per row for bulk_create_with_history was most of the time spent writing a
        national file. Elsewhere (SQLite), bulk_create_with_history. Both write the same
        columns: every field as an ORM create would fill it (defaults, auto_now timestamps).
        """
        # By ids, not related objects: the related descriptors showed in profiles.
        author_id = user.pk if user is not None else None
        for plan in plans:
            plan.existing = Assessment(
                commune_id=plan.commune.pk,
                criteria_set_id=self.criteria_set.pk,
                assessed_on=plan.assessed_on,
                status=self.status,
                author_id=author_id,
                is_imported=True,
                import_source=self.source,
            )
        created = [plan.existing for plan in plans]
        if not uses_copy():
            bulk_create_with_history(
                created, Assessment, batch_size=STATEMENT_BATCH, default_user=user
            )
            return
        ids = allocate_ids(Assessment, len(created))
        # The fields every new row shares, as an ORM save fills them (created_at and
        # updated_at by their pre_save); the id, commune and date vary per row.
        fields = [f for f in Assessment._meta.concrete_fields if not f.primary_key]
        varying = {"commune_id", "assessed_on"}
        shared = {
            f.attname: f.pre_save(created[0], add=True) for f in fields if f.attname not in varying
        }
        names = ["id", *(f.attname for f in fields)]
        template = [shared.get(name) for name in names]
        commune_at, date_at = names.index("commune_id"), names.index("assessed_on")
        rows = []
        for pk, assessment in zip(ids, created, strict=True):
            row = template.copy()
            row[0], row[commune_at], row[date_at] = (
                pk,
                assessment.commune_id,
                assessment.assessed_on,
            )
            rows.append(row)
            assessment.pk = pk
            assessment.created_at = shared["created_at"]
            assessment.updated_at = shared["updated_at"]
            assessment._state.adding = False
            assessment._state.db = connection.alias
        insert_with_history(Assessment, names, rows, parent="id", parent_ids=ids, user=user)

    def _write_results(self, batch: list[RowPlan], user) -> None:
        """Set the results of the criteria in the file (others stay); NOT_ASSESSED removes
        one. A note the file does not give is kept."""
        fresh, fresh_ids = [], []  # the results of the assessments this batch created
        to_create, to_update, to_delete = [], [], []
        criterion_ids = {n: c.pk for n, c in self.criteria.items()}
        for plan in batch:
            assessment = plan.existing
            notes = plan.imported.notes
            if plan.action == "new":
                pk = assessment.pk
                fresh_ids.append(pk)
                fresh += [
                    (pk, criterion_ids[n], status, notes.get(n, ""))
                    for n, status in plan.imported.results.items()
                    if status != NOT_ASSESSED
                ]
                continue
            existing = self.results.get(assessment.pk, {})
            for n, status in plan.imported.results.items():
                criterion = self.criteria[n]
                current = existing.get(criterion.pk)
                if status == NOT_ASSESSED:
                    if current is not None:
                        to_delete.append(current.pk)
                elif current is None:
                    to_create.append(
                        CriterionResult(
                            assessment=assessment,
                            criterion=criterion,
                            status=status,
                            note=notes.get(n, ""),
                        )
                    )
                elif (current.status, current.note) != (status, notes.get(n, current.note)):
                    current.status = status
                    current.note = notes.get(n, current.note)
                    to_update.append(current)
        if fresh:
            insert_with_history(
                CriterionResult,
                ("assessment", "criterion", "status", "note"),
                fresh,
                parent="assessment",
                parent_ids=fresh_ids,
                user=user,
            )
        if to_delete:
            CriterionResult.objects.filter(pk__in=to_delete).delete()
        if to_update:
            bulk_update_with_history(
                to_update,
                CriterionResult,
                ["status", "note"],
                batch_size=STATEMENT_BATCH,
                default_user=user,
            )
        if to_create:
            bulk_create_with_history(
                to_create, CriterionResult, batch_size=STATEMENT_BATCH, default_user=user
            )

    def _write_indicators(self, batch: list[RowPlan], user) -> None:
        to_create, to_update = [], []
        fields = ("is_met", "value_bool", "value_number", "note")
        for plan in batch:
            assessment = plan.existing
            existing = self.values.get(assessment.pk, {}) if plan.action == "update" else {}
            for code, entry in plan.imported.indicators.items():
                indicator = self.indicators[code]
                value = existing.get(indicator.pk)
                before = None if value is None else [getattr(value, f) for f in fields]
                if value is None:
                    value = IndicatorValue(assessment=assessment, indicator=indicator)
                if "is_met" in entry:
                    value.is_met = entry["is_met"]
                if "value" in entry:
                    number = entry["value"]
                    value.value_bool = number if isinstance(number, bool) else None
                    value.value_number = None if isinstance(number, bool) else number
                if "note" in entry:
                    value.note = entry["note"]
                if before is None:
                    to_create.append(value)
                elif before != [getattr(value, f) for f in fields]:
                    to_update.append(value)
        if to_update:
            bulk_update_with_history(
                to_update,
                IndicatorValue,
                list(fields),
                batch_size=STATEMENT_BATCH,
                default_user=user,
            )
        if to_create:
            bulk_create_with_history(
                to_create, IndicatorValue, batch_size=STATEMENT_BATCH, default_user=user
            )


def uses_copy() -> bool:
    """Whether new rows go in by COPY (PostgreSQL) rather than by INSERT statements."""
    return connection.vendor == "postgresql"


def allocate_ids(model, count: int) -> list[int]:
    """``count`` new primary keys from the PostgreSQL sequence of ``model``'s table, ascending:
    COPY returns no ids, and the rows that hang off the new rows need them."""
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), pk, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def insert_with_history(model, names, rows, *, parent: str, parent_ids, user) -> None:
    """INSERT ``rows`` (tuples of the fields ``names``) into ``model``'s table, then their history
    rows with one INSERT ... SELECT: the same "+" records bulk_create_with_history writes
    (every tracked field, now, the user, no change reason), without building two model
    instances per row. ``parent_ids`` (values of ``parent``) must select exactly the rows
    inserted: the results of assessments created just before, or the new rows' own ids.

    Why: a national file has ~190,000 results; as model instances, with their history
    instances, they were most of the time and memory of the whole import.
    """
    ops = connection.ops
    history = model.history.model
    table, history_table = ops.quote_name(model._meta.db_table), history._meta.db_table
    columns = ", ".join(ops.quote_name(model._meta.get_field(n).column) for n in names)
    tracked = [f.column for f in history.tracked_fields]
    max_params = connection.features.max_query_params or 60000
    per_statement = max(1, min(STATEMENT_BATCH, max_params // len(names)))
    placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
    with connection.cursor() as cursor:
        if uses_copy():
            # COPY: psycopg sends the rows in its binary-accelerated text format; an INSERT
            # with one parameter per value made the client-side-binding cursor Django uses
            # quote ~760,000 literals in Python.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                values = ", ".join([placeholder] * len(chunk))
                cursor.execute(
                    # Identifiers come from the models' _meta; every value is a parameter.
                    f"INSERT INTO {table} ({columns}) VALUES {values}",  # noqa: S608
                    [value for row in chunk for value in row],
                )
        ids = list(parent_ids)
        per_select = max(1, min(STATEMENT_BATCH, max_params - 2))
        tracked_sql = ", ".join(ops.quote_name(c) for c in tracked)
        parent_column = ops.quote_name(model._meta.get_field(parent).column)
        history_columns = ", ".join(
            [tracked_sql]
            + [
                ops.quote_name(history._meta.get_field(name).column)
                for name in (
                    "history_date",
                    "history_change_reason",
                    "history_type",
                    "history_user",
                )
            ]
        )
        now = ops.adapt_datetimefield_value(timezone.now())
        for start in range(0, len(ids), per_select):
            chunk = ids[start : start + per_select]
            cursor.execute(
                f"INSERT INTO {ops.quote_name(history_table)} ({history_columns}) "  # noqa: S608
                f"SELECT {tracked_sql}, %s, NULL, '+', %s FROM {table} "
                f"WHERE {parent_column} IN ({', '.join(['%s'] * len(chunk))}) "
                # History ids in the order the rows were written, as bulk_create_with_history
                # numbers them.
                f"ORDER BY {ops.quote_name(model._meta.pk.column)}",
                [now, user.pk if user is not None else None, *chunk],
            )
