"""Cached dashboard bodies, and the report versions that make them exact.

A dashboard's body (the page below the user's own header: figures, tables, charts) is cached
under a key made of the area, the filters, the language and the area's **report version**.
Every write that can change a figure records a ReportChange row for the province it touches
(a null province for data every province shares), inside the write's own transaction. The
version of a province is the sum of the random tokens of its rows and the null rows: one
indexed query per request (``report_version``). An entry is never invalidated: a write
changes the version, so the next request looks up another key; stale entries age out of the
cache (``TIMEOUT``, and the backend's own eviction).

Why a sum of random tokens, appended, and not something simpler:

- One counter row per province, ``UPDATE ... SET n = n + 1``, would be exact too, but two
  writers in one province would queue on that row's lock until the first commits (imports,
  appraisals and drafts of a whole province at once).
- Appended rows with ``MAX(id)`` as the version are not exact: ids are taken when a row is
  inserted, not when it commits. Writer A takes id 10, writer B id 11 and commits first; a
  reader sees version 11 without A's data and caches it; A commits and the version is still
  11, so the stale entry would be served.
- The sum of the committed tokens changes with every commit that adds a row, in whatever order
  writers commit. Pruning (``_prune``) replaces committed rows by one row carrying the sum of
  their tokens, in one transaction, so it never changes a version. Tokens are random rather
  than 1 so that a database emptied and restored, or a test's rolled-back transaction, cannot
  come back to a sum that keys an entry cached from other data.

The version is read before the dashboard's own queries. On PostgreSQL (READ COMMITTED) and
SQLite every later statement sees at least what the version's statement saw, so an entry
never holds data older than its key says.

Where versions change:

- Row-by-row writes of the models the dashboards read send Django's signals; the receivers
  below record the change for whatever wrote it (services, the admin, imports, the ORM in
  tests). A loaddata or restore (``raw``) records nothing row by row.
- Bulk writes (bulk_create, bulk_update, QuerySet.update, raw SQL, loaddata) send no signals:
  their services call ``record_change`` themselves (generate_history, reset_history,
  load_admin_units, load_criteria, add_placeholder_*, restore_portal). A new bulk path that
  touches these tables must do the same.
- Not recorded: a CriterionResult or IndicatorValue deleted on its own (a post_delete receiver
  would make every cascading delete load its rows one by one). The writers that do so change
  the assessment in the same transaction (imports save it), or only touch drafts, which no
  report shows (criteria.workflow.save_draft).
"""

import hashlib
import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# A backstop only: correctness comes from the version in the key.
TIMEOUT = 60 * 60
# Roughly one write in PRUNE_EVERY folds the committed rows into one per province, so the
# version query sums a few dozen rows however many writes there were.
PRUNE_EVERY = 64


def _token() -> int:
    return secrets.randbelow(2**31 - 1) + 1


def record_change(*, province_id=None, using: str | None = None) -> None:
    """Record that the reports of ``province_id`` (every province when None) may have changed.
    ``province_id`` may be an expression (a Subquery finding the province of a row). Call it
    inside the transaction that writes: it commits, or rolls back, with the data."""
    from .models import ReportChange

    change = ReportChange.objects.using(using).create(province_id=province_id, token=_token())
    if change.pk % PRUNE_EVERY == 0:
        _prune(before=change.pk, using=using)


def _prune(*, before: int, using: str | None) -> None:
    """Fold every committed row older than ``before`` into one row per province carrying the
    sum of their tokens. Rows another transaction is folding are skipped (SKIP LOCKED), so
    two prunes never wait for each other, and the sums never change."""
    from .models import ReportChange

    changes = ReportChange.objects.using(using)
    with transaction.atomic(using=using):
        rows = list(
            changes.filter(pk__lt=before)
            .select_for_update(skip_locked=True)
            .values_list("pk", "province_id", "token")
        )
        sums = {}
        for _, province_id, token in rows:
            sums[province_id] = sums.get(province_id, 0) + token
        if len(sums) == len(rows):
            return  # already one row per province
        changes.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        changes.bulk_create(
            ReportChange(province_id=province_id, token=token)
            for province_id, token in sums.items()
        )


def report_changes(province_id: int):
    """The ReportChange rows whose tokens make the province's report version.

    A province formed on 01/07/2025 shows its predecessors' figures (its trend through the
    merger), so its version also sums the changes of every province one of its communes'
    predecessors belonged to (normally its predecessor provinces): a write to an old commune
    of Quảng Bình changes the key of Quảng Trị's dashboard too. The API's ETags
    (api.conditional) sum the same rows."""
    from communes.models import Commune

    from .models import ReportChange

    predecessor_provinces = Commune.objects.filter(
        successor_links__successor__province_id=province_id
    ).values("province_id")
    return ReportChange.objects.filter(
        Q(province_id=province_id)
        | Q(province__isnull=True)
        | Q(province_id__in=predecessor_provinces)
    )


def report_version(province_id: int) -> int:
    """The province's report version (``report_changes``). One query."""
    total = report_changes(province_id).aggregate(v=Sum("token"))["v"]
    return int(total or 0)


def cached_body(*parts, province_id: int, render) -> SafeString:
    """The HTML ``render()`` returns, cached under ``parts`` (what the body depends on: the
    page, the area, the filters), the active language and the province's report version."""
    raw = ":".join(str(p) for p in (*parts, get_language(), report_version(province_id)))
    key = "reports:body:" + hashlib.sha256(raw.encode()).hexdigest()
    body = cache.get(key)
    if body is None:
        body = str(render())
        cache.set(key, body, TIMEOUT)
    return mark_safe(body)  # noqa: S308 - our own rendered template, cached as it was


# ---------------------------------------------------------------------------------------------
# Signal receivers: connected by ReportsConfig.ready
# ---------------------------------------------------------------------------------------------


def _province_of_unit_row(instance):
    """A subquery for the province of an assessment, recognition or target's unit (null,
    i.e. every province, when the unit is gone)."""
    from communes.models import Commune, District, Village

    if instance.commune_id:
        units = Commune.objects.filter(pk=instance.commune_id).values("province_id")
    elif instance.village_id:
        units = Village.objects.filter(pk=instance.village_id).values("commune__province_id")
    else:
        units = District.objects.filter(pk=instance.district_id).values("province_id")
    return Subquery(units[:1])


def _province_of_assessment(assessment_id):
    from criteria.models import Assessment

    return Subquery(
        Assessment.objects.filter(pk=assessment_id)
        .values(
            province=Coalesce(
                "commune__province_id", "village__commune__province_id", "district__province_id"
            )
        )
        .values("province")[:1]
    )


UNIT_FIELDS = {"commune", "village", "district", "commune_id", "village_id", "district_id"}


def _unit_row_changed(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    if raw:
        return
    if created or (update_fields is not None and not (set(update_fields) & UNIT_FIELDS)):
        record_change(province_id=_province_of_unit_row(instance))
    else:
        # A full save may have moved the row to another unit, maybe in another province, and
        # the old one is no longer known: every province.
        record_change(province_id=None)


def _unit_row_deleted(sender, instance, **kwargs):
    record_change(province_id=_province_of_unit_row(instance))


def _assessment_part_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        record_change(province_id=_province_of_assessment(instance.assessment_id))


def _shared_data_changed(sender, instance=None, raw=False, **kwargs):
    if not raw:
        record_change(province_id=None)


def connect_signals() -> None:
    from communes.models import Commune, District, Province, Village
    from criteria.models import (
        Assessment,
        CriteriaSet,
        Criterion,
        CriterionResult,
        Indicator,
        IndicatorValue,
        Recognition,
        Target,
    )

    uid = "reports.cache"
    for model in (Assessment, Recognition, Target):
        post_save.connect(_unit_row_changed, sender=model, dispatch_uid=f"{uid}.save.{model}")
        post_delete.connect(_unit_row_deleted, sender=model, dispatch_uid=f"{uid}.del.{model}")
    for model in (CriterionResult, IndicatorValue):
        post_save.connect(
            _assessment_part_changed, sender=model, dispatch_uid=f"{uid}.save.{model}"
        )
    # Names, codes, kinds, sets and criteria show on every dashboard; rarely written.
    for model in (Province, District, Commune, Village, CriteriaSet, Criterion, Indicator):
        post_save.connect(_shared_data_changed, sender=model, dispatch_uid=f"{uid}.save.{model}")
        post_delete.connect(_shared_data_changed, sender=model, dispatch_uid=f"{uid}.del.{model}")
