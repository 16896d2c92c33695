"""Settings of a server process that serves only the vendor emulators (benchmarks/lead_sync.py).

The vendor is another machine in production, so the benchmark gives the emulators their own
server. Every emulated call is a bearer-token API call: none of the product's middleware
(security headers, static files, sessions, CSRF, auth, messages, allauth) applies to it, and
each layer cost CPU on every call. The product's own process keeps mounting the emulators at
``/emulators/`` with its full stack (``agency.urls``), which is what the tests and the demo use.

    DJANGO_SETTINGS_MODULE=agency.emulator_settings gunicorn agency.wsgi:application
"""

from agency.settings import *  # noqa: F403

EMULATORS_ENABLED = True
# allauth and the admin insist on their middleware once installed; nothing here signs anyone
# in, and this server mounts no admin.
INSTALLED_APPS = [
    *(
        app
        for app in INSTALLED_APPS  # noqa: F405
        if not app.startswith("allauth") and app != "django.contrib.admin"
    ),
    *(app for app in ("emulators", "emulators.crm", "emulators.graph", "emulators.google_calendar")
      if app not in INSTALLED_APPS),  # noqa: F405
]  # fmt: skip
ROOT_URLCONF = "emulators.server_urls"
MIDDLEWARE = []
# No "SELECT 1" before each call's first query: a connection that broke fails one call (a 500
# the client retries, as it would a vendor's) and Django closes it when that request ends.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
