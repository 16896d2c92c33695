"""Switchboard settings.

Everything that differs between a laptop, CI and production comes from the environment
(django-environ). The defaults are the embedded ones: SQLite, a Celery broker on the local
filesystem and an in-process cache, so `make run` needs no server. `DATABASE_URL` and
`REDIS_URL` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import environ

from agency.vendor_apps import app_credentials
from connectors import registry as _registry

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SWITCHBOARD_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-only-" + "x" * 40)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env.int("PORT", default=8000)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: no page loads another host
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "agency",
    "tenants",
    "connectors",
    "syncs",
]
# Local vendor emulators (OAuth + API subsets) mounted at /emulators/: the embedded default and
# tests use them; production leaves them off.
EMULATORS_ENABLED = env.bool("EMULATORS_ENABLED", default=DEBUG)
if EMULATORS_ENABLED:
    INSTALLED_APPS.append("emulators")
    INSTALLED_APPS.append("emulators.crm")
    INSTALLED_APPS.append("emulators.graph")
    INSTALLED_APPS.append("emulators.google_calendar")
# When set, every vendor URL (authorize, token, revoke, API base) becomes
# {VENDOR_BASE_URL}/{slug}/<vendor path>: how the demo and tests reach the emulators.
VENDOR_BASE_URL = env.str(
    "VENDOR_BASE_URL", default=f"{PUBLIC_BASE_URL}/emulators" if EMULATORS_ENABLED else ""
)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "agency.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "agency.urls"
WSGI_APPLICATION = "agency.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- Database --------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'switchboard.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker process shares the test database with the test run, so it must be a file.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Queries are sent with server-side parameters (DB_SERVER_SIDE_BINDING), so a statement
    # run this many times on a connection is prepared: PostgreSQL parses and plans it once.
    # With Django's default client-side binding every ORM query was parsed and planned each
    # time, which was half of PostgreSQL's CPU per synced lead. Set the threshold empty behind
    # a transaction-mode pooler that cannot keep prepared statements.
    threshold = env.str("DB_PREPARE_THRESHOLD", default="5")
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", int(threshold) if threshold else None
    )
    DATABASES["default"]["OPTIONS"].setdefault(
        "server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, broker -------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # django-redis, not Django's own RedisCache: Django's builds a new ``redis.Redis`` (its
    # table of some 170 response callbacks) for every cache call, twice the CPU of the call;
    # django-redis keeps one client per cache object. Values and key names are stored the same
    # way (pickled, integers as Redis integers, ``:1:name``), so either reads the other's.
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The embedded default: a cache table would need a migration per process; files are shared
    # between the web server and the worker, which is what rate limits and locks need.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
# Every countdown, ETA and retry delay in the code base stays below this (checked by a test):
# a message not acknowledged within it is delivered again.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600)
CELERY_MAX_COUNTDOWN = CELERY_VISIBILITY_TIMEOUT // 2
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport, one client object per channel instead of one per message.
    CELERY_BROKER_TRANSPORT = "agency.broker:Transport"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded default: messages are files shared by the web process and the worker.
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(BROKER_DIR / "queue"),
        data_folder_out=str(BROKER_DIR / "queue"),
        processed_folder=str(BROKER_DIR / "processed"),
        control_folder=str(BROKER_DIR / "control"),  # kombu's default is ./control
        store_processed=False,
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless this is set;
# set, it closes it only every this many tasks, and agency.celery closes a connection when
# Django would at a request's end (broken, or older than CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# The soft limit lets a task clean up before the hard kill: 30 s before it, or a fifth of the
# limit when that is short. It must stay positive and below the hard limit, or Celery refuses
# every publish ("soft_time_limit must be less than or equal to time_limit").
CELERY_TASK_SOFT_TIME_LIMIT = max(
    1, CELERY_TASK_TIME_LIMIT - min(30, max(1, CELERY_TASK_TIME_LIMIT // 5))
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Celery's own defaults, declared: every apply_async reads these from its configuration, and
# a name Django's settings lack is looked up under three spellings, each a caught
# AttributeError, before Celery falls back to its default. Same values, fewer exceptions.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_SEND_SENT_EVENT = False
CELERY_TASK_REPR_MAXLEVELS = 3
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = None
# What beat runs, on one screen. Later issues add their periodic tasks here.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "worker-heartbeat": {"task": "agency.tasks.heartbeat", "schedule": 60.0},
    "prune-heartbeats": {"task": "agency.tasks.prune_heartbeats", "schedule": 3600.0},
    "refresh-expiring-tokens": {
        "task": "connectors.tasks.refresh_expiring_tokens",
        "schedule": 300.0,
    },
    "refresh-stale-tokens": {"task": "connectors.tasks.refresh_stale_tokens", "schedule": 3600.0},
    "webhooks-sweep": {"task": "syncs.webhooks.sweep", "schedule": 60.0},
    "sweep-outbox": {"task": "syncs.engine.tasks.sweep_outbox", "schedule": 30.0},
    "sweep-rollbacks": {"task": "syncs.rollback.tasks.sweep_rollbacks", "schedule": 60.0},
    "prune-idempotency-keys": {
        "task": "syncs.engine.tasks.prune_idempotency_records",
        "schedule": 3600.0,
    },
    "reestimate-duplicate-models": {"task": "syncs.dedupe.reestimate_models", "schedule": 3600.0},
    "poll-calendars": {
        "task": "syncs.calendar.tasks.poll_calendars",
        "schedule": float(env.int("CALENDAR_POLL_BEAT_SECONDS", default=10)),
    },
    "keep-calendar-channels": {
        "task": "syncs.calendar.tasks.keep_calendar_channels",
        "schedule": 300.0,
    },
    "expire-booking-holds": {"task": "syncs.calendar.bookings.expire_holds", "schedule": 30.0},
    "send-booking-reminders": {"task": "syncs.appointments.send_reminders", "schedule": 60.0},
}

# --- Vendor apps --------------------------------------------------------------------------
# The registry tenants asks which providers a client may choose (tenants/providers.py):
# named, not imported, because connectors sits above tenants.
PROVIDER_REGISTRY = "connectors.registry"
# Connector packages kept outside this repository, as slug=package pairs
# (EXTRA_CONNECTORS=acme=acme_connector): the same as a line in connectors.registry.PROVIDERS.
for _slug, _package in env.dict("EXTRA_CONNECTORS", default={}).items():
    _registry.register(_slug, _package)
# Our OAuth app's credentials at each registered vendor that has them (not Basic auth):
# <SLUG>_CLIENT_ID / <SLUG>_CLIENT_SECRET. With the emulators on, demo values the emulators
# accept; in production, unset means "not offered".
globals().update(
    app_credentials(
        env,
        [s for s in _registry.slugs() if _registry.needs_app_credentials(s)],
        demo=EMULATORS_ENABLED,
    )
)
# Signed connect links for clients expire after this many seconds (default 7 days).
CONNECT_LINK_MAX_AGE = env.int("CONNECT_LINK_MAX_AGE", default=7 * 24 * 3600)
# A customer's link to see, move or cancel their booking (syncs/calendar/customer_link.py).
BOOKING_LINK_MAX_AGE = env.int("BOOKING_LINK_MAX_AGE", default=60 * 24 * 3600)
# benchmarks/lead_sync.py's baseline view (inserts a row, no auth): never in production.
BENCHMARK_VIEWS = env.bool("BENCHMARK_VIEWS", default=False)
# User-supplied URLs (CalDAV servers, webhook targets) may point at private/loopback hosts:
# tests and demo only.
ALLOW_PRIVATE_URLS = env.bool("ALLOW_PRIVATE_URLS", default=EMULATORS_ENABLED)

# --- Outbound vendor calls (connectors/http.py, connectors/ratelimit.py) ------------------
# A throttled or failing call waits inline at most this long (rate-limit buckets, Retry-After,
# backoff together); beyond it the task is rescheduled with the vendor's retry_after.
VENDOR_INLINE_WAIT_SECONDS = env.float("VENDOR_INLINE_WAIT_SECONDS", default=10.0)
# This deployment's own quotas where they differ from the vendor's defaults in the specs, per
# provider and RateLimit scope, e.g. {<slug>: {"app": 1000}} for a Google Cloud project whose
# Calendar quota is 1,000 queries a minute (connectors.http.VendorHttp.rate_limits), and the
# calls in flight at once per scope: {<slug>: {"concurrency": {"account": 4}}} (Graph's cap).
VENDOR_QUOTAS = env.json("VENDOR_QUOTAS", default={})
# A booking's CRM meeting job that finds another job of the booking writing (syncs.crm.meetings'
# lease) waits this long inline, then goes back to the queue for this long (no attempt spent).
MEETING_LEASE_WAIT_SECONDS = env.float("MEETING_LEASE_WAIT_SECONDS", default=10.0)
MEETING_LEASE_RETRY_SECONDS = env.float("MEETING_LEASE_RETRY_SECONDS", default=5.0)
# Attempts inside one task for 5xx, timeouts and connection errors; Celery retries after that.
VENDOR_INLINE_ATTEMPTS = env.int("VENDOR_INLINE_ATTEMPTS", default=3)
VENDOR_BACKOFF_BASE_SECONDS = env.float("VENDOR_BACKOFF_BASE_SECONDS", default=0.5)
VENDOR_BACKOFF_CAP_SECONDS = env.float("VENDOR_BACKOFF_CAP_SECONDS", default=8.0)
VENDOR_CONNECT_TIMEOUT_SECONDS = env.float("VENDOR_CONNECT_TIMEOUT_SECONDS", default=5.0)
VENDOR_USER_AGENT = env.str("VENDOR_USER_AGENT", default="Switchboard/0.1")

# --- Outbound webhooks to chatbot vendors (syncs/webhooks/) ---------------------------------
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=15.0)

# --- Sync engine ------------------------------------------------------------------------
# A queued job whose message has not started it after this long is published again.
SYNC_REPUBLISH_AFTER_SECONDS = env.int("SYNC_REPUBLISH_AFTER_SECONDS", default=120)
SYNC_MAX_ATTEMPTS = env.int("SYNC_MAX_ATTEMPTS", default=8)
SYNC_RETRY_BASE_SECONDS = env.float("SYNC_RETRY_BASE_SECONDS", default=2.0)
SYNC_RETRY_CAP_SECONDS = env.float("SYNC_RETRY_CAP_SECONDS", default=600.0)
SYNC_WAIT_MAX_SECONDS = 30  # GET /api/v1/events/{id}?wait=N holds a web thread that long
SYNC_WAIT_POLL_SECONDS = env.float("SYNC_WAIT_POLL_SECONDS", default=0.1)
# Long-poll bounds (syncs/intake/long_poll.py): over them a ?wait request is answered at once
# with the
# current status and Retry-After. Per process, half of gunicorn's threads (agency/gunicorn_conf),
# so other requests always find a thread.
SYNC_WAIT_MAX_PER_PROCESS = env.int(
    "SYNC_WAIT_MAX_PER_PROCESS", default=max(1, env.int("GUNICORN_THREADS", default=8) // 2)
)
SYNC_WAIT_MAX_PER_KEY = env.int("SYNC_WAIT_MAX_PER_KEY", default=4)
SYNC_WAIT_RETRY_AFTER_SECONDS = env.int("SYNC_WAIT_RETRY_AFTER_SECONDS", default=5)
SYNC_WAIT_POLL_MAX_SECONDS = env.float("SYNC_WAIT_POLL_MAX_SECONDS", default=1.0)
# Bookings (syncs/calendar/bookings): a hold not written to the calendar within this many
# seconds is released; POST /api/v1/bookings waits up to BOOKING_WAIT_SECONDS (at most
# SYNC_WAIT_MAX_SECONDS) for the calendar write before answering 202.
BOOKING_HOLD_SECONDS = env.int("BOOKING_HOLD_SECONDS", default=600)
BOOKING_WAIT_SECONDS = env.int("BOOKING_WAIT_SECONDS", default=10)
# Default deal rules: these intents, or a lead score at or above the minimum, open a deal.
SYNC_DEAL_MIN_SCORE = env.int("SYNC_DEAL_MIN_SCORE", default=70)
SYNC_DEAL_INTENTS = env.list("SYNC_DEAL_INTENTS", default=["purchase", "booking"])
IDEMPOTENCY_KEY_TTL_HOURS = max(24, env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))

# --- Calendar sync (syncs/calendar/: sync, poll, watches, freshness) ------------------------
# Calendars without a live push channel (CalDAV always) are polled this often: changes reach
# us within this plus the beat's tick (CALENDAR_POLL_BEAT_SECONDS), inside the 60 s promised.
CALENDAR_POLL_SECONDS = env.int("CALENDAR_POLL_SECONDS", default=45)
# Calendars with a live channel are still polled this often (a channel can go quiet). Under
# a calendar's stale bound (CalendarRole.stale_after_seconds, 300 by default), so a healthy
# quiet channel's mirror keeps answering between polls instead of the vendor being read live
# for every availability question; an incremental read with a sync token is one cheap call.
CALENDAR_SAFETY_POLL_SECONDS = env.int("CALENDAR_SAFETY_POLL_SECONDS", default=240)
# A full read this often: refreshes the mirror's window and drops what drifted.
CALENDAR_FULL_RESYNC_SECONDS = env.int("CALENDAR_FULL_RESYNC_SECONDS", default=24 * 3600)
# A pass whose message has not started it after this long is published again.
CALENDAR_REPUBLISH_SECONDS = env.int("CALENDAR_REPUBLISH_SECONDS", default=60)
# The mirror keeps a day back and the longest service horizon ahead plus this margin.
CALENDAR_MIRROR_PAST_DAYS = env.int("CALENDAR_MIRROR_PAST_DAYS", default=1)
CALENDAR_MIRROR_MARGIN_DAYS = env.int("CALENDAR_MIRROR_MARGIN_DAYS", default=7)
# Push channels: asked to last this long (vendors cap it: Graph under 7 days), renewed this long
# before they lapse, a failed attempt retried after this long.
CALENDAR_WATCH_TTL_SECONDS = env.int("CALENDAR_WATCH_TTL_SECONDS", default=7 * 24 * 3600)
CALENDAR_WATCH_RENEW_BEFORE_SECONDS = env.int(
    "CALENDAR_WATCH_RENEW_BEFORE_SECONDS", default=24 * 3600
)
CALENDAR_WATCH_RETRY_SECONDS = env.int("CALENDAR_WATCH_RETRY_SECONDS", default=3600)
# Vendors push to https only; plain http (a PUBLIC_BASE_URL without TLS) for tests and the demo.
CALENDAR_PUSH_ALLOW_HTTP = env.bool("CALENDAR_PUSH_ALLOW_HTTP", default=EMULATORS_ENABLED)

# --- Auth --------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/console/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "tenants.auth.StaffAccountAdapter"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Failed sign-ins are limited per address only (allauth's public rate-limit setting): a limit per
# account ("/key") let a stranger lock the owner out with five wrong passwords, the right one
# refused too. Guessing from many addresses is met by 10-character non-common passwords and TOTP.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,20/h/ip"}
# Proxies in front that append X-Forwarded-For: allauth then limits the client's address, not
# the proxy's (0 = use REMOTE_ADDR, the right value without a proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Switchboard"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Switchboard <noreply@switchboard.local>"
)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

# --- Token encryption -------------------------------------------------------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt (MultiFernet), so keys rotate.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    # Development only: derived from SECRET_KEY so a fresh checkout runs. Production sets its own
    # (the deploy check below refuses a derived key when DEBUG is off).
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(("fernet:" + SECRET_KEY).encode()).digest()
        ).decode()
    ]
    FIELD_ENCRYPTION_KEYS_DERIVED = True
else:
    FIELD_ENCRYPTION_KEYS_DERIVED = False

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_auth.IsClientKey"],
    "DEFAULT_THROTTLE_CLASSES": ["tenants.api_rate.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_THROTTLE_RATE", default="1200/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.DepthLimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
API_AUTH_FAILURES_PER_MINUTE = env.int("API_AUTH_FAILURES_PER_MINUTE", default=30)
# Larger request bodies get 413 problem+json on every API route (common.body_limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
MIDDLEWARE.insert(1, "common.body_limit.body_limit_middleware")
MIDDLEWARE.append("common.query_params.UnknownQueryParamsMiddleware")
SPECTACULAR_SETTINGS = {
    "TITLE": "Switchboard API",
    "DESCRIPTION": (
        "Push chatbot output into the CRM, calendar and POS systems a business already runs.\n\n"
        "Authenticate with `Authorization: Bearer <api key>`; a key belongs to one client. "
        "Errors are `application/problem+json` (RFC 9457) with a stable `type`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI from our own static files (drf-spectacular-sidecar), not a CDN: /api/docs/
    # works offline and no page of the product loads anything from another host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge (it would be fetched from validator.swagger.io).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agency.openapi.add_problem_responses",
        "syncs.intake.openapi.tighten_intake_schemas",
    ],
}

# --- i18n, static ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production values whenever DEBUG is off) --------------------------------------
# No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any client. gunicorn
# (agency/gunicorn_conf.py) honours it only from FORWARDED_ALLOW_IPS, the proxy's address, and
# sets the request's scheme from it; Django reads that scheme.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# agency/headers.py: every other response carries a same-origin Content-Security-Policy.
CSP_EXEMPT_PATHS = ["/admin/", "/api/docs/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "common.logging.RedactSecretsFilter"}},
    "formatters": {
        # Django's own runserver format, redefined so its handler can carry the filter.
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        # runserver's access log does not propagate to the root: it needs the filter too.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
