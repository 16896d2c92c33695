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
ALLOW_PRIVATE_URLS = True
