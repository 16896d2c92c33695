"""What a vendor's reply means, for the HTTP layer: how long it asks us to wait, its error
message and code (cleaned of secrets), and a request path fit for the call log.

Pure functions of a ``requests.Response`` (or a URL): every vendor's dialect in one place.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from common.logging import redact

MESSAGE_CAP = 300
# Salesforce's daily allowance is a rolling 24 h count (REST API Developer Guide, "Limit Info
# Header": ``Sforce-Limit-Info: api-usage=used/limit`` on every answer; an exhausted allowance is
# 403 REQUEST_LIMIT_EXCEEDED; checked 2026-12-04). Nothing says when a call ages out, so an
# exhausted org is asked again no sooner than the share of the day its overdraft stands for,
# and never sooner than this.
ALLOWANCE_POLL_SECONDS = 15 * 60
ALLOWANCE_WINDOW_SECONDS = 24 * 3600


def loggable_path(url: str) -> str:
    """The URL's path without query or fragment, with segments that hold an email or a phone
    number masked (some vendors look contacts up by email in the path)."""
    segments = urlsplit(url).path.split("/")
    masked = [
        "{redacted}" if "@" in s or "%40" in s.lower() or _looks_like_phone(s) else s
        for s in segments
    ]
    return "/".join(masked) or "/"


def _looks_like_phone(segment: str) -> bool:
    digits = segment.replace("%2B", "+").replace("%2b", "+")
    return digits.startswith("+") and digits[1:].isdigit() and len(digits) > 6


def retry_after_seconds(response: requests.Response | None, *, rate_limited: bool) -> float | None:
    """The longest wait any of the vendor's hints asks for, in seconds; None without a hint.

    ``Retry-After`` (seconds or an HTTP date) always counts. The window headers (HubSpot's
    interval, ``x-ratelimit-reset``, Shopify's GraphQL throttle status) are on every response, so
    they count only when the response is a throttle.
    """
    if response is None:
        return None
    hints = [_retry_after_header(response.headers.get("Retry-After", ""))]
    if rate_limited:
        hints.append(_number(response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")))
        if hints[-1] is not None:
            hints[-1] /= 1000.0
        for name in ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset"):
            hints.append(_reset_header(response.headers.get(name)))
        hints.append(_shopify_throttle(response))
        hints.append(_salesforce_allowance(response))
    found = [max(0.0, h) for h in hints if h is not None]
    return max(found) if found else None


# What a vendor's answer says is left of its rate-limit window, as (remaining, limit), for the
# call log. Header names, checked 2026-12-04:
# - HubSpot: ``X-HubSpot-RateLimit-Remaining`` / ``-Max`` (the per-interval window; sent on
#   OAuth calls too since HubSpot's changelog "Rate limit headers will now appear for OAuth
#   authenticated calls"; search answers carry none; VENDORS.md);
# - Pipedrive: ``x-ratelimit-remaining`` / ``x-ratelimit-limit`` per 2-second window on every
#   answer (pipedrive.readme.io/docs/core-api-concepts-rate-limiting); the same generic names
#   serve other vendors that send them;
# - Salesforce: ``Sforce-Limit-Info: api-usage=used/limit``, the rolling daily allowance.
RATE_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-HubSpot-RateLimit-Remaining", "X-HubSpot-RateLimit-Max"),
    ("x-ratelimit-remaining", "x-ratelimit-limit"),
)


def rate_limit_state(response: requests.Response | None) -> tuple[int | None, int | None]:
    """(remaining, limit) of the vendor's rate-limit window as its answer states it; (None,
    None) when it states nothing."""
    if response is None:
        return None, None
    for remaining_name, limit_name in RATE_HEADERS:
        remaining = _number(response.headers.get(remaining_name))
        limit = _number(response.headers.get(limit_name))
        if remaining is not None or limit is not None:
            return _count(remaining), _count(limit)
    for part in response.headers.get("Sforce-Limit-Info", "").split(";"):
        name, _, value = part.strip().partition("=")
        used, _, limit_text = value.partition("/")
        if name == "api-usage" and used.isdigit() and limit_text.isdigit():
            return max(0, int(limit_text) - int(used)), int(limit_text)
    return None, None


def _count(value: float | None) -> int | None:
    return None if value is None or value < 0 else int(value)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _retry_after_header(value: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp() - time.time()


def _reset_header(value: str | None) -> float | None:
    """Seconds until reset, whether the vendor sends a delta or an epoch (> 1e9)."""
    number = _number(value)
    if number is None:
        return None
    if number > 1e12:  # epoch milliseconds
        number = number / 1000.0
    return number - time.time() if number > 1e9 else number


def _shopify_throttle(response: requests.Response) -> float | None:
    """Shopify GraphQL: (cost - available) / restore rate, from ``extensions.cost``."""
    body = _json(response)
    cost = body.get("extensions", {}).get("cost", {}) if isinstance(body, dict) else {}
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    if not isinstance(status, dict):
        return None
    try:
        needed = float(cost.get("requestedQueryCost", 0)) - float(status["currentlyAvailable"])
        return max(0.0, needed) / float(status["restoreRate"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _salesforce_allowance(response: requests.Response) -> float | None:
    """Salesforce: how long until the rolling daily allowance frees enough for one more call
    (``Sforce-Limit-Info: api-usage=used/limit``), at least ``ALLOWANCE_POLL_SECONDS``; a
    REQUEST_LIMIT_EXCEEDED answer without the header waits that minimum."""
    usage = ""
    for part in response.headers.get("Sforce-Limit-Info", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "api-usage":
            usage = value
    used, _, limit = usage.partition("/")
    if used.isdigit() and limit.isdigit() and int(limit) > 0:
        if int(used) < int(limit):
            return None  # allowance left: this 403 is not about the daily count
        overdraft = int(used) - int(limit) + 1
        share = ALLOWANCE_WINDOW_SECONDS * overdraft / int(limit)
        return min(ALLOWANCE_WINDOW_SECONDS, max(ALLOWANCE_POLL_SECONDS, share))
    body = _json(response)
    codes = (
        {e.get("errorCode") for e in body if isinstance(e, dict)}
        if isinstance(body, list)
        else set()
    )
    return float(ALLOWANCE_POLL_SECONDS) if "REQUEST_LIMIT_EXCEEDED" in codes else None


def _json(response: requests.Response) -> Any:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def vendor_error(response: requests.Response, secrets: tuple[str, ...] = ()) -> tuple[str, str]:
    """(message, code) from the vendor's error body, cleaned of secrets and capped."""
    message, code = _error_fields(_json(response))
    return _clean(message, secrets), _clean(code, secrets)[:64]


def _error_fields(body: Any) -> tuple[Any, Any]:
    if isinstance(body, list):  # Salesforce: [{"message", "errorCode"}]
        first = body[0] if body and isinstance(body[0], dict) else {}
        return first.get("message"), first.get("errorCode")
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):  # Google, Microsoft Graph: {"error": {"message", "code"}}
        reasons = error.get("errors") or [{}]
        reason = reasons[0].get("reason") if isinstance(reasons[0], dict) else None
        return error.get("message"), reason or error.get("status") or error.get("code")
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # Square, Shopify
        first = errors[0]
        return first.get("detail") or first.get("message"), first.get("code")
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict) and "message" in data[0]:
        return data[0].get("message"), data[0].get("code")  # Zoho per-record errors
    if isinstance(error, str) and "error_description" in body:  # OAuth
        return body["error_description"] or error, error
    if isinstance(error, str):  # Pipedrive {"success": false, "error", "error_info"}
        return error, body.get("errorCode")
    return body.get("message"), body.get("code") or body.get("category")


def _clean(value: Any, secrets: tuple[str, ...]) -> str:
    text = " ".join(str(value).split()) if value not in (None, "") else ""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = redact(text)
    return text if len(text) <= MESSAGE_CAP else text[: MESSAGE_CAP - 1] + "…"
