"""Where each user lands after logging in, and the header's menu: who is logged in (name,
unit, role) and only the links that user may follow.

Read from the user's Membership, which communes.selectors.scope_for loads once per request
with its unit (so the header costs no query on a page that already checked the scope, and one
on a page that did not). Anonymous visitors cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.enums import Role
from communes.selectors import membership_for, scope_for


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass(frozen=True)
class Navigation:
    is_authenticated: bool = False
    user_name: str = ""
    role: str = ""  # the role as shown
    unit: str = ""  # the unit the user works for, or "the whole country"
    landing: str = ""
    links: tuple[Link, ...] = ()


def _dashboard(scope, membership) -> Link | None:
    """The dashboard of the user's own area, if their role has one. The area of a unit that
    has ended (a district, or a province of the former map, on 30/06/2025) opens on its last
    day: the office sees what it held, with a notice naming its successor, rather than a
    page saying that the area no longer exists."""
    if scope.role == Role.DISTRICT_OFFICE and membership is not None:
        area, name = membership.district, "reports:district_dashboard"
    elif scope.role in (Role.PROVINCE_OFFICE, Role.ADMIN) and scope.province_id:
        area, name = membership.province, "reports:province_dashboard"
    elif scope.is_admin and scope.everything:
        return Link(reverse("reports:national_dashboard"), _("Dashboard"))
    else:
        return None
    url = reverse(name, args=[area.code])
    if area.valid_to is not None and area.valid_to < timezone.localdate():
        url = f"{url}?as_of={area.valid_to.isoformat()}"
    return Link(url, _("Dashboard"))


def navigation_for(user) -> Navigation:
    if user is None or not user.is_authenticated:
        return Navigation()
    scope = scope_for(user)
    membership = membership_for(user)
    links = []
    dashboard = _dashboard(scope, membership)
    if scope.is_admin:
        links.append(Link(reverse("imports:home"), _("Import and export")))
    if dashboard is not None:
        links.append(dashboard)
    inbox = Link(reverse("criteria:inbox"), _("Inbox"))
    if not scope.nothing:
        links.append(inbox)
    if user.is_staff:
        links.append(Link(reverse("admin:index"), _("Administration")))
    if scope.is_admin:
        landing = reverse("imports:home")
    elif dashboard is not None:
        landing = dashboard.url
    elif not scope.nothing:
        landing = inbox.url
    else:
        landing = reverse("reports:home")
    if membership is not None:
        role = membership.get_role_display()
        unit = membership.commune or membership.district or membership.province
        unit_name = unit.name if unit is not None else _("the whole country")
    elif user.is_superuser:
        role, unit_name = Role.ADMIN.label, _("the whole country")
    else:
        role, unit_name = _("no role"), ""
    return Navigation(
        is_authenticated=True,
        user_name=user.get_full_name() or user.get_username(),
        role=str(role),
        unit=str(unit_name),
        landing=landing,
        links=tuple(links),
    )
