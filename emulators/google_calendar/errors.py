"""Google's error body and the answers the emulator gives with it.

Shapes from Google's "Handle API errors" page for Calendar
(https://developers.google.com/workspace/calendar/api/guides/errors, read 2026-12-05):
``{"error": {"code", "message", "errors": [{"domain", "reason", "message", ...}]}}``.
"""

from __future__ import annotations

from django.http import JsonResponse


class GoogleError(Exception):
    """Raised inside a view; ``views.endpoint`` turns it into Google's error body."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        domain: str = "global",
        location: str = "",
        location_type: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.location = location
        self.location_type = location_type

    def response(self) -> JsonResponse:
        detail = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location:
            detail.update(locationType=self.location_type or "parameter", location=self.location)
        body = {"error": {"errors": [detail], "code": self.code, "message": self.message}}
        return JsonResponse(body, status=self.code)


def invalid(message: str, *, location: str = "", reason: str = "invalid") -> GoogleError:
    return GoogleError(400, message, reason, location=location)


def required(message: str, *, location: str = "") -> GoogleError:
    return GoogleError(400, message, "required", location=location)


def not_found() -> GoogleError:
    return GoogleError(404, "Not Found", "notFound")


def unauthorized() -> JsonResponse:
    """401 as Google sends it (VENDORS.md, Google Calendar; the errors page above)."""
    error = GoogleError(
        401, "Invalid Credentials", "authError", location="Authorization", location_type="header"
    )
    response = error.response()
    response["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
    return response


def rate_limited(status: int) -> GoogleError:
    """The per-user quota: 403 ``rateLimitExceeded`` (usageLimits), or 429 as Google also
    answers when one user sends too much too fast."""
    return GoogleError(status, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits")


def server_error() -> GoogleError:
    return GoogleError(500, "Backend Error", "backendError")


def full_sync_required() -> GoogleError:
    return GoogleError(
        410,
        "Sync token is no longer valid, a full sync is required.",
        "fullSyncRequired",
        domain="calendar",
    )
