"""Permission-scoped reads of units. Everyone reads only their own subtree; every view, form
choice list, export and admin queryset starts from these functions.

A user's scope comes from their Membership: a commune official sees their commune (and its
villages), a district office its district, a provincial office or province-scoped admin its
province, a national admin (or a superuser without membership) everything. A user without a
membership sees nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .enums import Role
from .models import Commune, District, Membership, Province, Village


def unit_by_code(model_or_queryset, code: str, *, on: datetime.date | None = None):
    """The unit with ``code`` that was valid ``on`` that day (default: today).

    A GSO code names a unit only together with a date (18838 is Xã Lâm Hợp until 30/06/2025,
    Xã Kỳ Lạc since 01/07/2025), and the constraints on Unit let at most one unit hold a code
    on any day. Accepts a model or a (scoped) queryset; raises the model's DoesNotExist when no
    unit held the code that day.
    """
    day = on or timezone.localdate()
    return _rows(model_or_queryset).filter(code=code).valid_on(day).get()


def unit_for_address(model_or_queryset, code: str, *, on: datetime.date | None = None):
    """The unit an address with ``code`` shows on ``on`` (default today), in one query: the
    one valid that day, else the most recent one that had already ended by then (a closed
    district's or commune's page keeps working, and says it is closed), else None. Never
    another code's unit."""
    day = on or timezone.localdate()
    rows = list(_rows(model_or_queryset).filter(code=code))
    valid = [unit for unit in rows if unit.is_valid_on(day)]
    if valid:
        return valid[0]
    ended = [unit for unit in rows if unit.valid_to is not None and unit.valid_to < day]
    return max(ended, key=lambda unit: unit.valid_to) if ended else None


def units_with_code(model_or_queryset, code: str) -> QuerySet:
    """Every unit that ever held ``code``, oldest first."""
    return (
        _rows(model_or_queryset).filter(code=code).order_by(F("valid_from").asc(nulls_first=True))
    )


def _rows(model_or_queryset) -> QuerySet:
    if isinstance(model_or_queryset, type):
        return model_or_queryset._default_manager.all()
    return model_or_queryset


@dataclass(frozen=True)
class Scope:
    role: str | None
    province_id: int | None = None
    district_id: int | None = None
    commune_id: int | None = None
    everything: bool = False

    @property
    def nothing(self) -> bool:
        return not self.everything and not (self.province_id or self.district_id or self.commune_id)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


NO_SCOPE = Scope(role=None)


def scope_for(user) -> Scope:
    """The subtree ``user`` may read. Cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_ntm_scope", None)
    if cached is not None:
        return cached
    # With its unit: the header names it (ntm_portal.navigation), at no extra query.
    membership = (
        Membership.objects.select_related("province", "district", "commune")
        .filter(user=user)
        .first()
    )
    user._ntm_membership = membership
    if membership is None:
        scope = Scope(role=Role.ADMIN, everything=True) if user.is_superuser else NO_SCOPE
    elif membership.role == Role.ADMIN and membership.province_id is None:
        scope = Scope(role=Role.ADMIN, everything=True)
    else:
        scope = Scope(
            role=membership.role,
            province_id=membership.province_id,
            district_id=membership.district_id,
            commune_id=membership.commune_id,
        )
    user._ntm_scope = scope
    return scope


def membership_for(user) -> Membership | None:
    """The user's Membership with its unit, as scope_for read it (None without one)."""
    scope_for(user)
    return getattr(user, "_ntm_membership", None)


def provinces_for_user(user) -> QuerySet[Province]:
    scope = scope_for(user)
    if scope.everything:
        return Province.objects.all()
    if scope.province_id:
        return Province.objects.filter(pk=scope.province_id)
    return Province.objects.none()


def districts_for_user(user) -> QuerySet[District]:
    scope = scope_for(user)
    if scope.everything:
        return District.objects.all()
    if scope.province_id:
        return District.objects.filter(province_id=scope.province_id)
    if scope.district_id:
        return District.objects.filter(pk=scope.district_id)
    return District.objects.none()


def communes_for_user(user) -> QuerySet[Commune]:
    scope = scope_for(user)
    if scope.everything:
        return Commune.objects.all()
    if scope.province_id:
        return Commune.objects.filter(province_id=scope.province_id)
    if scope.district_id:
        return Commune.objects.filter(district_id=scope.district_id)
    if scope.commune_id:
        return Commune.objects.filter(pk=scope.commune_id)
    return Commune.objects.none()


def villages_for_user(user) -> QuerySet[Village]:
    return Village.objects.filter(commune__in=communes_for_user(user))


def unit_scope_q(user, prefix: str = "") -> Q:
    """Q selecting rows bound (through commune / village / district fields under ``prefix``) to
    a unit in the user's subtree, e.g. ``Assessment.objects.filter(unit_scope_q(user))``."""
    scope = scope_for(user)
    if scope.everything:
        return Q()
    if scope.nothing:
        return Q(pk__in=[])
    p = prefix
    if scope.province_id:
        return (
            Q(**{f"{p}commune__province_id": scope.province_id})
            | Q(**{f"{p}village__commune__province_id": scope.province_id})
            | Q(**{f"{p}district__province_id": scope.province_id})
        )
    if scope.district_id:
        return (
            Q(**{f"{p}commune__district_id": scope.district_id})
            | Q(**{f"{p}village__commune__district_id": scope.district_id})
            | Q(**{f"{p}district_id": scope.district_id})
        )
    return Q(**{f"{p}commune_id": scope.commune_id}) | Q(
        **{f"{p}village__commune_id": scope.commune_id}
    )


def can_import(user, province: Province | None = None) -> bool:
    """Only admins import; a province-scoped admin only within their province."""
    scope = scope_for(user)
    if not scope.is_admin:
        return False
    if scope.everything:
        return True
    return province is not None and province.pk == scope.province_id


def scoped(user, queryset: QuerySet) -> QuerySet:
    """``queryset`` narrowed to the user's subtree, whatever unit-bound model it lists: units,
    statistics, memberships, or rows bound to a commune / village / district (assessments,
    recognitions, targets), or to an assessment (evidence). Used by the admin."""
    scope = scope_for(user)
    if scope.everything:
        return queryset
    model = queryset.model
    if model is Province:
        return queryset.filter(pk__in=provinces_for_user(user).values("pk"))
    if model is District:
        return queryset.filter(pk__in=districts_for_user(user).values("pk"))
    if model is Commune:
        return queryset.filter(pk__in=communes_for_user(user).values("pk"))
    if model is Village:
        return queryset.filter(commune__in=communes_for_user(user).values("pk"))
    if model is Membership:
        # Memberships of units inside the subtree; a province admin also sees their own.
        inside = (
            Q(province__in=provinces_for_user(user).values("pk"))
            | Q(district__in=districts_for_user(user).values("pk"))
            | Q(commune__in=communes_for_user(user).values("pk"))
        )
        return queryset.filter(inside | Q(user=user))
    field_names = {f.name for f in model._meta.get_fields()}
    if "commune" in field_names and "village" in field_names and "district" in field_names:
        return queryset.filter(unit_scope_q(user))
    if "assessment" in field_names:
        return queryset.filter(unit_scope_q(user, prefix="assessment__"))
    if "commune" in field_names:
        return queryset.filter(commune__in=communes_for_user(user).values("pk"))
    raise TypeError(f"No scoping rule for {model.__name__}")
