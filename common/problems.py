"""RFC 9457 problem details for every API error.

Each kind of error has a stable ``type`` URI (``/problems/<slug>``) that clients can switch on;
``title`` is fixed per type and ``detail`` explains this occurrence. Validation errors carry
the field errors under ``errors``. Nothing internal (tracebacks, SQL, secrets) is ever included.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

log = logging.getLogger(__name__)
PROBLEM_CONTENT_TYPE = "application/problem+json"

# slug -> (title, default status). The slug is the stable contract; titles may be reworded.
PROBLEM_TYPES: dict[str, tuple[str, int]] = {
    "authentication-required": ("Authentication required", 401),
    "invalid-api-key": ("Invalid API key", 401),
    "api-key-revoked": ("API key revoked", 401),
    "api-key-in-query": ("API key sent in the query string", 400),
    "forbidden": ("Forbidden", 403),
    "not-found": ("Not found", 404),
    "method-not-allowed": ("Method not allowed", 405),
    "not-acceptable": ("Not acceptable", 406),
    "unsupported-media-type": ("Unsupported media type", 415),
    "payload-too-large": ("Request body too large", 413),
    "validation-error": ("Invalid request", 400),
    "malformed-request": ("Malformed request", 400),
    "rate-limited": ("Too many requests", 429),
    "idempotency-key-invalid": ("Invalid Idempotency-Key", 400),
    "idempotency-key-reused": ("Idempotency-Key reused with a different request", 422),
    "idempotency-key-in-flight": ("A request with this Idempotency-Key is in progress", 409),
    "conflict": ("Conflict", 409),
    # Bookings (syncs.calendar.bookings): a taken slot carries ``alternatives``.
    "slot-taken": ("The slot is taken", 409),
    "no-booking-calendar": ("No calendar takes bookings", 409),
    "booking-not-changeable": ("The booking cannot be changed", 409),
    "calendar-stale": ("Calendar data is stale", 503),
    "server-error": ("Internal server error", 500),
    "service-unavailable": ("Service temporarily unavailable", 503),
}
# Seconds a client is asked to wait after a 503 before retrying (with the same Idempotency-Key).
UNAVAILABLE_RETRY_AFTER = 5


def problem_type_uri(slug: str) -> str:
    """The stable ``type`` of a problem; served as documentation at the same path."""
    return f"/problems/{slug}"


def problem_body(
    slug: str, detail: str = "", *, status_code: int | None = None, instance: str = "", **extra: Any
) -> dict[str, Any]:
    title, default_status = PROBLEM_TYPES[slug]
    body: dict[str, Any] = {
        "type": problem_type_uri(slug),
        "title": title,
        "status": status_code or default_status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


class ProblemError(exceptions.APIException):
    """Raise from API code for an error with its own problem type."""

    def __init__(
        self, slug: str, detail: str = "", *, status_code: int | None = None, **extra: Any
    ) -> None:
        self.slug = slug
        self.status_code = status_code or PROBLEM_TYPES[slug][1]
        self.extra = extra
        super().__init__(detail or PROBLEM_TYPES[slug][0])


_DRF_SLUGS: list[tuple[type[Exception], str]] = [
    (exceptions.NotAuthenticated, "authentication-required"),
    (exceptions.AuthenticationFailed, "invalid-api-key"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.ParseError, "malformed-request"),
    (exceptions.ValidationError, "validation-error"),
    (exceptions.Throttled, "rate-limited"),
]


def _slug_for(exc: Exception) -> str:
    if isinstance(exc, ProblemError):
        return exc.slug
    for klass, slug in _DRF_SLUGS:
        if isinstance(exc, klass):
            return slug
    return "server-error"


def _unavailable(exc: Exception) -> bool:
    """A store the request needs is unreachable or refused it for now (PostgreSQL restarting
    or out of connections, Redis down): the request can succeed later, unchanged."""
    from django.db import InterfaceError, OperationalError
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    down = OperationalError | InterfaceError | RedisConnectionError | RedisTimeoutError
    # The cache (django-redis) raises ConnectionInterrupted from redis-py's error; it wraps a
    # refused command (ResponseError) the same way, and that is no outage.
    if isinstance(exc, ConnectionInterrupted):
        return isinstance(exc.__cause__, RedisConnectionError | RedisTimeoutError | TimeoutError)
    return isinstance(exc, down)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler: the standard handling, re-shaped as problem details.

    An outage of PostgreSQL or Redis is a 503 with ``Retry-After``, not a 500: nothing of the
    request was accepted (its transaction rolled back), and the client should send it again.
    """
    from rest_framework.views import exception_handler, set_rollback

    if _unavailable(exc):
        log.warning("API request refused with 503: a store is unavailable", exc_info=exc)
        set_rollback()
        request = context.get("request")
        body = problem_body(
            "service-unavailable",
            "A service this request needs is unavailable; nothing was stored. Retry after "
            "the Retry-After delay, with the same Idempotency-Key.",
            instance=request.path if request else "",
            retry_after=UNAVAILABLE_RETRY_AFTER,
        )
        return Response(
            body,
            status=503,
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
            content_type=PROBLEM_CONTENT_TYPE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler renders it as a problem too
    slug = _slug_for(exc)
    request = context.get("request")
    extra: dict[str, Any] = dict(getattr(exc, "extra", {}))
    if isinstance(exc, exceptions.ValidationError):
        detail = "The request body failed validation; see errors."
        extra["errors"] = response.data
    else:
        detail = str(getattr(exc, "detail", "")) or PROBLEM_TYPES[slug][0]
    # Throttled.wait is set by its __init__; djangorestframework-stubs 3.18.1 do not declare it.
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:  # type: ignore[attr-defined]
        extra["retry_after"] = int(exc.wait) + 1  # type: ignore[attr-defined]
    body = problem_body(
        slug,
        detail,
        status_code=response.status_code,
        instance=request.path if request else "",
        **extra,
    )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(
    request: HttpRequest, slug: str, status_code: int | None = None, detail: str = ""
) -> JsonResponse:
    """A plain Django problem response, for errors raised outside DRF views."""
    body = problem_body(slug, detail, status_code=status_code, instance=request.path)
    return JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
