"""The public overview: province → district → commune. Anyone may read these pages, so they
show only recognitions and public assessments (see reports.selectors).

The dashboards are not public: they are for logged-in users, each for their own subtree
(reports.access decides)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from communes.models import Commune, District, Province

from . import access, dashboard, export, selectors
from .forms import DashboardFilterForm


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


def _dashboard_or_errors(request, district):
    """The dashboard for the URL's filters, or (None, form) with the form's errors."""
    form = DashboardFilterForm(request.GET)
    if not form.is_valid():
        return None, form
    try:
        board = dashboard.district_dashboard(
            district,
            set_code=form.cleaned_data["set"],
            as_of=form.cleaned_data["as_of"],
            kind=form.cleaned_data["kind"],
        )
    except dashboard.UnknownCriteriaSet:
        form.add_error("set", _("There is no commune criteria set with this code."))
        return None, form
    return board, form


def dashboard_access(view):
    """Dashboards are for logged-in users and their own subtree (see reports.access): a user
    inside the area but not covering it gets a 403 page that says why."""

    @login_required
    @require_safe
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except access.PartOfArea as refusal:
            return render(
                request, "reports/dashboard_forbidden.html", {"area": refusal.area}, status=403
            )

    return wrapper


def _bad_filter(request, district, form):
    # A hand-edited or stale URL: say which filter is wrong rather than guess.
    return render(
        request,
        "reports/dashboard_bad_filter.html",
        {"district": district, "form": form},
        status=400,
    )


@dashboard_access
def district_dashboard(request, code):
    district = access.district_for_dashboard(request.user, code)
    board, form = _dashboard_or_errors(request, district)
    if board is None:
        return _bad_filter(request, district, form)
    return render(request, "reports/dashboard.html", {"dashboard": board, "form": form})


@dashboard_access
def district_dashboard_xlsx(request, code):
    """The dashboard's matrix as an Excel file, with the same filters as the page."""
    district = access.district_for_dashboard(request.user, code)
    board, form = _dashboard_or_errors(request, district)
    if board is None:
        return _bad_filter(request, district, form)
    response = HttpResponse(
        export.dashboard_workbook(board),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    set_code = board.criteria_set.code if board.criteria_set else "none"
    response["Content-Disposition"] = (
        f'attachment; filename="dashboard-{district.code}-{set_code}-{board.as_of:%Y-%m-%d}.xlsx"'
    )
    return response
