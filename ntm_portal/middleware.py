from django.conf import settings
from django.http import JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _


class IgnoreBrowserLanguageMiddleware:
    """The portal speaks Vietnamese unless the user picks English with the language switch.

    A browser's Accept-Language is a machine setting, not a choice: an official on an
    English-configured office PC must still get the Vietnamese portal. Runs before
    LocaleMiddleware, which then sees only the language cookie (or LANGUAGE_CODE).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def _first_nul(request) -> str | None:
    """The name of the first part of ``request`` holding a NUL character, or None."""
    if "\x00" in request.path:
        return _("address")
    for params in (request.GET, request.POST):
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key
    return None


class RejectNulCharactersMiddleware:
    """A request with a NUL character (\\x00) in its address or a parameter is refused with a
    400 that names the parameter (Django already drops it from uploaded file names).

    No field of the portal can hold a NUL: PostgreSQL refuses it in text, so one that reached a
    query (a filter, a search, the hand-written entry form, a code in the URL) was a 500, and
    SQLite would store it. Django's form CharFields refuse it too, but only in the forms that
    use them; this rule covers every request in one place, before any view runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = _first_nul(request)
        if name is not None:
            message = _(
                "The field “%(name)s” contains a NUL character (\\x00), which no field accepts. "
                "Remove it and send the form again."
            ) % {"name": name.replace("\x00", "\\x00")}
            if request.path.startswith("/api/"):
                # API clients read JSON, as the API's own 400s: the parameter and the message.
                return JsonResponse({name: [message]}, status=400)
            return render(request, "bad_request.html", {"message": message}, status=400)
        return self.get_response(request)


class CompressPagesMiddleware(GZipMiddleware):
    """Pages and text exports gzip-compressed for browsers that accept it; files that are
    compressed already (xlsx workbooks, evidence images and PDFs) go out as they are.

    A province dashboard is about 1.6 MB of HTML (its matrix repeats one cell pattern ~9,000
    times) and 31 KB compressed; a district's 250 KB is 10 KB. On a phone's slow connection
    that is seconds against a fraction of one. Compressing costs ~8 ms of CPU for the largest
    page. Django's GZipMiddleware pads each response with random bytes against the BREACH
    attack, and the CSRF token is masked anew on every page."""

    COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(self.COMPRESSIBLE):
            return response
        return super().process_response(request, response)


class PrivatePagesMiddleware:
    """``Cache-Control: private, no-store`` on every response to a request that carries a
    session (a logged-in user's pages, dossiers, evidence files, exports, import previews) or
    that starts one (a login): they depend on who asks, and neither a shared proxy nor the
    browser's disk cache may keep them (an office PC's next user, a "back" after logging out).
    Anonymous visitors have no session, so the public pages stay cacheable.

    Whether a request carries a session is read from its cookie, not from ``request.user``:
    resolving the user here would cost the session and user queries on views that never ask.
    A stale cookie only makes an anonymous page private, which is harmless.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cookie = settings.SESSION_COOKIE_NAME
        if cookie in request.COOKIES or cookie in response.cookies:
            patch_cache_control(response, private=True, no_store=True)
            # "public" and a max-age set by a view would contradict "private, no-store".
            cache_control = response["Cache-Control"].split(", ")
            response["Cache-Control"] = ", ".join(
                part
                for part in cache_control
                if part != "public" and not part.startswith(("max-age", "s-maxage"))
            )
        return response
