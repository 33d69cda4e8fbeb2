from django.http import Http404
from django.shortcuts import render

from . import selectors
from .models import CriteriaSet


def set_list(request):
    return render(request, "criteria/set_list.html", {"sets": selectors.criteria_sets()})


def set_detail(request, code):
    try:
        criteria_set = selectors.criteria_set_detail(code)
    except CriteriaSet.DoesNotExist:
        raise Http404 from None
    criteria = list(criteria_set.criteria.all())
    n_indicators = sum(len(c.indicators.all()) for c in criteria)
    groups = []
    for criterion in criteria:
        if not groups or groups[-1][0] != criterion.group:
            groups.append((criterion.group, []))
        groups[-1][1].append(criterion)
    return render(
        request,
        "criteria/set_detail.html",
        {
            "set": criteria_set,
            "groups": groups,
            "n_criteria": len(criteria),
            "n_indicators": n_indicators,
            "missing_indicators": max(
                (criteria_set.declared_indicator_count or 0) - n_indicators, 0
            ),
        },
    )
