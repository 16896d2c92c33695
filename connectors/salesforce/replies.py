"""What Salesforce's answers mean: a throttle or an expired session (``classify``), the cause
of a failed composite call, the existing record a duplicate rule names. Pure functions of a
response or its JSON; the client decides what to do with them."""

from __future__ import annotations

from typing import Any

import requests

from connectors import crm_support as s
from connectors.base import ConnectorError
from connectors.http import RATE_LIMITED, UNAUTHORIZED
from connectors.vendor_replies import vendor_error


def classify(response: requests.Response) -> str | None:
    """Salesforce says "slow down" with 403 and "log in again" with 401 INVALID_SESSION_ID."""
    if response.status_code not in (401, 403):
        return None
    codes = {s.text(s.obj(e).get("errorCode")) for e in s.items(_safe_json(response))}
    if response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in codes:
        return RATE_LIMITED
    if response.status_code == 401:
        return UNAUTHORIZED
    return None


def composite_failure(results: list[dict[str, Any]]) -> ConnectorError | None:
    """The error of the subrequest that failed a composite call, or None if all succeeded.

    With ``allOrNone`` every other subrequest answers ``PROCESSING_HALTED`` (rolled back), so
    the cause is the one that does not; a 4xx cause is permanent, as for a single call.
    """
    failed = [r for r in results if not 200 <= composite_status(r) < 300]
    if not failed:
        return None
    cause = next((r for r in failed if _composite_code(r) != "PROCESSING_HALTED"), failed[0])
    status = composite_status(cause)
    first = s.obj(next(iter(s.items(cause.get("body"))), {}))
    code = _composite_code(cause)
    return ConnectorError(
        f"salesforce {status}: {s.text(first.get('message')) or code or 'error'}",
        status=status,
        code=code or f"http_{status}",
        permanent=400 <= status < 500,
    )


def composite_status(result: dict[str, Any]) -> int:
    status = result.get("httpStatusCode")
    return status if isinstance(status, int) else 0


def _composite_code(result: dict[str, Any]) -> str:
    return s.text(s.obj(next(iter(s.items(result.get("body"))), {})).get("errorCode"))


def duplicate_of(response: requests.Response) -> str:  # or raises ConnectorError
    """The existing record a 400 DUPLICATES_DETECTED names (its duplicate rule's first match);
    any other 400 is the permanent refusal it is."""
    errors = [s.obj(e) for e in s.items(_safe_json(response))]
    for error in errors:
        if error.get("errorCode") != "DUPLICATES_DETECTED":
            continue
        for match in s.items(s.obj(error.get("duplicateResult")).get("matchResults")):
            for record in s.items(s.obj(match).get("matchRecords")):
                if found := s.text(s.obj(s.obj(record).get("record")).get("Id")):
                    return found
    message, code = vendor_error(response)  # cleaned of secrets and personal data, capped
    raise ConnectorError(f"salesforce 400: {message or code or 'bad request'}", status=400,
                         code=code or "http_400", permanent=True)  # fmt: skip


def _safe_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
