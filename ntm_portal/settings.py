"""One settings module, configured through the environment (see README, "Configuration")."""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is optional; real deployments set the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # Fail loudly: a production process must never run with a guessable key.
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "communes.login_locks.LoginLocksConfig",  # django-axes, with a translated name
    "import_export",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "communes",
    "criteria",
    "reports",
    "api",
]

MIDDLEWARE = [
    # First: every log record of the request, even a probe's, carries its id.
    "ntm_portal.request_id.RequestIdMiddleware",
    # /healthz and /readyz, answered before the host check, the HTTPS redirect and the session.
    "ntm_portal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before every middleware that reads or writes the body, so it compresses the final one.
    # (WhiteNoise answers for static files itself, with their precompressed copies.)
    "ntm_portal.middleware.CompressPagesMiddleware",
    # Outside the session middleware, so that it also sees the cookie a login sets.
    "ntm_portal.middleware.PrivatePagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ntm_portal.middleware.IgnoreBrowserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user and the language are known, so that its 400 page is the usual page.
    "ntm_portal.middleware.RejectNulCharactersMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ntm_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ntm_portal.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "ntm_portal.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two concurrent writers wait
    # for each other instead of failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a new PostgreSQL connection per request cost more than a district
# dashboard served from the cache. Health checks drop a connection the server closed (a
# restart, an idle timeout) before a request uses it, instead of failing that request.
# CONN_MAX_AGE=0 opens one per request again.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Seconds a new connection may take: a server that does not answer fails the request (and
    # /readyz) instead of holding the worker for the system's two minutes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )

# --- Cache (README, "Deployment", "Shared cache (Redis)") ------------------------------------
# Rendered dashboard bodies (reports.cache) and the API's rate-limit counters. The bodies' keys
# carry the area's report version, which every write changes in its own transaction, so a
# per-process cache (local memory, the default) is exact. CACHE_URL=redis://host:6379/N shares
# the entries between the processes and machines of a cluster; it selects Django's own Redis
# backend, made harmless when Redis is down (ntm_portal.cache: a miss and a logged warning,
# never an error page). Sessions stay in the database (SESSION_ENGINE below), so a Redis outage
# logs nobody out.
CACHE_URL = env.str("CACHE_URL", default="locmemcache://ntm-portal")
CACHES = {"default": environ.Env.cache_url_config(CACHE_URL)}
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES["default"]["BACKEND"] = "ntm_portal.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {})
    # Seconds; a query string in CACHE_URL (?socket_timeout=2) overrides them.
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 0.5)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 0.5)
    # Keys of another application sharing the Redis database (a job queue) never clash.
    CACHES["default"].setdefault("KEY_PREFIX", "ntm-portal")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "reports:home"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests render pages without running collectstatic first.
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- File storage (README, "Deployment", "File storage (S3-compatible)") ---------------------
# Evidence files, pending import uploads and the evidence a restore writes go through Django's
# default storage: the local disk under MEDIA_ROOT, or, when AWS_STORAGE_BUCKET_NAME is set, an
# S3-compatible bucket (django-storages; AWS S3, MinIO, Ceph, a cloud provider's object store).
# The bucket is private: no ACL is set on the objects (they take the bucket's, which must not be
# public), nothing links to a bucket URL, and every file is read by the permission-checked
# views, which stream it (criteria.views.evidence_download). The bucket must exist.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    from ntm_portal.storage import s3_storage

    STORAGES["default"] = s3_storage(
        bucket_name=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=""),
        access_key=env.str("AWS_ACCESS_KEY_ID", default=""),
        secret_key=env.str("AWS_SECRET_ACCESS_KEY", default=""),
        region_name=env.str("AWS_S3_REGION_NAME", default=""),
        addressing_style=env.str("AWS_S3_ADDRESSING_STYLE", default=""),
        connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3.0),
        read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=30.0),
    )

# Spreadsheet imports (criteria.imports): the largest upload accepted, the most rows per sheet,
# and the most a workbook may unpack to (an xlsx is a zip: this stops decompression bombs).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024)

# Background jobs (ntm_portal.jobs, README "Deployment"): an RQ queue on this Redis. Unset, every
# job runs in the request that asks for it, as before. An assessment import's confirm of more
# than JOBS_IMPORT_MIN_ROWS rows becomes a job; smaller ones stay in the request. A running job
# refreshes a heartbeat every JOBS_HEARTBEAT_SECONDS; one silent for JOBS_STALE_SECONDS (its
# worker died) is shown as failed, its transaction having been rolled back by the database.
JOBS_REDIS_URL = env.str("JOBS_REDIS_URL", default="")
JOBS_QUEUE = env.str("JOBS_QUEUE", default="ntm")
JOBS_IMPORT_MIN_ROWS = env.int("JOBS_IMPORT_MIN_ROWS", default=2000)
JOBS_HEARTBEAT_SECONDS = env.float("JOBS_HEARTBEAT_SECONDS", default=5.0)
JOBS_STALE_SECONDS = env.float("JOBS_STALE_SECONDS", default=30.0)
# Tests only: seconds an import job waits inside its transaction after writing, before it
# commits (widens the window in which tests/imports/test_jobs.py kills the worker). Keep 0.
JOBS_TEST_PAUSE_IN_TRANSACTION = env.float("JOBS_TEST_PAUSE_IN_TRANSACTION", default=0.0)

# Evidence uploads: the largest file accepted, in bytes.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# Where email links to dossiers point (scheme + host), e.g. https://ntm.example.vn
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ntm-portal@localhost")

# --- Logs (README, "Deployment", "Logs and request ids" and "Health checks") -----------------
# To stderr, each record with its request's id (ntm_portal.request_id): plain text by default,
# LOG_FORMAT=json for one JSON object per line (a log collector's input).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ntm_portal.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "ntm_portal.request_id.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
# /readyz: how long each dependency's check may take, in seconds (ntm_portal.health).
READYZ_TIMEOUT = env.float("READYZ_TIMEOUT", default=2.0)

# Production hardening (README, "Security"). Secure cookies are on unless DEBUG is on; HTTPS
# redirect and HSTS are opt-in (a portal on a plain-HTTP office LAN must still work); each is
# set by the environment. `manage.py check --deploy` reports nothing once HTTPS and HSTS are on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# No page runs JavaScript, so no script needs to read any cookie.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
# Both take effect only while SECURE_HSTS_SECONDS > 0. Turn them off if a subdomain of the
# portal's host must stay on plain HTTP, or the domain must never enter browsers' preload list.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
# (only if the proxy always sets or strips that header).
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER"))

# Content-Security-Policy (django-csp): no inline script, no inline style, nothing from another
# origin. Templates keep all CSS in static/css and have no JavaScript; tests/security checks the
# rendered pages. The Django admin alone gets inline styles back (see ntm_portal/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Sessions end after SESSION_COOKIE_AGE seconds without a request. The session store
# (ntm_portal/sessions.py) renews the expiry by saving the session, at most once every
# SESSION_RENEW_SECONDS per user rather than on every request (SESSION_SAVE_EVERY_REQUEST):
# one UPDATE per logged-in user per minute, not one per page.
SESSION_ENGINE = "ntm_portal.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_RENEW_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_SAVE_EVERY_REQUEST = False

# Login throttling (django-axes). Each entry of AXES_LOCKOUT_PARAMETERS counts its own failed
# logins (axes 8 sums the failures of the AccessAttempt rows it matches), and any entry that
# reaches AXES_FAILURE_LIMIT locks: a username together with the address it is tried from
# (guessing one account's password), and an address whatever usernames it tries (password
# spraying). The address entry counts every failure the pair counts, so in effect what is
# locked is the address: a username is never locked for the other addresses it logs in from,
# and a stranger cannot lock an official out by failing with their username elsewhere. A lock
# lasts AXES_COOLOFF_MINUTES. A successful login forgets that username's failures from that
# address only (communes.lockouts; axes' AXES_RESET_ON_SUCCESS would forget the whole
# address's, which a valid account would use to reset a spraying count). The login answers
# with registration/locked_out.html (status 429). Administrators see and lift the locks of
# their subtree in the admin (communes.lockouts), or with `manage.py axes_reset_ip <address>`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Axes' own admin pages list every row to anyone with the permission: communes.lockouts
# registers scoped ones instead.
AXES_ENABLE_ADMIN = False
# Behind a reverse proxy every request comes from the proxy's address, and one attacker would
# lock the whole portal: name the header the proxy sets, and how many proxies there are, e.g.
# AXES_IPWARE_META_PRECEDENCE_ORDER=HTTP_X_FORWARDED_FOR,REMOTE_ADDR AXES_IPWARE_PROXY_COUNT=1.
AXES_IPWARE_META_PRECEDENCE_ORDER = tuple(
    env.list("AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"])
)
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=None)

# The open-data API (/api/v1/, the api app): read-only JSON, the subtree rule of every page.
# Callers are the anonymous public, a logged-in browser (session) or a token holder (a
# per-user token issued in the admin, sent as "Authorization: Bearer <token>").
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Each view narrows to what its caller may read; nothing is writable.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "api.schema.PortalAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StableCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.PerTokenThrottle",
        "api.throttling.PerAddressThrottle",
    ],
    # Per token (or logged-in user), and per client address for anonymous callers. Behind a
    # proxy the address is read as for django-axes (NUM_PROXIES below).
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_RATE_TOKEN", default="1200/hour"),
        "address": env.str("API_RATE_ADDRESS", default="600/hour"),
        # The bulk files of /open-data/ (api.throttling.throttle_bulk_download), counted apart:
        # a national file takes seconds to generate, an API page milliseconds.
        "bulk_token": env.str("OPEN_DATA_RATE_TOKEN", default="60/hour"),
        "bulk_address": env.str("OPEN_DATA_RATE_ADDRESS", default="20/hour"),
    },
    "NUM_PROXIES": AXES_IPWARE_PROXY_COUNT,
    # Decimals (indicator values, thresholds) as JSON numbers, not strings.
    "COERCE_DECIMAL_TO_STRING": False,
    "DATE_FORMAT": "iso-8601",
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NTM portal open data API",
    "DESCRIPTION": (
        "Read-only data of the Nông thôn mới portal: units, criteria sets, public assessments, "
        "recognitions, targets and the dashboards' figures. Anonymous callers read what the "
        "public pages show; a session or a token reads what its user may read."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files from drf-spectacular-sidecar, served as static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# The licence of the open data (the "Dữ liệu mở" page, the bulk files' headers).
OPEN_DATA_LICENCE = env.str("OPEN_DATA_LICENCE", default="CC BY 4.0")
OPEN_DATA_LICENCE_URL = env.str(
    "OPEN_DATA_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/"
)
