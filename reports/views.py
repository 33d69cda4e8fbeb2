"""The public overview: province → district → commune. Anyone may read these pages, so they
show only recognitions and public assessments (see reports.selectors)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from communes.models import Commune, District, Province

from . import selectors


@require_safe
def home(request):
    return render(request, "reports/home.html", {"provinces": selectors.province_list()})


@require_safe
def province(request, code):
    province = get_object_or_404(Province, code=code)
    return render(
        request, "reports/province.html", {"overview": selectors.province_overview(province)}
    )


@require_safe
def district(request, code):
    district = get_object_or_404(District.objects.select_related("province"), code=code)
    return render(
        request, "reports/district.html", {"overview": selectors.district_overview(district)}
    )


@require_safe
def commune(request, code):
    commune = get_object_or_404(Commune.objects.select_related("district", "province"), code=code)
    return render(
        request, "reports/commune.html", {"overview": selectors.commune_overview(commune)}
    )
