"""Reads of criteria sets. Criteria sets are public legal objects: no user scoping."""

from django.db.models import Count, Prefetch

from .models import CriteriaSet, Criterion, Indicator, Threshold


def criteria_sets():
    """Every set with its criteria and indicator counts, for the list page (one query)."""
    return CriteriaSet.objects.select_related("province").annotate(
        n_criteria=Count("criteria", distinct=True),
        n_indicators=Count("criteria__indicators", distinct=True),
    )


def criteria_set_detail(code: str) -> CriteriaSet:
    """A set with its criteria, indicators and thresholds prefetched (a fixed 4 queries).
    Raises CriteriaSet.DoesNotExist."""
    thresholds = Threshold.objects.select_related("province").order_by(
        "scope", "region", "commune_group", "province__code", "year"
    )
    indicators = Indicator.objects.prefetch_related(Prefetch("thresholds", queryset=thresholds))
    criteria = Criterion.objects.prefetch_related(Prefetch("indicators", queryset=indicators))
    return (
        CriteriaSet.objects.select_related("province", "prerequisite")
        .prefetch_related(Prefetch("criteria", queryset=criteria))
        .get(code=code)
    )
