"""Who may open which dashboard. Every dashboard and export view starts here, so one place
decides, from the unit selectors of communes.selectors.

A dashboard summarises a whole area, so it is shown only to users whose subtree covers the
whole area: the district office for its district, the province office or a province admin for
their province and its districts, a national admin for everything.

- An area outside the user's subtree is a 404, so that the page does not confirm what a user
  cannot see (the public overview already lists the units, but the house rule is one answer).
- A user whose subtree lies inside the area (a commune official of one of its communes, a
  district office within a province) gets a 403 that says why: they are entitled to part of
  it, and a bare "not found" for their own district would be confusing.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from communes.models import District, Province
from communes.selectors import (
    communes_for_user,
    districts_for_user,
    provinces_for_user,
    scope_for,
    unit_for_address,
)


class PartOfArea(PermissionDenied):
    """The user's subtree lies inside the area but does not cover all of it."""

    def __init__(self, area):
        super().__init__(area)
        self.area = area


def district_for_dashboard(user, code: str, *, on: datetime.date | None = None) -> District:
    """The district ``code`` if ``user`` may see its dashboard. Raises Http404 outside the
    user's subtree and PartOfArea for a commune official of one of its communes. One query
    (two or three when refused or when the code is not valid on ``on``)."""
    # The district valid on ``on``, or the closed one with that code (a district office
    # after 30/06/2025 still reads its own district's history).
    district = unit_for_address(districts_for_user(user).select_related("province"), code, on=on)
    if district is not None:
        return district
    inside = communes_for_user(user).filter(district__code=code).select_related("district")
    commune = inside.first()
    if commune is None:
        raise Http404
    raise PartOfArea(commune.district)


def province_for_dashboard(user, code: str, *, on: datetime.date | None = None) -> Province:
    """The province ``code`` if ``user`` may see its dashboard. Raises Http404 outside the
    user's subtree and PartOfArea for a district office or commune official inside it."""
    province = unit_for_address(provinces_for_user(user), code, on=on)
    if province is not None:
        return province
    commune = communes_for_user(user).filter(province__code=code).select_related("province")
    commune = commune.first()
    if commune is None:
        raise Http404
    raise PartOfArea(commune.province)


def provinces_for_ranking(user, *, on: datetime.date | None = None):
    """The provinces the national overview ranks for ``user``: those their subtree covers
    whole (every province of the map valid ``on`` that day for a national admin: 34 since
    01/07/2025, 63 before; their own for a province office). Users whose subtree is smaller
    than a province have no ranking (the view answers 404)."""
    provinces = provinces_for_user(user)
    if scope_for(user).everything:
        return provinces.valid_on(on or timezone.localdate())
    return provinces


def may_open_district_dashboard(user, district) -> bool:
    """Whether a link to ``district``'s dashboard leads somewhere for ``user``: the rule of
    district_for_dashboard, read from the scope without a query (the overview pages show the
    link only then, rather than a link to a login page or a 403)."""
    scope = scope_for(user)
    if scope.everything:
        return True
    return scope.district_id == district.pk or (
        scope.province_id is not None and scope.province_id == district.province_id
    )


def may_open_province_dashboard(user, province) -> bool:
    scope = scope_for(user)
    return scope.everything or (scope.province_id is not None and scope.province_id == province.pk)
