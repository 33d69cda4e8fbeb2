"""Plain factory functions for test data. Every call makes fresh units with unique codes
that cannot collide with the real GSO codes the session database is loaded with (real codes
have 2, 3 and 5 digits; these start with 9 and are longer)."""

import datetime
import itertools

from django.contrib.auth import get_user_model

from communes.enums import (
    AssessmentStatus,
    CommuneKind,
    DistrictKind,
    ProvinceKind,
    ResultStatus,
    StatisticKind,
    VillageKind,
)
from communes.models import (
    LEGACY_VALID_TO,
    MERGER_DATE,
    Commune,
    District,
    Membership,
    Province,
    Statistic,
    Village,
)
from communes.selectors import unit_by_code
from criteria.enums import IndicatorKind, SetLevel, Title, Verification
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

_sequence = itertools.count(1)

# Every user make_user() creates logs in with this password.
PASSWORD = "correct horse battery staple"


def _next() -> int:
    return next(_sequence)


# -- Units ------------------------------------------------------------------------------------


def legacy_unit(model_or_queryset, code: str):
    """The demo unit with a real GSO code as it was before 01/07/2025 (the seed data lives on
    the pre-2025 map; since then the same code may name another unit)."""
    return unit_by_code(model_or_queryset, code, on=LEGACY_VALID_TO)


def new_unit(model_or_queryset, code: str):
    """The unit with a real GSO code since 01/07/2025."""
    return unit_by_code(model_or_queryset, code, on=MERGER_DATE)


def make_province(*, name=None, kind=ProvinceKind.PROVINCE, **fields) -> Province:
    n = _next()
    fields.setdefault("code", f"9{n:03d}")
    return Province.objects.create(name=name or f"Tỉnh Thử {n}", kind=kind, **fields)


def make_district(*, province=None, name=None, kind=DistrictKind.RURAL_DISTRICT, **fields):
    n = _next()
    fields.setdefault("code", f"9{n:04d}")
    return District.objects.create(
        province=province or make_province(), name=name or f"Huyện Thử {n}", kind=kind, **fields
    )


def make_commune(*, district=None, province=None, name=None, kind=CommuneKind.COMMUNE, **fields):
    """A commune of ``district``. Pass only ``province`` for a commune without a district
    (the post-2025 structure); pass neither and a district is made."""
    if district is None and province is None:
        district = make_district()
    n = _next()
    fields.setdefault("code", f"9{n:05d}")
    return Commune.objects.create(
        district=district,
        province=province or district.province,
        name=name or f"Xã Thử {n}",
        kind=kind,
        **fields,
    )


def make_village(*, commune=None, name=None, kind=VillageKind.THON, **fields) -> Village:
    n = _next()
    fields.setdefault("code", f"9{n:06d}")
    return Village.objects.create(
        commune=commune or make_commune(), name=name or f"Thôn Thử {n}", kind=kind, **fields
    )


# -- Criteria sets ----------------------------------------------------------------------------


def make_criteria_set(
    *,
    n_criteria=19,
    indicators_per_criterion=0,
    level=SetLevel.COMMUNE,
    title=Title.NTM,
    **fields,
) -> CriteriaSet:
    """A set with criteria numbered 1..n_criteria, each with ``indicators_per_criterion``
    yes/no indicators coded "<criterion>.<i>"."""
    n = _next()
    fields.setdefault("code", f"test-set-{n}")
    fields.setdefault("name", f"Bộ tiêu chí thử {n}")
    fields.setdefault("short_name", f"Bộ thử {n}")
    fields.setdefault("valid_from", datetime.date(2021, 1, 1))
    criteria_set = CriteriaSet.objects.create(level=level, title=title, **fields)
    for number in range(1, n_criteria + 1):
        criterion = Criterion.objects.create(
            criteria_set=criteria_set,
            number=number,
            name=f"Tiêu chí {number}",
            verification=Verification.OFFICIAL,
        )
        Indicator.objects.bulk_create(
            Indicator(
                criterion=criterion,
                code=f"{number}.{i}",
                order=i,
                name=f"Chỉ tiêu {number}.{i}",
                kind=IndicatorKind.BOOLEAN,
                verification=Verification.OFFICIAL,
            )
            for i in range(1, indicators_per_criterion + 1)
        )
    return criteria_set


# -- What happens to units --------------------------------------------------------------------


def make_assessment(
    *,
    unit,
    criteria_set,
    met=(),
    basically_met=(),
    others=ResultStatus.NOT_MET,
    indicators_met=0,
    status=AssessmentStatus.VERIFIED,
    assessed_on=datetime.date(2024, 6, 30),
    **fields,
) -> Assessment:
    """An assessment of ``unit`` (commune, village or district). ``met`` and ``basically_met``
    are criterion numbers; every other criterion gets ``others`` (None: no result). The first
    ``indicators_met`` indicators of the set are met, the rest not.

    The default status is VERIFIED, i.e. public: pass ``status`` for a draft."""
    assessment = Assessment(criteria_set=criteria_set, assessed_on=assessed_on, status=status)
    assessment.unit = unit
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.save()

    results = []
    for criterion in criteria_set.criteria.all():
        if criterion.number in met:
            result = ResultStatus.MET
        elif criterion.number in basically_met:
            result = ResultStatus.BASICALLY_MET
        else:
            result = others
        if result:
            results.append(
                CriterionResult(assessment=assessment, criterion=criterion, status=result)
            )
    CriterionResult.objects.bulk_create(results)

    indicators = Indicator.objects.filter(criterion__criteria_set=criteria_set).order_by(
        "criterion__number", "order"
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            assessment=assessment,
            indicator=indicator,
            value_bool=i < indicators_met,
            is_met=i < indicators_met,
        )
        for i, indicator in enumerate(indicators)
    )
    return assessment


def make_recognition(
    *,
    unit,
    title=Title.NTM,
    decided_on=datetime.date(2020, 12, 15),
    revoked_on=None,
    revocation_reason="",
    **fields,
) -> Recognition:
    """A recognition decision for ``unit``. Passing ``revoked_on`` alone fills in a reason."""
    if revoked_on and not revocation_reason:
        revocation_reason = "Không duy trì đạt chuẩn"
    fields.setdefault("decision_number", f"{_next()}/QĐ-UBND")
    recognition = Recognition(
        title=title,
        decided_on=decided_on,
        revoked_on=revoked_on,
        revocation_reason=revocation_reason,
        **fields,
    )
    recognition.unit = unit
    recognition.save()
    return recognition


def make_target(*, unit, title=Title.NTM, planned_year=2025, **fields) -> Target:
    target = Target(title=title, planned_year=planned_year, **fields)
    target.unit = unit
    target.save()
    return target


def make_statistic(
    *, commune, year=2024, kind=StatisticKind.INCOME_PER_CAPITA, value=50, source="", **fields
) -> Statistic:
    return Statistic.objects.create(
        commune=commune, year=year, kind=kind, value=value, source=source, **fields
    )


# -- People -------------------------------------------------------------------------------


def make_user(username=None, *, role=None, unit=None, password=PASSWORD, **fields):
    """A user, with a Membership when ``role`` is given (``unit``: the commune, district or
    province the role is bound to; None for a national admin)."""
    user = get_user_model().objects.create_user(
        username=username or f"user{_next()}", password=password, **fields
    )
    if role:
        membership = Membership(user=user, role=role)
        level = type(unit).__name__.lower() if unit else None
        if level:
            setattr(membership, level, unit)
        membership.save()
    return user
