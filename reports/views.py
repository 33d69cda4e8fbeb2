"""The public overview: province → district → commune. Anyone may read these pages, so they
show only recognitions and public assessments (see reports.selectors).

The dashboards are not public: they are for logged-in users, each for their own subtree
(reports.access decides)."""

import datetime
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from communes.lineage import lineage_for
from communes.models import (
    LEGACY_VALID_TO,
    MERGER_DATE,
    Commune,
    District,
    Province,
    ProvinceSuccession,
)
from communes.selectors import unit_for_address
from criteria import selectors as criteria_selectors

from . import access, cache, dashboard, export, selectors
from .forms import DashboardFilterForm


@require_safe
def home(request):
    """The provinces of the map valid on ``?on=`` (default today): the 34 since 01/07/2025,
    the 63 before, with a link to the other map."""
    day = _day(request, "on")
    if day is None:
        return _bad_date(request, "on")
    return render(
        request,
        "reports/home.html",
        {
            "provinces": selectors.province_list(on=day),
            "day": day,
            "after_merger": day >= MERGER_DATE,
            "legacy_day": LEGACY_VALID_TO,
        },
    )


def _day(request, name: str):
    """The date of the query parameter ``name`` (YYYY-MM-DD), today when absent; None when
    malformed (the caller answers 400)."""
    text = request.GET.get(name, "").strip()
    if not text:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _bad_date(request, name: str):
    return render(
        request,
        "reports/bad_date.html",
        {"value": request.GET.get(name, ""), "name": name},
        status=400,
    )


def _unit_on(queryset, code: str, day: datetime.date):
    """The unit ``code`` shows on ``day`` (communes.selectors.unit_for_address), or 404."""
    unit = unit_for_address(queryset, code, on=day)
    if unit is None:
        raise Http404
    return unit


@require_safe
def province(request, code):
    day = _day(request, "on")
    if day is None:
        return _bad_date(request, "on")
    province = _unit_on(Province.objects.all(), code, day)
    return render(
        request,
        "reports/province.html",
        {
            "overview": selectors.province_overview(province),
            # The dashboard is linked only for those it opens to, not as a login or a 403.
            "dashboard_open": access.may_open_province_dashboard(request.user, province),
            "lineage": lineage_for(province, on=day),
        },
    )


@require_safe
def district(request, code):
    day = _day(request, "on")
    if day is None:
        return _bad_date(request, "on")
    district = _unit_on(District.objects.select_related("province"), code, day)
    return render(
        request,
        "reports/district.html",
        {
            "overview": selectors.district_overview(district),
            "dashboard_open": access.may_open_district_dashboard(request.user, district),
            "lineage": lineage_for(district, on=day),
        },
    )


@require_safe
def commune(request, code):
    day = _day(request, "on")
    if day is None:
        return _bad_date(request, "on")
    commune = _unit_on(Commune.objects.select_related("district", "province"), code, day)
    overview = selectors.commune_overview(commune)
    lineage = lineage_for(commune, on=day)
    return render(
        request,
        "reports/commune.html",
        {
            "overview": overview,
            "lineage": lineage,
            "merger": selectors.merger_history(
                commune, overview.recognitions, lineage.predecessors
            ),
            # Links into the private workflow, for the users whose subtree holds the commune.
            "can_enter": criteria_selectors.enters_assessments_for(request.user, commune),
            "can_see_history": criteria_selectors.covers_commune(request.user, commune),
        },
    )


def _dashboard_or_errors(request, unit):
    """The dashboard of ``unit`` (a District or Province) for the URL's filters, or
    (None, form) with the form's errors."""
    form = DashboardFilterForm(request.GET)
    if not form.is_valid():
        return None, form
    build = (
        dashboard.province_dashboard if isinstance(unit, Province) else dashboard.district_dashboard
    )
    try:
        board = build(
            unit,
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


def _dashboard_page(request, unit, template):
    form = DashboardFilterForm(request.GET)
    if form.is_valid():
        filters = form.cleaned_data
        is_province = isinstance(unit, Province)
        build = dashboard.province_dashboard if is_province else dashboard.district_dashboard
        body_template = (
            "reports/_dashboard_province_body.html"
            if is_province
            else "reports/_dashboard_district_body.html"
        )

        def render_body():
            board = build(
                unit, set_code=filters["set"], as_of=filters["as_of"], kind=filters["kind"]
            )
            # No request: the body is shared by every user who may see the area.
            return render_to_string(body_template, {"dashboard": board, "form": form})

        try:
            body = cache.cached_body(
                type(unit).__name__,
                unit.pk,
                filters["set"],
                filters["as_of"].isoformat(),
                filters["kind"],
                province_id=unit.pk if is_province else unit.province_id,
                render=render_body,
            )
        except dashboard.UnknownCriteriaSet:
            form.add_error("set", _("There is no commune criteria set with this code."))
        else:
            return render(request, template, {"unit": unit, "body": body, "ended": _ended(unit)})
    # A hand-edited or stale URL: say which filter is wrong rather than guess.
    return render(
        request, "reports/dashboard_bad_filter.html", {"unit": unit, "form": form}, status=400
    )


def _dashboard_xlsx(request, unit):
    board, form = _dashboard_or_errors(request, unit)
    if board is None:
        return render(
            request, "reports/dashboard_bad_filter.html", {"unit": unit, "form": form}, status=400
        )
    response = HttpResponse(
        export.dashboard_workbook(board),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    set_code = board.criteria_set.code if board.criteria_set else "none"
    response["Content-Disposition"] = (
        f'attachment; filename="dashboard-{unit.code}-{set_code}-{board.as_of:%Y-%m-%d}.xlsx"'
    )
    return response


def _successor_provinces(unit) -> list[Province]:
    """The provinces of today's map that took the communes of ``unit`` (a district or a
    province of the former map). One query."""
    province = unit if isinstance(unit, Province) else unit.province
    return [
        link.successor
        for link in ProvinceSuccession.objects.filter(predecessor=province)
        .select_related("successor")
        .order_by("successor__code")
    ]


def _ended(unit) -> dict | None:
    """For the dashboard of a unit that has ended (its office lands there on the unit's last
    day): its last day and the provinces that took its communes, for the notice above the
    dashboard. None for a unit still valid (no query)."""
    if unit.valid_to is None or unit.valid_to >= timezone.localdate():
        return None
    return {"last_day": unit.valid_to, "successors": _successor_provinces(unit)}


def _closed_area(request, unit, day):
    """The page for an area that no longer existed on ``day`` (a district, or a province
    merged away, after 30/06/2025): it says so and links to the dashboard of the province(s)
    that took its communes and to its own last day, rather than an empty dashboard."""
    successors = _successor_provinces(unit)
    return render(
        request,
        "reports/dashboard_closed.html",
        {
            "unit": unit,
            "is_district": isinstance(unit, District),
            "day": day,
            "successors": [
                (p, access.may_open_province_dashboard(request.user, p)) for p in successors
            ],
            "last_day": unit.valid_to,
        },
    )


def _area_or_closed(request, unit, render_open):
    """``render_open(unit)``, or the closed-area page when ``?as_of=`` falls after the
    unit's last day (reports.access resolved the code to the unit that last held it)."""
    form = DashboardFilterForm(request.GET)
    if form.is_valid():  # a malformed filter is a 400 that names it, whatever the date
        day = form.cleaned_data["as_of"]
        if unit.valid_to is not None and day > unit.valid_to:
            return _closed_area(request, unit, day)
    return render_open(unit)


@dashboard_access
def district_dashboard(request, code):
    district = access.district_for_dashboard(request.user, code, on=_day(request, "as_of"))
    return _area_or_closed(
        request, district, lambda unit: _dashboard_page(request, unit, "reports/dashboard.html")
    )


@dashboard_access
def district_dashboard_xlsx(request, code):
    """The dashboard's matrix as an Excel file, with the same filters as the page."""
    district = access.district_for_dashboard(request.user, code, on=_day(request, "as_of"))
    return _area_or_closed(request, district, lambda unit: _dashboard_xlsx(request, unit))


@dashboard_access
def province_dashboard(request, code):
    province = access.province_for_dashboard(request.user, code, on=_day(request, "as_of"))
    return _area_or_closed(
        request,
        province,
        lambda unit: _dashboard_page(request, unit, "reports/dashboard_province.html"),
    )


@dashboard_access
def province_dashboard_xlsx(request, code):
    province = access.province_for_dashboard(request.user, code, on=_day(request, "as_of"))
    return _area_or_closed(request, province, lambda unit: _dashboard_xlsx(request, unit))


@dashboard_access
def national_dashboard(request):
    """Provinces ranked by the share of their communes recognised NTM. Each user sees the
    ranking of the provinces their subtree covers whole (all of them for a national admin,
    their own for a province office); a user below province level has no ranking: 404.
    The date chooses the map: the 63 provinces before 01/07/2025, the 34 since."""
    form = DashboardFilterForm(request.GET)
    form.is_valid()
    if "as_of" in form.errors:
        # Only the date applies to the ranking; a bad one is said, not silently replaced.
        return render(
            request, "reports/dashboard_bad_filter.html", {"unit": None, "form": form}, status=400
        )
    as_of = form.cleaned_data.get("as_of") or timezone.localdate()
    provinces = access.provinces_for_ranking(request.user, on=as_of)
    ranking = dashboard.national_ranking(provinces, as_of)
    # A province office whose province is of the other map than the date's (a membership on
    # a province closed on 30/06/2025): the page says so and offers the province's own days.
    elsewhere = [] if ranking else list(provinces.order_by("code")[:5])
    if not ranking and not elsewhere:
        raise Http404
    return render(
        request,
        "reports/dashboard_national.html",
        {
            "ranking": ranking,
            "elsewhere": elsewhere,
            "as_of": as_of,
            "form": form,
            "after_merger": as_of >= MERGER_DATE,
            "legacy_day": LEGACY_VALID_TO,
            "merger_day": MERGER_DATE,
        },
    )
