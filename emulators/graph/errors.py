"""Graph's error body: ``{"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}`` (learn.microsoft.com/graph/errors, checked 2026-12-05)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.http import HttpRequest, JsonResponse


def error(
    request: HttpRequest | None, status: int, code: str, message: str, **headers: str
) -> JsonResponse:
    client_request_id = request.headers.get("client-request-id", "") if request else ""
    request_id = str(uuid.uuid4())
    inner = {
        "date": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id or request_id,
    }
    response = JsonResponse(
        {"error": {"code": code, "message": message, "innerError": inner}}, status=status
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def not_found(request: HttpRequest) -> JsonResponse:
    return error(
        request, 404, "ErrorItemNotFound", "The specified object was not found in the store."
    )
