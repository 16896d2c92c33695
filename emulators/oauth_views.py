"""The OAuth side of every emulated vendor: consent page, token endpoint, revocation.

One engine parametrised by ``vendors.PROFILES``. Faithful where our code could get it wrong:
exact redirect URI, PKCE S256, single-use codes, rotating refresh tokens whose reuse revokes the
whole grant, the vendor's error bodies, and fault switches (latency, 429, 500, revoked grants).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from connectors import registry
from emulators import control
from emulators.auth import new_token
from emulators.models import EmulatorGrant, EmulatorToken, digest
from emulators.vendors import PROFILES, VendorProfile, error_body, token_body

CODE_LIFETIME = timedelta(minutes=10)


def registered_app(slug: str) -> tuple[str, str]:
    """The app registered at this vendor (the emulator's view of our client id and secret)."""
    return getattr(settings, f"{slug.upper()}_CLIENT_ID", ""), getattr(
        settings, f"{slug.upper()}_CLIENT_SECRET", ""
    )


@csrf_exempt
def consent(request: HttpRequest, slug: str) -> HttpResponse:
    """GET shows Approve / Deny; POST answers with a redirect to the client's redirect_uri."""
    params = request.POST if request.method == "POST" else request.GET
    redirect_uri, state = params.get("redirect_uri", ""), params.get("state", "")
    if params.get("client_id") != registered_app(slug)[0] or not redirect_uri.startswith(
        ("http://", "https://")
    ):
        return HttpResponse("Unknown client_id or redirect_uri.", status=400)
    if request.method == "GET":
        return _consent_page(request, slug)
    if "deny" in request.POST or control.switches(slug).get("deny"):
        query = {
            "error": "access_denied",
            "error_description": "The user denied access",
            "state": state,
        }
        return HttpResponseRedirect(f"{redirect_uri}?{urlencode(query)}")
    code, extra = secrets.token_urlsafe(24), _account_extra(slug, request.POST)
    EmulatorGrant.objects.create(
        provider=slug,
        account_id=extra["account_id"],
        client_id=params["client_id"],
        scopes=_granted_scopes(slug, params),
        redirect_uri=redirect_uri,
        code_digest=digest(code),
        code_challenge=params.get("code_challenge", ""),
        code_challenge_method=params.get("code_challenge_method", ""),
        code_expires_at=timezone.now() + CODE_LIFETIME,
        extra=extra,
    )
    query = {"code": code, "state": state, **_callback_extra(slug, extra)}
    if slug == "shopify":
        query["timestamp"] = str(int(timezone.now().timestamp()))
        query["hmac"] = _shopify_hmac(query)
    return HttpResponseRedirect(f"{redirect_uri}?{urlencode(query)}")


def _scope_list(raw: str) -> list[str]:
    """Scopes as the vendor lists them: space-separated, or comma-separated (Zoho, Shopify)."""
    return list(dict.fromkeys(p for p in re.split(r"[\s,]+", raw) if p))


def _consent_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The stand-in for the vendor's consent screen: who asks, for which scopes, and which of
    them are optional (HubSpot's ``optional_scope``: the portal may lack them)."""
    fields = {k: v for k, v in request.GET.items()}
    name = registry.display_name(slug)
    context = {
        "slug": slug,
        "name": name,
        "fields": fields,
        "requested": _scope_list(fields.get("scope", "")),
        "optional": _scope_list(fields.get("optional_scope", "")),
        "can_refuse_optional": slug == "hubspot",
    }
    return render(request, "emulators/consent.html", context)


# The scopes set in the emulated Pipedrive app's Marketplace settings (connectors/pipedrive/
# spec.py says which the product needs).
PIPEDRIVE_APP_SCOPES = ("base", "contacts:full", "deals:full", "search:read",
                        "contact-fields:full")  # fmt: skip


def _granted_scopes(slug: str, params: dict) -> str:
    """What the user granted: the scopes asked for, plus HubSpot's ``optional_scope`` ones
    unless the portal lacks them (the consent form's ``refuse_optional``, as for a portal on a
    tier without those features: HubSpot then installs the app without them)."""
    scopes = params.get("scope", "").split()
    if slug == "pipedrive":
        # Pipedrive's scopes are the app's, fixed in its Marketplace settings; the URL asks
        # for none (VENDORS.md). The emulated app's: ``control.configure("pipedrive",
        # app_scopes=[...])``, else what the product's app is set up with.
        scopes = control.switches(slug).get("app_scopes") or list(PIPEDRIVE_APP_SCOPES)
    if slug == "hubspot" and not params.get("refuse_optional"):
        scopes += params.get("optional_scope", "").split()
    return " ".join(dict.fromkeys(scopes))


def _account_extra(slug: str, post: dict) -> dict:
    account = post.get("account") or f"emu{secrets.token_hex(5)}"
    if slug == "hubspot" and not account.isdigit():  # a portal (hub) id is a number
        account = str(10_000_000 + secrets.randbelow(90_000_000))
    if slug == "salesforce":
        account = "00D" + account[:12].upper().ljust(12, "0")
    if slug == "clover":
        account = account.upper()[:13].ljust(13, "0")
    extra = {"account_id": account, "dc": post.get("dc") or "eu"}
    if slug == "shopify":
        extra["shop"] = post.get("shop") or "demo-shop.myshopify.com"
        extra["account_id"] = extra["shop"]
    if slug == "lightspeed":
        extra["domain_prefix"] = post.get("domain_prefix") or account.lower()
        extra["account_id"] = extra["domain_prefix"]
    return extra


def _callback_extra(slug: str, extra: dict) -> dict:
    """What each vendor adds to the redirect back to us."""
    if slug == "zoho":
        return {"location": extra["dc"], "accounts-server": f"https://accounts.zoho.{extra['dc']}"}
    if slug == "shopify":
        return {"shop": extra["shop"], "host": base64.b64encode(b"admin.shopify.com").decode()}
    if slug == "clover":
        return {
            "merchant_id": extra["account_id"],
            "employee_id": "EMP1",
            "client_id": registered_app(slug)[0],
        }
    if slug == "lightspeed":
        return {"domain_prefix": extra["domain_prefix"]}
    return {}


def _shopify_hmac(query: dict) -> str:
    message = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    secret = registered_app("shopify")[1]
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _fail(profile: VendorProfile, code: str, detail: str) -> JsonResponse:
    status, body = error_body(profile, code, detail)
    return JsonResponse(body, status=status)


def _request_fields(request: HttpRequest, profile: VendorProfile) -> dict:
    if profile.json_body:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return {**request.GET.dict(), **request.POST.dict()}


def _client_ok(
    request: HttpRequest, profile: VendorProfile, fields: dict, *, need_secret: bool
) -> bool:
    client_id, secret = registered_app(profile.slug)
    if profile.basic_auth:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return hmac.compare_digest(header, expected)
    if fields.get("client_id") != client_id:
        return False
    return not need_secret or hmac.compare_digest(str(fields.get("client_secret", "")), secret)


@csrf_exempt
def token(request: HttpRequest, slug: str, refresh_endpoint: bool = False) -> JsonResponse:
    """The token endpoint: authorization_code and refresh_token grants."""
    profile = PROFILES[slug]
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request"}, status=405)
    fault = control.take_fault(slug)
    if fault:
        status, retry_after = fault
        response = JsonResponse({"error": "temporarily_unavailable"}, status=status)
        if status == 429:
            response["Retry-After"] = str(int(retry_after))
        return response
    fields = _request_fields(request, profile)
    grant_type = (
        "refresh_token" if refresh_endpoint else fields.get("grant_type", "authorization_code")
    )
    if not _client_ok(request, profile, fields, need_secret=not refresh_endpoint):
        return _fail(profile, "invalid_client", "Client authentication failed.")
    if grant_type == "refresh_token":
        return _refresh(profile, str(fields.get("refresh_token", "")))
    return _exchange(profile, fields)


def _exchange(profile: VendorProfile, fields: dict) -> JsonResponse:
    grant = EmulatorGrant.objects.filter(
        provider=profile.slug, code_digest=digest(str(fields.get("code", "")))
    ).first()
    if grant is None:
        return _fail(profile, "invalid_grant", "Unknown authorization code.")
    EmulatorGrant.objects.filter(pk=grant.pk).update(token_calls=F("token_calls") + 1)
    if grant.revoked_at or grant.code_expires_at <= timezone.now():
        return _fail(profile, "invalid_grant", "Code expired or revoked.")
    used = EmulatorGrant.objects.filter(pk=grant.pk, code_used_at__isnull=True).update(
        code_used_at=timezone.now()
    )
    if not used:  # a code presented twice: revoke what it issued (RFC 6749 §4.1.2)
        _revoke_grant(grant, "code_reuse")
        return _fail(profile, "invalid_grant", "Authorization code already used.")
    if (
        profile.slug not in ("shopify", "clover")
        and fields.get("redirect_uri") != grant.redirect_uri
    ):
        return _fail(
            profile, "invalid_grant", "redirect_uri does not match the authorization request."
        )
    if grant.code_challenge and not _pkce_ok(grant, str(fields.get("code_verifier", ""))):
        return _fail(profile, "invalid_grant", "PKCE verification failed.")
    return _issue(profile, grant, with_refresh=profile.issues_refresh)


def _pkce_ok(grant: EmulatorGrant, verifier: str) -> bool:
    if grant.code_challenge_method != "S256" or not verifier:
        return False
    computed = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return hmac.compare_digest(computed, grant.code_challenge)


def _refresh(profile: VendorProfile, presented: str) -> JsonResponse:
    row = (
        EmulatorToken.objects.select_related("grant")
        .filter(
            token_digest=digest(presented), kind=EmulatorToken.REFRESH, grant__provider=profile.slug
        )
        .first()
    )
    if row is None:
        return _fail(profile, "invalid_grant", "Unknown refresh token.")
    grant = row.grant
    EmulatorGrant.objects.filter(pk=grant.pk).update(token_calls=F("token_calls") + 1)
    if grant.revoked_at or row.revoked_at or control.switches(profile.slug).get("revoke_grants"):
        return _fail(profile, "invalid_grant", "Token has been expired or revoked.")
    if profile.rotates:
        spent = EmulatorToken.objects.filter(pk=row.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not spent:  # reuse of a rotated refresh token: the whole family dies
            _revoke_grant(grant, "refresh_reuse")
            return _fail(profile, "invalid_grant", "Refresh token was already used.")
    return _issue(
        profile,
        grant,
        with_refresh=profile.rotates or profile.refresh_returns_refresh,
        existing=presented,
    )


def _issue(
    profile: VendorProfile, grant: EmulatorGrant, *, with_refresh: bool, existing: str = ""
) -> JsonResponse:
    lifetime = control.switches(profile.slug).get("access_lifetime_s", profile.access_lifetime_s)
    access = new_token(profile.slug, EmulatorToken.ACCESS)
    expires = timezone.now() + timedelta(seconds=int(lifetime if lifetime is not None else 7200))
    with transaction.atomic():
        EmulatorToken.objects.create(
            grant=grant, kind=EmulatorToken.ACCESS, token_digest=digest(access), expires_at=expires
        )
        refresh = ""
        if with_refresh and (profile.rotates or not existing):
            refresh = new_token(profile.slug, EmulatorToken.REFRESH)
            EmulatorToken.objects.create(
                grant=grant, kind=EmulatorToken.REFRESH, token_digest=digest(refresh)
            )
        elif with_refresh:
            refresh = existing  # HubSpot, Pipedrive: the same long-lived refresh token again
    scope = grant.scopes if isinstance(grant.scopes, str) else " ".join(grant.scopes)
    body = token_body(
        profile, grant.extra, access=access, refresh=refresh, lifetime=lifetime, scope=scope
    )
    return JsonResponse(body)


def _revoke_grant(grant: EmulatorGrant, reason: str) -> None:
    EmulatorGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def revoke_token(slug: str, token: str, reason: str) -> bool:
    row = (
        EmulatorToken.objects.select_related("grant")
        .filter(token_digest=digest(token), grant__provider=slug)
        .first()
    )
    if row is None:
        return False
    _revoke_grant(row.grant, reason)
    return True


@csrf_exempt
def revoke(request: HttpRequest, slug: str) -> HttpResponse:
    """Google/Salesforce/Zoho/Pipedrive form revocation and Square's JSON one."""
    profile = PROFILES[slug]
    if request.method != "POST":
        return HttpResponse(status=405)
    if slug == "square":
        fields = _request_fields(request, profile)
        if request.headers.get("Authorization") != f"Client {registered_app(slug)[1]}":
            return _fail(profile, "invalid_client", "Bad Authorization: Client header.")
        ok = revoke_token(slug, str(fields.get("access_token", "")), "revoked")
        return JsonResponse({"success": ok}, status=200 if ok else 404)
    if profile.basic_auth and not _client_ok(request, profile, {}, need_secret=True):
        return _fail(profile, "invalid_client", "Client authentication failed.")
    token_value = request.POST.get("token") or request.GET.get("token", "")
    ok = revoke_token(slug, token_value, "revoked")
    return HttpResponse(status=200 if ok else 400)
