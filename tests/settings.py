"""Test settings: the production settings with plain-HTTP test clients allowed.

Everything else (database, broker, cache) still comes from the environment, so the same suite
runs on the embedded defaults and, with DATABASE_URL and REDIS_URL, on PostgreSQL and Redis.
"""

from agency.settings import *  # noqa: F403

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
