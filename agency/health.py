"""Liveness and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from agency.celery import app as celery_app


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    except Exception as exc:  # any driver error means "not ready"
        return type(exc).__name__


def _broker_ok() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return None
    except Exception as exc:
        return type(exc).__name__


def readyz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachable: 200, else 503 naming what failed (no connection details)."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ok = all(v is None for v in checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {name: "ok" if err is None else f"error: {err}" for name, err in checks.items()},
    }
    return JsonResponse(body, status=200 if ok else 503)
