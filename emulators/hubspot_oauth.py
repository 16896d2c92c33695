"""HubSpot's OAuth side doors: token introspection and revocation, in both API versions.

HubSpot retires its v1 OAuth endpoints on 16 February 2027 (developer changelog "v1 OAuth API
Deprecation"; migration guide at developers.hubspot.com/docs/api-reference/legacy/
authentication/oauth-tokens/v1/migration-guide; both read 2026-12-04):

- ``POST /oauth/v1/token``              -> ``POST /oauth/2026-03/token`` (same form, same answer)
- ``GET /oauth/v1/access-tokens/{t}``   -> ``POST /oauth/2026-03/token/introspect`` (form:
  ``client_id``, ``client_secret``, ``token``, ``token_type_hint``)
- ``DELETE /oauth/v1/refresh-tokens/{t}`` -> ``POST /oauth/2026-03/token/revoke`` (form)

The emulator serves both until the cut-over, then answers the v1 paths as retired. Its clock
is the real one unless the ``clock`` switch (an ISO date) says otherwise, so a test can stand
on either side of the date.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from emulators import control
from emulators.models import EmulatorToken, digest
from emulators.oauth_views import registered_app, revoke_token
from emulators.vendors import HUBSPOT_USER_ID, hub_id

V1_SUNSET = date(2027, 2, 16)  # v1 OAuth endpoints shut off (changelog above)
V4_ASSOCIATIONS_SUNSET = date(2027, 3, 30)  # /crm/v4/ loses support (changelog, see hubspot.py)


def today() -> date:
    """The emulator's date: the ``clock`` switch of ``hubspot`` if set, else today (UTC)."""
    forced = control.switches("hubspot").get("clock")
    return date.fromisoformat(forced) if forced else datetime.now(tz=UTC).date()


def retired() -> HttpResponse:
    body = {
        "status": "error",
        "message": "This API version is no longer supported. Use the latest date-based version.",
        "correlationId": "00000000-0000-0000-0000-000000000000",
        "category": "OBJECT_NOT_FOUND",
    }
    return JsonResponse(body, status=404)


def until(sunset: date) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve the view before ``sunset``; from that day on, answer it as a retired endpoint."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if today() >= sunset:
                return retired()
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _access_row(token: str) -> EmulatorToken | None:
    row = (
        EmulatorToken.objects.select_related("grant")
        .filter(token_digest=digest(token), kind=EmulatorToken.ACCESS, grant__provider="hubspot")
        .first()
    )
    return None if row is None or row.grant.revoked_at or row.revoked_at else row


def _token_info(token: str, row: EmulatorToken) -> dict[str, Any]:
    """What both token-info answers share: hub_id and user_id are numbers, scopes a list."""
    left = int((row.expires_at - datetime.now(tz=UTC)).total_seconds()) if row.expires_at else 0
    scopes = row.grant.scopes.split() if isinstance(row.grant.scopes, str) else []
    return {
        "token": token,
        "user": "owner@example.com",
        "hub_domain": f"{row.grant.account_id}.hubspot.com",
        "scopes": scopes,
        "hub_id": hub_id(row.grant.account_id),
        "app_id": 1,
        "expires_in": max(left, 0),
        "user_id": HUBSPOT_USER_ID,
        "token_type": "access",
    }


@until(V1_SUNSET)
def access_token_info_v1(request: HttpRequest, token: str) -> JsonResponse:
    """v1: ``GET /oauth/v1/access-tokens/{token}`` (HubSpot's AccessTokenInfoResponse)."""
    row = _access_row(token)
    if row is None:
        body = {"status": "error", "message": "Token not found", "category": "NOT_FOUND"}
        return JsonResponse(body, status=404)
    return JsonResponse(_token_info(token, row))


@csrf_exempt
@until(V1_SUNSET)
def refresh_token_v1(request: HttpRequest, token: str) -> HttpResponse:
    """v1: ``DELETE /oauth/v1/refresh-tokens/{token}`` revokes."""
    if request.method == "DELETE":
        return HttpResponse(status=204 if revoke_token("hubspot", token, "revoked") else 404)
    return HttpResponse(status=405)


def _client_ok(request: HttpRequest) -> bool:
    client_id, secret = registered_app("hubspot")
    given = str(request.POST.get("client_secret", ""))
    return request.POST.get("client_id") == client_id and hmac.compare_digest(given, secret)


def _invalid(field: str, message: str) -> JsonResponse:
    """HubSpot's 2026-03 OAuth error: RFC 6749's ``error`` fields beside its own (developer
    changelog "New OAuth v3 API Endpoints and Standardized Error Responses")."""
    body = {
        "error": "invalid_request" if field == "token" else "invalid_client",
        "error_description": message,
        "status": "BAD_REQUEST",
        "message": message,
        "category": "VALIDATION_ERROR",
        "errors": [{"code": "400", "in": field, "message": message, "subCategory": "OAUTH"}],
    }
    return JsonResponse(body, status=400)


@csrf_exempt
def introspect(request: HttpRequest) -> JsonResponse:
    """2026-03: ``POST /oauth/2026-03/token/introspect``, form-encoded. The token goes in a
    field named ``token`` whatever the hint (a HubSpot Community thread found the documented
    ``access_token`` field refused; retold at eshopman-com.pages.dev, seen 2026-12-04)."""
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request"}, status=405)
    if not _client_ok(request):
        return _invalid("client_id", "Client authentication failed")
    token = str(request.POST.get("token", ""))
    row = _access_row(token) if token else None
    if row is None:
        return _invalid("token", "Token is invalid")
    info = _token_info(token, row)
    signed = {"appId": 1, "expiresAt": 0, "hubId": info["hub_id"], "hublet": "na1",
              "installingUserId": HUBSPOT_USER_ID, "isPrivateDistribution": False,
              "isServiceAccount": False, "isUserLevel": False, "newSignature": "",
              "scopeToScopeGroupPks": "", "scopes": " ".join(info["scopes"]), "signature": "",
              "trialScopeToScopeGroupPks": "", "trialScopes": "",
              "userId": HUBSPOT_USER_ID}  # fmt: skip
    body = {"token_use": "access_token", "active": True, "client_id": registered_app("hubspot")[0],
            "signed_access_token": signed, "is_private_distribution": False, **info}  # fmt: skip
    return JsonResponse(body)


@csrf_exempt
def revoke(request: HttpRequest) -> HttpResponse:
    """2026-03: ``POST /oauth/2026-03/token/revoke``, form-encoded ``token`` and the client's
    credentials; revoking a token that is already gone is not an error (RFC 7009 §2.2)."""
    if request.method != "POST":
        return HttpResponse(status=405)
    if not _client_ok(request):
        return _invalid("client_id", "Client authentication failed")
    revoke_token("hubspot", str(request.POST.get("token", "")), "revoked")
    return HttpResponse(status=200)
