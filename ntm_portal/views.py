"""Thin wrappers around Django's own views, so that they follow the portal's conventions."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from .forms import LoginForm
from .navigation import navigation_for


class LoginView(auth_views.LoginView):
    """Django's login, except that a refused form is a 400 like every other form of the
    portal (wrong password, missing or overlong username); the lockout stays a 429 (axes)."""

    form_class = LoginForm

    def get_default_redirect_url(self):
        """Without a ``next``, each user lands where their work is: a commune official on the
        inbox, an office on its dashboard, an administrator on the import home
        (ntm_portal.navigation)."""
        if self.next_page:
            return super().get_default_redirect_url()
        return navigation_for(self.request.user).landing

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def set_language(request):
    """Django's language switch, except that a POST of a language the portal does not offer is
    a 400 instead of a silent redirect (only a hand-made request sends one)."""
    offered = {code for code, _name in settings.LANGUAGES}
    if request.method == "POST" and request.POST.get("language") not in offered:
        message = _("Choose a language from the list.")
        return render(request, "bad_request.html", {"message": message}, status=400)
    return django_set_language(request)
