"""Test settings: the production settings with plain-HTTP test clients allowed.

Everything else (database, broker, cache) still comes from the environment, so the same suite
runs on the embedded defaults and, with DATABASE_URL and REDIS_URL, on PostgreSQL and Redis.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def isolate_xdist_worker() -> None:
    """Under ``pytest -n N`` each xdist worker (``PYTEST_XDIST_WORKER`` = gw0, gw1, ...) gets its
    own Redis database (the configured one plus the worker's number) and its own var dir (a
    ``gwN`` folder inside the configured one), so one worker's ``cache.clear()``, broker purge,
    rate-limit buckets, Celery queues and worker logs never touch another's. pytest-django gives
    each worker its own test database (``test_<name>_gwN``); ports are free ports already.

    It changes the environment, not only these settings, because the processes a test starts
    (Celery workers, gunicorn, ``manage.py``) read their settings from the environment they
    inherit; the marker variable keeps those processes from shifting a second time. Without
    ``-n`` nothing changes.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or os.environ.get("SWITCHBOARD_XDIST_WORKER") == worker:
        return
    os.environ["SWITCHBOARD_XDIST_WORKER"] = worker
    index = int(worker.removeprefix("gw"))
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("redis://", "rediss://")):
            os.environ[name] = redis_db_shifted(url, index)
    var_dir = os.environ.get("SWITCHBOARD_VAR_DIR") or str(Path(__file__).parents[1] / "var")
    os.environ["SWITCHBOARD_VAR_DIR"] = str(Path(var_dir) / worker)


def redis_db_shifted(url: str, by: int) -> str:
    """``url`` with its database number (the path, 0 when absent) plus ``by``."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0) + by
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


isolate_xdist_worker()

from agency.settings import *  # noqa: E402, F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
CACHES = {**CACHES}  # noqa: F405
if "LOCATION" in CACHES["default"] and CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    CACHES["default"] = {**CACHES["default"], "LOCATION": str(VAR_DIR / "test-cache")}  # noqa: F405

EMULATORS_ENABLED = True
if "emulators" not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS = [*INSTALLED_APPS, "emulators"]  # noqa: F405
if "emulators.crm" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "emulators.crm"]
if "emulators.graph" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "emulators.graph"]
if "emulators.google_calendar" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "emulators.google_calendar"]
ALLOW_PRIVATE_URLS = True
# Tests point these at a live server; worker processes started by tests get them from the env.
VENDOR_BASE_URL = env.str("VENDOR_BASE_URL", default=f"{PUBLIC_BASE_URL}/emulators")  # noqa: F405
for _slug in (
    "hubspot", "salesforce", "zoho", "pipedrive", "google", "outlook",
    "square", "shopify", "clover", "lightspeed", "toast",
):  # fmt: skip
    globals().setdefault(f"{_slug.upper()}_CLIENT_ID", "")
    globals().setdefault(f"{_slug.upper()}_CLIENT_SECRET", "")
    globals()[f"{_slug.upper()}_CLIENT_ID"] = globals()[f"{_slug.upper()}_CLIENT_ID"] or (
        f"demo-{_slug}-client"
    )
    globals()[f"{_slug.upper()}_CLIENT_SECRET"] = globals()[f"{_slug.upper()}_CLIENT_SECRET"] or (
        f"demo-{_slug}-secret"
    )
# Flushed by DELETE after each transactional test instead of one TRUNCATE of every table
# (tests/postgresql/base.py says why); everything else is Django's PostgreSQL backend, and the
# engine's name still says postgresql for the tests that look.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "tests.postgresql"  # noqa: F405
