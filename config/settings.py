"""The one settings module. Every value that differs between machines comes from the environment,
read once here, with a default that works on a laptop with SQLite."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django_prose_editor.config import html_tags
from js_asset import static_lazy

from cms.release import configured_release, source_release

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Environment ---------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-dev-only-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
CONN_MAX_AGE = int(os.environ.get("CONN_MAX_AGE") or 60)  # seconds a worker keeps its database connection
# Checking a kept connection before each request costs a round trip (a tenth of an uncached article
# detail). Off, as Django ships it: after a database restart each worker fails one request, then
# reconnects. On: no request fails, every request pays.
DATABASE_HEALTH_CHECKS = env_bool("DATABASE_HEALTH_CHECKS", False)
# Off behind a pooler that shares server connections between transactions and keeps no prepared
# statements (PgBouncer before 1.21 in transaction mode).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "cms.exceptions.csrf_failure"  # in the error format under /api/
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)  # production: 1, unless the proxy redirects
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
PREVIEW_MAX_AGE_SECONDS = int(os.environ.get("PREVIEW_MAX_AGE_SECONDS") or 3600)  # admin preview links
IDEMPOTENCY_KEY_HOURS = int(
    os.environ.get("IDEMPOTENCY_KEY_HOURS") or 24
)  # editorial/writes.py: replays kept
PREVIEW_URL_TEMPLATE = os.environ.get("PREVIEW_URL_TEMPLATE", "")  # "": link to the API JSON
# Webhooks (webhooks/delivery.py): private, loopback and link-local targets (and plain http) only
# where allowed; one send's whole time, what is kept of an answer; when a failing endpoint is
# switched off; how long a rotated secret still signs.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS") or 10)
WEBHOOK_RESPONSE_BYTES = int(os.environ.get("WEBHOOK_RESPONSE_BYTES") or 2048)
WEBHOOK_DISABLE_AFTER_HOURS = int(os.environ.get("WEBHOOK_DISABLE_AFTER_HOURS") or 72)
WEBHOOK_SECRET_OVERLAP_HOURS = int(os.environ.get("WEBHOOK_SECRET_OVERLAP_HOURS") or 24)
IMAGE_MAX_UPLOAD_BYTES = int(os.environ.get("IMAGE_MAX_UPLOAD_BYTES") or 20 * 1024 * 1024)
IMAGE_MAX_DIMENSION = int(os.environ.get("IMAGE_MAX_DIMENSION") or 10_000)  # pixels per side
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS") or 50_000_000)  # width × height: decoding cost
SITE_NAME = os.environ.get("SITE_NAME") or "Newsroom"  # the publisher: feeds, sitemaps, JSON-LD, rights
# The publisher as search engines and partners see it (articles/structured.py, articles/rights.py):
# its logo (an absolute URL, ideally 600x60 or smaller), the content's language (BCP 47), the
# terms partners may use content on unless an item says otherwise, its X (Twitter) account.
PUBLISHER_LOGO_URL = os.environ.get("PUBLISHER_LOGO_URL", "")
CONTENT_LANGUAGE = os.environ.get("CONTENT_LANGUAGE") or "en-GB"
DEFAULT_USAGE_TERMS = os.environ.get("DEFAULT_USAGE_TERMS", "")
TWITTER_SITE = os.environ.get("TWITTER_SITE", "")  # e.g. @newsroom
# Feeds and sitemaps link to the reader's pages on the frontend (cms/frontend.py builds the URLs).
FRONTEND_BASE_URL = os.environ.get("FRONTEND_BASE_URL") or "http://localhost:3000"
FRONTEND_ARTICLE_PATH = os.environ.get("FRONTEND_ARTICLE_PATH") or "/articles/{slug}"
FRONTEND_VIDEO_PATH = os.environ.get("FRONTEND_VIDEO_PATH") or "/videos/{slug}"
FRONTEND_SECTION_PATH = os.environ.get("FRONTEND_SECTION_PATH") or "/sections/{slug}"
FRONTEND_TOPIC_PATH = os.environ.get("FRONTEND_TOPIC_PATH") or "/topics/{slug}"
FRONTEND_AUTHOR_PATH = os.environ.get("FRONTEND_AUTHOR_PATH") or "/authors/{slug}"
RESPONSE_CACHE = env_bool("RESPONSE_CACHE", True)  # server-side cache of public responses; 0: off (bench)
# HTTP caching of the public API (cms/caching.py). A Redis URL shares the response cache between
# processes; without one each process keeps its own in memory (fine for one process only).
CACHE_URL = os.environ.get("REDIS_URL") or os.environ.get("CACHE_URL") or ""
CACHE_MAX_AGE = int(os.environ.get("CACHE_MAX_AGE") or 60)  # seconds browsers and CDNs may reuse a 200
CACHE_STALE_WHILE_REVALIDATE = int(os.environ.get("CACHE_STALE_WHILE_REVALIDATE") or 300)
CACHE_ERROR_MAX_AGE = int(os.environ.get("CACHE_ERROR_MAX_AGE") or 10)  # 4xx: short, a 404 may go live
CACHE_SERVER_TTL = int(os.environ.get("CACHE_SERVER_TTL") or 600)  # longest a response is kept server-side
# A Redis that does not answer within this many seconds is left alone for CACHE_RETRY_AFTER seconds:
# requests are answered from the database meanwhile (cms/caching.py, RedisCache).
CACHE_TIMEOUT_SECONDS = float(os.environ.get("CACHE_TIMEOUT_SECONDS") or 0.25)
CACHE_RETRY_AFTER = float(os.environ.get("CACHE_RETRY_AFTER") or 5)
# Each process reads the token that a purge changes at most this often (cms/caching.py, _Trust): a
# purge made by another process reaches it within this time, one made by itself at once. 0: every request.
CACHE_TOKEN_TRUST_SECONDS = float(os.environ.get("CACHE_TOKEN_TRUST_SECONDS") or 1)
# X-Cache: HIT/MISS tells whoever reads it that someone made the same request: for debugging only.
CACHE_DEBUG_HEADERS = env_bool("CACHE_DEBUG_HEADERS", DEBUG)
# Cached responses and renderings are kept per release (cms/release.py): by default a digest of the
# source, so a deploy never serves what older code rendered. Set it (e.g. to the commit) to skip the read.
# The settings that shape rendered output are part of it: changing one is a new release too.
RELEASE = configured_release(
    os.environ.get("RELEASE") or source_release(BASE_DIR),
    [SITE_NAME, FRONTEND_BASE_URL, FRONTEND_ARTICLE_PATH, FRONTEND_VIDEO_PATH, FRONTEND_SECTION_PATH]
    + [FRONTEND_TOPIC_PATH, FRONTEND_AUTHOR_PATH, PUBLISHER_LOGO_URL, CONTENT_LANGUAGE, DEFAULT_USAGE_TERMS]
    + [TWITTER_SITE],
)
# Newsletters (newsletters/). Links in emails are absolute: PUBLIC_BASE_URL is where this API is
# reachable from a reader's mail client. The confirm and manage links lead to this API's own
# minimal pages unless the frontend has its own (a template with {token}).
PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
NEWSLETTER_CONFIRM_URL = os.environ.get("NEWSLETTER_CONFIRM_URL", "")  # e.g. https://site/confirm?t={token}
NEWSLETTER_MANAGE_URL = os.environ.get("NEWSLETTER_MANAGE_URL", "")  # e.g. https://site/newsletters?t={token}
NEWSLETTER_CONFIRM_MAX_AGE = int(os.environ.get("NEWSLETTER_CONFIRM_MAX_AGE") or 3 * 24 * 3600)  # seconds
NEWSLETTER_RESEND_AFTER = int(os.environ.get("NEWSLETTER_RESEND_AFTER") or 600)  # between confirmation emails
NEWSLETTER_BATCH_SIZE = int(os.environ.get("NEWSLETTER_BATCH_SIZE") or 100)  # emails per SMTP connection
# `prune_unconfirmed` (daily) forgets addresses never confirmed and sent nothing for this long (seconds).
NEWSLETTER_UNCONFIRMED_MAX_AGE = int(os.environ.get("NEWSLETTER_UNCONFIRMED_MAX_AGE") or 30 * 24 * 3600)
# Signup throttles: per client (IP address) and per email address.
SIGNUP_RATE_PER_CLIENT = os.environ.get("SIGNUP_RATE_PER_CLIENT") or "20/hour"
SIGNUP_RATE_PER_ADDRESS = os.environ.get("SIGNUP_RATE_PER_ADDRESS") or "5/hour"
SEARCH_RATE_PER_CLIENT = os.environ.get("SEARCH_RATE_PER_CLIENT") or "60/minute"  # articles/throttling.py
# Requests per window that reach a view (partners/quotas.py): per API key (a key may have its own),
# and per anonymous client; "off" for none.
API_KEY_QUOTA = os.environ.get("API_KEY_QUOTA") or "1200/minute"
ANONYMOUS_QUOTA = os.environ.get("ANONYMOUS_QUOTA") or "300/minute"
# Reverse proxies in front of the app: throttles take the client address from X-Forwarded-For that
# many hops back; 0 (the default) ignores the header, which a client could set to anything.
NUM_PROXIES = int(os.environ.get("NUM_PROXIES") or 0)
# Email goes through Django's backends: console by default (it prints messages), SMTP in production.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT") or 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "Newsroom <newsletters@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Background work (Django's task framework): "database" queues in the database for
# `manage.py db_worker`; "immediate" runs each task at once, in the process that enqueued it.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND") or "database"

# --- Applications --------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",  # its templates, for sitemap.xml
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prose_editor",
    "django_tasks",
    "django_tasks_db",
    "axes",  # admin login lockout (below)
    "rest_framework_api_key",  # the key storage partners.APIKey builds on
    "topics",
    "articles",
    "newsletters",
    "editorial",
    "webhooks",
    "partners",
    "seeds",
    "cms",
]

# Admin messages are kept in the session, never in a cookie: some carry a secret shown once (an
# API key's, a webhook endpoint's), and a cookie is only signed, not encrypted.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

MIDDLEWARE = [
    "cms.guard.RequestGuardMiddleware",  # first: control characters in a URL are refused unread
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "partners.quotas.QuotaMiddleware",  # outside the response cache: refusals and figures
    "cms.caching.CacheMiddleware",  # after CORS, so hits get CORS headers; before sessions, which hits skip
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

# Admin login: after AXES_FAILURE_LIMIT failed attempts a username, and separately a client
# address, is locked out for AXES_COOLOFF_MINUTES, refused before any password is hashed (each
# attempt costs a hash, which is slow on purpose). A success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT") or 5)
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES") or 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start
AXES_CLIENT_IP_CALLABLE = "cms.clients.client_address"  # as the throttles see it, behind NUM_PROXIES

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # admin templates shared by the apps
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

CACHES = {
    "default": {"BACKEND": "cms.caching.RedisCache", "LOCATION": CACHE_URL}  # Django's, made faster
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 10_000}}
}
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=DATABASE_HEALTH_CHECKS
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The server and the task worker write at once (make serve): a transaction takes the write
    # lock when it begins, rather than failing with "database is locked" when a read in it turns
    # into a write; a writer waits up to 20 s for another; readers do not wait for writers (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL;"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_PREPARED_STATEMENTS:
    # Parameters sent apart from the SQL, and a statement run twice is prepared: planning costs
    # more than running the indexed queries of the read path.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND]
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security (python manage.py check --deploy) --------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = False  # preloading is a one-way decision for the whole domain; opt in by hand
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    "security.W021",  # HSTS preload: see SECURE_HSTS_PRELOAD above
    "models.W040",  # SQLite builds the covering indexes without their extra columns (live_index)
]

# --- API -----------------------------------------------------------------------------------
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["RateLimit", "RateLimit-Policy", "Retry-After"]  # partners/quotas.py

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "partners.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["partners.permissions.KeyScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["partners.quotas.QuotaThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["cms.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["cms.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "cms.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["cms.filtering.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "cms.schema.AutoSchema",
    "EXCEPTION_HANDLER": "cms.exceptions.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "iso-8601",
    "NUM_PROXIES": NUM_PROXIES,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Newsroom Content API",
    "DESCRIPTION": (
        "Content API for articles, videos, topics, sections, authors and newsletters of a news and "
        "video publisher. Anonymous reads are cacheable JSON of publicly visible content only; API "
        "keys (scoped, acting with their owner's role) lift quotas, read drafts and write articles. "
        "Errors are RFC 9457 problem details (`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # ?fields= may leave any field out, so no response field is marked required.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    # 3.1: nullable objects are `oneOf [object, null]`, which validators read as meant.
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cms.schema.blank_or_valid_strings",
        "webhooks.schema.add_webhooks",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "cms.publishing.Status",
        "SubscriptionStatusEnum": "newsletters.models.Subscription.Status",
        "EditionStatusEnum": "newsletters.models.Edition.Status",
        "LiveStatusEnum": "articles.models.LiveStatus",
        "ContentTypeEnum": ["article", "video"],  # teasers, search results, change sync
    },
}

# The admin's rich-text editor: our embed extension (the sanitizer is articles.richtext's).
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("articles/content-embed.js")],
        "extensions": {
            "ContentEmbed": html_tags(
                tags=["figure"],
                attributes={"figure": ["data-embed", "data-id", "data-caption", "data-label"]},
            )
        },
    }
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"once_per_outage": {"()": "cms.exceptions.OncePerOutage"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # A database outage is logged once, not per request (the requests get 503s).
    "loggers": {"django.request": {"filters": ["once_per_outage"]}},
}
