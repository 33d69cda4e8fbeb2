"""The read-only API (/api/v1/). Every list starts from the same permission-scoped reads as the
pages: units and criteria sets are public; assessments are the public ones plus, for a signed-in
caller or a token, those of the caller's subtree (criteria.selectors.assessments_for_user);
dashboards are for the users whose subtree covers the area (reports.access), 404 outside it."""

from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from communes.enums import PUBLIC_ASSESSMENT_STATUSES
from communes.lineage import with_lineage
from communes.models import Commune, District, Province
from communes.selectors import unit_for_address
from criteria import selectors as criteria_selectors
from criteria.models import (
    Assessment,
    CriteriaSet,
    CriterionResult,
    IndicatorValue,
    Recognition,
    Target,
)
from reports import access, dashboard
from reports import cache as report_cache
from reports.forms import DashboardFilterForm

from . import filters, serializers
from .conditional import EVERY_PROVINCE, Validators
from .figures import dashboard_data
from .schema import form_parameters


class ApiMixin:
    """Conditional GETs for answers made of public data, and a 429 that says when to retry."""

    # Whether the answer may carry an ETag (public data only, see api.conditional).
    conditional = True

    def throttled(self, request, wait):
        refusal = exceptions.Throttled(wait)
        # One sentence in the caller's language (DRF would append its own English one).
        refusal.detail = exceptions.ErrorDetail(
            _(
                "Too many requests: the limit for this token or address is reached. "
                "Try again in %(seconds)d seconds."
            )
            % {"seconds": refusal.wait or 1},
            code="throttled",
        )
        raise refusal

    def version_province(self):
        """The province whose report version dates the answer (EVERY_PROVINCE: the country)."""
        return EVERY_PROVINCE

    def answers_publicly(self) -> bool:
        return self.conditional and not self.request.user.is_authenticated

    def get(self, request, *args, **kwargs):
        return self.conditionally(lambda: super(ApiMixin, self).get(request, *args, **kwargs))

    def conditionally(self, build):
        """``build()``'s response, or a 304 without calling it when the client's copy is
        current. Runs after authentication and the access check, so that a 304 never confirms
        what a 404 would hide."""
        validators = None
        if self.answers_publicly():
            self.check_filters()
            validators = Validators(self.request, self.version_province())
            if validators.not_modified(self.request):
                return validators.apply(Response(status=304))
        response = build()
        if validators is not None and response.status_code == 200:
            validators.apply(response)
        return response

    def check_filters(self):
        """Parse the filters before the version is read (a bad one is a 400, not a 304)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Cookie", "Authorization"))
        return response


# -- Units --------------------------------------------------------------------------------------


class ProvinceList(ApiMixin, generics.ListAPIView):
    """Every province of both maps (public, as on the home page), with its validity and
    lineage."""

    serializer_class = serializers.ProvinceSerializer
    cursor_ordering = "code"
    queryset = with_lineage(Province.objects.all())


class DatedUnitDetail(ApiMixin, generics.RetrieveAPIView):
    """One unit by its code, as its page shows it: a code names a unit only with a date
    (18838 is Xã Lâm Hợp until 30/06/2025 and Xã Kỳ Lạc since), so ``?on=YYYY-MM-DD`` chooses
    the day (default today); a code no unit holds that day gives its last unit that had
    ended by then (communes.selectors.unit_for_address), and none at all is a 404."""

    lookup_field = "code"

    def get_object(self):
        try:
            day = parse_date(self.request.query_params.get("on") or "")
        except ValueError:
            day = None
        if day is None and self.request.query_params.get("on"):
            raise exceptions.ValidationError({"on": [_("Enter a valid date.")]})
        unit = unit_for_address(self.get_queryset(), self.kwargs["code"], on=day)
        if unit is None:
            raise exceptions.NotFound
        return unit


class ProvinceDetail(DatedUnitDetail):
    serializer_class = serializers.ProvinceSerializer
    queryset = with_lineage(Province.objects.all())


@extend_schema_view(get=extend_schema(parameters=form_parameters(filters.DistrictFilterForm)))
class DistrictList(ApiMixin, generics.ListAPIView):
    """Districts, optionally of one ``province``; ``valid_on`` keeps those existing that day."""

    serializer_class = serializers.DistrictSerializer
    cursor_ordering = "code"

    def get_queryset(self):
        f = filters.DistrictFilterForm(self.request.query_params).cleaned()
        districts = District.objects.select_related("province")
        if f["province"]:
            districts = districts.filter(province__code=f["province"])
        if f["valid_on"]:
            districts = districts.valid_on(f["valid_on"])
        return districts


class DistrictDetail(DatedUnitDetail):
    serializer_class = serializers.DistrictSerializer
    queryset = District.objects.select_related("province")


@extend_schema_view(get=extend_schema(parameters=form_parameters(filters.UnitFilterForm)))
class CommuneList(ApiMixin, generics.ListAPIView):
    """Communes with their validity and lineage, filtered by ``province``, ``district``,
    ``kind`` and ``valid_on``."""

    serializer_class = serializers.CommuneSerializer
    cursor_ordering = "code"

    def get_queryset(self):
        f = filters.UnitFilterForm(self.request.query_params).cleaned()
        communes = Commune.objects.select_related("province", "district")
        if f["province"]:
            communes = communes.filter(province__code=f["province"])
        if f["district"]:
            communes = communes.filter(district__code=f["district"])
        if f["kind"]:
            communes = communes.filter(kind=f["kind"])
        if f["valid_on"]:
            communes = communes.valid_on(f["valid_on"])
        return with_lineage(communes)


class CommuneDetail(DatedUnitDetail):
    serializer_class = serializers.CommuneSerializer
    queryset = with_lineage(Commune.objects.select_related("province", "district"))


# -- Criteria sets --------------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(parameters=form_parameters(filters.SetFilterForm)))
class CriteriaSetList(ApiMixin, generics.ListAPIView):
    """The criteria sets (public legal objects), filtered by ``level``, ``title``,
    ``valid_on`` and ``province`` (a province's own variants and the national sets)."""

    serializer_class = serializers.CriteriaSetSerializer
    cursor_ordering = "code"
    # Thresholds are not in the report version (reports.cache): no ETag here.
    conditional = False

    def get_queryset(self):
        f = filters.SetFilterForm(self.request.query_params).cleaned()
        sets = criteria_selectors.criteria_sets().select_related("prerequisite")
        if f["level"]:
            sets = sets.filter(level=f["level"])
        if f["title"]:
            sets = sets.filter(title=f["title"])
        if f["valid_on"]:
            sets = sets.valid_on(f["valid_on"])
        if f["province"]:
            sets = sets.filter(Q(province__isnull=True) | Q(province__code=f["province"]))
        return sets


class CriteriaSetDetail(ApiMixin, generics.RetrieveAPIView):
    """One set with its criteria, indicators and thresholds, each with its verification and
    source (the same reads as the set's page)."""

    serializer_class = serializers.CriteriaSetDetailSerializer
    conditional = False

    def get_object(self):
        try:
            return criteria_selectors.criteria_set_detail(self.kwargs["code"])
        except CriteriaSet.DoesNotExist:
            raise Http404 from None


# -- Assessments, recognitions, targets ----------------------------------------------------------


class AreaListMixin(ApiMixin):
    form_class = filters.AreaFilterForm
    cursor_ordering = "pk"

    def check_filters(self):
        self.filters  # noqa: B018 - parsed (or refused) now

    @property
    def filters(self):
        if not hasattr(self, "_filters"):
            form = self.form_class(self.request.query_params)
            form.cleaned()
            self._filters = form
        return self._filters

    def version_province(self):
        province_id = self.filters.province_id()
        return EVERY_PROVINCE if province_id is None else province_id


@extend_schema_view(get=extend_schema(parameters=form_parameters(filters.AssessmentFilterForm)))
class AssessmentList(AreaListMixin, generics.ListAPIView):
    """Assessments with their per-criterion results and indicator values. Anonymous callers
    get the public ones (verified, appraised, recognised, approved), as the overview pages
    show; a signed-in caller or a token also gets every assessment of its own subtree.
    ``latest=true`` keeps each unit's latest against each set (among those selected, e.g.
    ``as_of``)."""

    serializer_class = serializers.AssessmentSerializer
    form_class = filters.AssessmentFilterForm

    def get_queryset(self):
        form = self.filters
        f = form.cleaned_data
        user = self.request.user
        visible = Q(status__in=PUBLIC_ASSESSMENT_STATUSES)
        if user.is_authenticated:
            visible |= Q(pk__in=criteria_selectors.assessments_for_user(user).values("pk"))
        assessments = Assessment.objects.filter(visible).filter(form.area_q())
        if f["set"]:
            assessments = assessments.filter(criteria_set=f["set"])
        if f["kind"]:
            assessments = assessments.filter(commune__kind=f["kind"])
        if f["as_of"]:
            assessments = assessments.as_of(f["as_of"])
        if f["latest"]:
            assessments = assessments.latest_per_unit_and_set()
        results = CriterionResult.objects.select_related("criterion").order_by("criterion__number")
        values = IndicatorValue.objects.select_related("indicator__criterion").order_by(
            "indicator__criterion__number", "indicator__order", "indicator__code"
        )
        return (
            assessments.with_progress()
            .select_related("criteria_set", *serializers.UNIT_RELATED)
            .prefetch_related(
                Prefetch("results", queryset=results),
                Prefetch("indicator_values", queryset=values),
            )
        )


@extend_schema_view(get=extend_schema(parameters=form_parameters(filters.RecognitionFilterForm)))
class RecognitionList(AreaListMixin, generics.ListAPIView):
    """Recognition decisions (public, revoked ones included, as on the commune page).
    ``as_of`` keeps those in force that day; ``active=true`` those not revoked."""

    serializer_class = serializers.RecognitionSerializer
    form_class = filters.RecognitionFilterForm

    def get_queryset(self):
        form = self.filters
        f = form.cleaned_data
        recognitions = Recognition.objects.filter(form.area_q())
        if f["title"]:
            recognitions = recognitions.filter(title=f["title"])
        if f["as_of"]:
            recognitions = recognitions.active(f["as_of"])
        if f["active"] is True:
            recognitions = recognitions.active()
        elif f["active"] is False:
            recognitions = recognitions.filter(revoked_on__isnull=False)
        return recognitions.select_related("criteria_set", *serializers.UNIT_RELATED)


@extend_schema_view(get=extend_schema(parameters=form_parameters(filters.TargetFilterForm)))
class TargetList(AreaListMixin, generics.ListAPIView):
    """Targets (public, as on the overview pages): a title, or a set, by a planned year."""

    serializer_class = serializers.TargetSerializer
    form_class = filters.TargetFilterForm

    def get_queryset(self):
        form = self.filters
        f = form.cleaned_data
        targets = Target.objects.filter(form.area_q())
        if f["title"]:
            targets = targets.filter(title=f["title"])
        if f["year"]:
            targets = targets.filter(planned_year=f["year"])
        return targets.select_related("criteria_set", *serializers.UNIT_RELATED)


# -- Dashboards -----------------------------------------------------------------------------------

DASHBOARD_PARAMETERS = [
    OpenApiParameter("set", str, description="Criteria set code (default: the most used)."),
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="As of this date (default: today)."),
    OpenApiParameter("kind", str, enum=["xa", "phuong", "thi_tran"], description="Commune kind."),
]


class DashboardView(ApiMixin, APIView):
    """The figures of a district or province dashboard, for users whose subtree covers the
    area (reports.access: 404 outside it, 403 inside it for a smaller subtree; anonymous
    callers must sign in or send a token: 401). The dashboards read only public assessments,
    so every caller's answer is conditional."""

    build = None  # reports.dashboard.province_dashboard or district_dashboard
    find = None  # reports.access.province_for_dashboard or district_for_dashboard

    def answers_publicly(self) -> bool:
        return True

    def get(self, request, code):
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated
        # The page's filter form, first: it runs no query, and a malformed filter is a 400
        # that names it whatever the area (it says nothing of the area). Its ``as_of`` (default
        # today) chooses the area, since a code names one only with a date (42 is the old Hà
        # Tĩnh until 30/06/2025 and the new one since), as on the page.
        form = DashboardFilterForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: list(errors) for name, errors in form.errors.items()}
            )
        self.cleaned = form.cleaned_data
        try:
            self.unit = type(self).find(request.user, code, on=self.cleaned["as_of"])
        except access.PartOfArea as refusal:
            raise exceptions.PermissionDenied(
                _(
                    "Your account covers only part of %(area)s: its dashboard is for the "
                    "offices of the whole area."
                )
                % {"area": refusal.area}
            ) from None
        return self.conditionally(self.body)

    def version_province(self):
        return self.unit.pk if isinstance(self.unit, Province) else self.unit.province_id

    def body(self):
        """The figures as JSON, cached as the page caches its body (reports.cache): under the
        area, the filters, the language and the province's report version, so an entry is
        exact and every caller who may read the area shares it. Built by the page's own
        builder on a miss."""
        f, unit = self.cleaned, self.unit

        def render():
            board = type(self).build(unit, set_code=f["set"], as_of=f["as_of"], kind=f["kind"])
            return JSONRenderer().render(dashboard_data(board)).decode()

        try:
            body = report_cache.cached_body(
                "api",
                type(unit).__name__,
                unit.pk,
                f["set"],
                f["as_of"].isoformat(),
                f["kind"],
                province_id=self.version_province(),
                render=render,
            )
        except dashboard.UnknownCriteriaSet:
            raise exceptions.ValidationError(
                {"set": [_("There is no commune criteria set with this code.")]}
            ) from None
        return HttpResponse(body, content_type="application/json")


@extend_schema(parameters=DASHBOARD_PARAMETERS, responses=OpenApiTypes.OBJECT)
class ProvinceDashboard(DashboardView):
    find = staticmethod(access.province_for_dashboard)
    build = staticmethod(dashboard.province_dashboard)


@extend_schema(parameters=DASHBOARD_PARAMETERS, responses=OpenApiTypes.OBJECT)
class DistrictDashboard(DashboardView):
    find = staticmethod(access.district_for_dashboard)
    build = staticmethod(dashboard.district_dashboard)
