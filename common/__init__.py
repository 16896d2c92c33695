"""What every app of the project shares, below all of them: the API's error shape (RFC 9457
problem details), its request guards (body size, JSON nesting, unknown query parameters), strict
pagination, exact shared counters, signed expiring links and the filter that keeps secrets out of
log lines.

It imports Django, DRF and libraries only, never an app of the project
(``tests/test_import_cycles.py`` keeps it so), so ``tenants``, ``connectors`` and ``syncs``
import it freely while ``agency``, the project's wiring above them, reads their registries.
Not a Django app: it has no models, templates or migrations; settings name its middleware,
parser and exception handler by dotted path.
"""
