"""Which threshold applies to a unit, and whether a value reaches it.

Priority, most specific first: the unit's province, then its commune group (2026–2030 sets)
or its region (2016–2025 sets; especially difficult communes use the Northern midlands
column), then the national value. Within a scope, a threshold for the assessment's year beats
one for every year; a threshold for another year never applies.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from communes.models import Commune, District, Village

from .enums import Comparison, IndicatorKind, ThresholdScope
from .models import Indicator, Threshold


def _scope_rank(threshold: Threshold, *, province_id, commune_group, region) -> int | None:
    """Lower is more specific; None when the threshold does not apply to this unit."""
    if threshold.scope == ThresholdScope.PROVINCE:
        return 0 if threshold.province_id == province_id else None
    if threshold.scope == ThresholdScope.COMMUNE_GROUP:
        return 1 if commune_group and threshold.commune_group == commune_group else None
    if threshold.scope == ThresholdScope.REGION:
        return 2 if region and threshold.region == region else None
    return 3


def _unit_context(unit) -> tuple[int | None, int | None, str]:
    if isinstance(unit, Village):
        unit = unit.commune
    if isinstance(unit, Commune):
        return unit.province_id, unit.commune_group, unit.effective_region
    if isinstance(unit, District):
        return unit.province_id, None, unit.province.region if unit.province_id else ""
    raise TypeError(f"Not a unit: {unit!r}")


def resolve(thresholds: Iterable[Threshold], unit, on: datetime.date) -> Threshold | None:
    """The threshold among ``thresholds`` (all for one indicator) that applies to ``unit`` on
    ``on``, or None ("chưa quy định")."""
    province_id, commune_group, region = _unit_context(unit)
    best, best_key = None, None
    for threshold in thresholds:
        if threshold.year is not None and threshold.year != on.year:
            continue
        rank = _scope_rank(
            threshold, province_id=province_id, commune_group=commune_group, region=region
        )
        if rank is None:
            continue
        key = (rank, 0 if threshold.year is not None else 1)
        if best_key is None or key < best_key:
            best, best_key = threshold, key
    return best


def thresholds_for_set(criteria_set) -> dict[int, list[Threshold]]:
    """All thresholds of a set, by indicator id, in one query."""
    by_indicator: dict[int, list[Threshold]] = defaultdict(list)
    rows = Threshold.objects.filter(indicator__criterion__criteria_set=criteria_set).select_related(
        "province"
    )
    for threshold in rows:
        by_indicator[threshold.indicator_id].append(threshold)
    return by_indicator


class Applicable(dict):
    """indicator id -> the Threshold that applies, or None; ``region_unset`` holds the
    indicators whose None means "chưa quy định cho vùng này" rather than "chưa quy định"."""

    def __init__(self, *args, region_unset=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.region_unset = frozenset(region_unset)


def applicable_thresholds(criteria_set, unit, on: datetime.date) -> Applicable:
    """For every indicator of the set: the threshold that applies to ``unit`` on ``on``.

    Thresholds only where they apply: in a set whose levels differ by region (it holds
    regional values), a number the reference gives only in the national ("chung") column
    says nothing of the unit's region, whose value differs or is unknown. A unit of a known
    region then gets no threshold for it ("chưa quy định cho vùng này"), never the national
    value. Yes/no levels ("Đạt") are the same in every column and still apply."""
    by_indicator = thresholds_for_set(criteria_set)
    indicators = Indicator.objects.filter(criterion__criteria_set=criteria_set).values_list(
        "pk", "kind"
    )
    regional = any(t.scope == ThresholdScope.REGION for rows in by_indicator.values() for t in rows)
    region = _unit_context(unit)[2]
    result, region_unset = {}, set()
    for pk, kind in indicators:
        threshold = resolve(by_indicator.get(pk, ()), unit, on)
        if (
            threshold is not None
            and regional
            and region
            and threshold.scope == ThresholdScope.NATIONAL
            and kind == IndicatorKind.NUMERIC
        ):
            threshold = None
            region_unset.add(pk)
        result[pk] = threshold
    return Applicable(result, region_unset=region_unset)


def reaches(
    indicator: Indicator,
    threshold: Threshold | None,
    *,
    number: Decimal | None = None,
    flag: bool | None = None,
) -> bool | None:
    """Whether a value reaches the threshold; None when that cannot be decided (no threshold,
    a threshold given only as text, or no value)."""
    if indicator.comparison in (Comparison.YES, Comparison.NO):
        if flag is None:
            return None
        return flag is (indicator.comparison == Comparison.YES)
    if threshold is None or threshold.value is None or number is None:
        return None
    if indicator.comparison == Comparison.AT_MOST:
        return number <= threshold.value
    return number >= threshold.value
