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
