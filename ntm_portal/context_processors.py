from django.utils.functional import SimpleLazyObject

from .navigation import navigation_for


def navigation(request):
    """``nav``: the header's user, unit, role and links (ntm_portal.navigation), worked out
    only when a template reads it."""
    return {"nav": SimpleLazyObject(lambda: navigation_for(getattr(request, "user", None)))}
