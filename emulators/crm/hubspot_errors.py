"""How the HubSpot emulator says "no": HubSpot's error body, its 429 and its ``Style``."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse

from emulators.crm import common

VENDOR = "hubspot"


def error(status: int, message: str, category: str, **extra: Any) -> HttpResponse:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return common.json_response(body, status)


def _rate_limited(fault: dict[str, Any]) -> HttpResponse:
    headers = {
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Max": "110",
        "X-HubSpot-RateLimit-Remaining": "0",
    }
    if fault.get("retry_after") is not None:
        headers["Retry-After"] = str(fault["retry_after"])
    response = error(
        429,
        "You have reached your secondly limit.",
        "RATE_LIMITS",
        errorType="RATE_LIMIT",
        policyName=fault.get("policy", "SECONDLY"),
    )
    for name, value in headers.items():
        response[name] = value
    return response


STYLE = common.Style(
    vendor=VENDOR,
    auth_scheme="Bearer",
    unauthorized=lambda: error(
        401,
        "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        "INVALID_AUTHENTICATION",
    ),
    rate_limited=_rate_limited,
    server_error=lambda: error(500, "internal error", "INTERNAL_ERROR"),
    read_posts=("/search", "/batch/read"),
)
