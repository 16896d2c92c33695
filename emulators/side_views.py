"""Vendor-specific side doors of the OAuth emulator (HubSpot's are in ``hubspot_oauth``): Toast's
machine login, Graph's ``/me`` identity call, and the fault-switch control endpoint.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import timedelta

from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from emulators import control
from emulators.auth import account_for_token, new_token
from emulators.models import EmulatorGrant, EmulatorToken, digest
from emulators.oauth_views import registered_app


@csrf_exempt
def toast_login(request: HttpRequest) -> JsonResponse:
    """Toast machine login: client credentials in, a JWT-like bearer token out (no refresh)."""
    fault = control.take_fault("toast")
    if fault:
        return JsonResponse({"status": fault[0], "message": "unavailable"}, status=fault[0])
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    client_id, secret = registered_app("toast")
    if (
        not isinstance(body, dict)
        or body.get("clientId") != client_id
        or not hmac.compare_digest(str(body.get("clientSecret", "")), secret)
        or body.get("userAccessType") != "TOAST_MACHINE_CLIENT"
    ):
        return JsonResponse({"status": 401, "code": 10010, "message": "Access denied"}, status=401)
    grant, _ = EmulatorGrant.objects.get_or_create(
        provider="toast", account_id=client_id, defaults={"client_id": client_id}
    )
    EmulatorGrant.objects.filter(pk=grant.pk).update(token_calls=F("token_calls") + 1)
    lifetime = int(control.switches("toast").get("access_lifetime_s", 86400))
    access = new_token("toast", EmulatorToken.ACCESS)
    EmulatorToken.objects.create(
        grant=grant,
        kind=EmulatorToken.ACCESS,
        token_digest=digest(access),
        expires_at=timezone.now() + timedelta(seconds=lifetime),
    )
    token_json = {
        "tokenType": "Bearer",
        "scope": None,
        "expiresIn": lifetime,
        "accessToken": access,
    }
    return JsonResponse({"token": token_json, "status": "SUCCESS"})


@csrf_exempt
def control_view(request: HttpRequest, slug: str) -> JsonResponse:
    """GET: switches and token-call count; POST JSON: merge switches (``null`` removes)."""
    if request.method == "POST":
        try:
            body = json.loads(request.body or b"{}")
            config = control.configure(slug, **body) if isinstance(body, dict) else None
        except (ValueError, TypeError) as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        if config is None:
            return JsonResponse({"error": "expected a JSON object"}, status=400)
    return JsonResponse(
        {
            "provider": slug,
            "switches": control.switches(slug),
            "token_calls": control.token_calls(slug),
        }
    )


def graph_me(request: HttpRequest) -> JsonResponse:
    """Microsoft Graph ``GET /v1.0/me`` (scope User.Read): who the bearer token belongs to."""
    header = request.headers.get("Authorization", "")
    account = account_for_token("outlook", header.removeprefix("Bearer ").strip())
    if not header.startswith("Bearer ") or account is None:
        error = {
            "code": "InvalidAuthenticationToken",
            "message": "Access token has expired or is not yet valid.",
            "innerError": {"date": timezone.now().isoformat(), "request-id": secrets.token_hex(8)},
        }
        return JsonResponse({"error": error}, status=401)
    return JsonResponse({"id": account, "userPrincipalName": f"{account}@contoso.example"})
