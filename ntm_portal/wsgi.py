import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ntm_portal.settings")
application = get_wsgi_application()


def settle_process():
    """Load every view before the first request and move everything loaded so far into the
    garbage collector's permanent generation (gc.freeze), where full collections no longer
    walk it.

    Django, the admin and the portal leave some 100,000 tracked objects behind at start-up.
    A cold province dashboard allocates enough for a full collection every few requests, and
    each walked all of them: 60-70 ms, most of that page's p95 on the national data (bench/,
    README "Benchmark"). Frozen, a full collection walks only what requests left (1-4 ms).
    The objects frozen live as long as the process, as they would anyway."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    gc.collect()
    gc.freeze()


settle_process()
