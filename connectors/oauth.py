"""The generic OAuth 2.0 engine, driven by each provider's ``OAuthSpec``.

What vendors differ in is data on the spec (client auth style, JSON or form bodies, where the
expiry and the per-tenant host are); the few real differences (Shopify's signed callback,
Salesforce's identity URL, HubSpot's token-info call) are small functions here; a machine
login's wire format lives in its vendor package (``login.py``). Every token call goes through
``_send``, the one seam to the network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors import registry
from connectors.base import ConnectorError, OAuthSpec, ProviderSpec
from connectors.registry import fill, get_spec, vendor_url

TIMEOUT_S = 10.0
CALLBACK_PATH = "/connect/callback/{slug}/"


class OAuthError(ConnectorError):
    """A token endpoint said no; ``needs_reauth`` marks a dead grant (revoked or expired)."""


@dataclass(frozen=True)
class TokenSet:
    """What a token response means, whatever the vendor's shape."""

    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    settings: dict[str, str] = field(default_factory=dict)
    account_id: str = ""


def credentials(slug: str) -> tuple[str, str]:
    """Our app's client id and secret at this vendor, from settings."""
    prefix = slug.upper()
    return getattr(settings, f"{prefix}_CLIENT_ID", ""), getattr(
        settings, f"{prefix}_CLIENT_SECRET", ""
    )


def redirect_uri(slug: str) -> str:
    """The exact redirect URI registered with the vendor."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + CALLBACK_PATH.format(slug=slug)


def new_pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _oauth(spec: ProviderSpec) -> OAuthSpec:
    if spec.oauth is None:
        raise ValueError(f"{spec.slug} does not use OAuth")
    return spec.oauth


def _url(spec: ProviderSpec, template: str, tenant: dict[str, Any]) -> str:
    return vendor_url(spec.slug, fill(template, tenant, _oauth(spec).url_defaults))


def authorize_url(slug: str, *, state: str, code_challenge: str, tenant: dict[str, Any]) -> str:
    """The consent URL to send the client's browser to."""
    spec = get_spec(slug)
    oauth = _oauth(spec)
    params: dict[str, str] = {
        "client_id": credentials(slug)[0],
        "redirect_uri": redirect_uri(slug),
        "response_type": "code",
        "state": state,
    }
    if oauth.scopes:
        params["scope"] = oauth.scope_separator.join(oauth.scopes)
    if oauth.pkce:
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
    params.update(dict(oauth.extra_authorize_params))
    return f"{_url(spec, oauth.authorize_url, tenant)}?{urlencode(params)}"


def callback_settings(slug: str, query: dict[str, str]) -> dict[str, str]:
    """Per-tenant facts the vendor put in the callback, each checked against its pattern.

    Raises ``OAuthError`` for a value outside the vendor's own hosts: a forged
    ``accounts-server`` or ``shop`` must never receive our code and client secret.
    """
    oauth = _oauth(get_spec(slug))
    patterns = dict(oauth.callback_host_patterns)
    found: dict[str, str] = {}
    for param, key in oauth.callback_settings:
        value = query.get(param, "")
        if not value or (key in patterns and not re.fullmatch(patterns[key], value)):
            raise OAuthError(
                f"the callback's {param!r} is missing or not the vendor's", code="bad_callback"
            )
        found[key] = value
    return found


def callback_signed(slug: str, query: dict[str, str]) -> bool:
    """Whether the callback carries the vendor's signature, where its spec says it signs one
    (``OAuthSpec.callback_signature``); True for a vendor that does not sign."""
    scheme = _oauth(get_spec(slug)).callback_signature
    if not scheme:
        return True
    if scheme != "hmac-sha256-hex":
        raise ValueError(f"unknown callback signature scheme {scheme!r}")
    given = query.get("hmac", "")
    message = "&".join(
        f"{k}={v}" for k, v in sorted(query.items()) if k not in {"hmac", "signature"}
    )
    expected = hmac.new(credentials(slug)[1].encode(), message.encode(), hashlib.sha256)
    return bool(given) and hmac.compare_digest(expected.hexdigest(), given)


def exchange_code(slug: str, *, code: str, code_verifier: str, tenant: dict[str, str]) -> TokenSet:
    """Trade the authorisation code for tokens; raises ``OAuthError``."""
    spec = get_spec(slug)
    oauth = _oauth(spec)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(slug)}
    if oauth.pkce:
        body["code_verifier"] = code_verifier
    data = _token_call(spec, _url(spec, oauth.token_url, tenant), body, refreshing=False)
    return _token_set(spec, data, tenant, previous_refresh="")


def refresh_grant(slug: str, *, refresh_token: str, tenant: dict[str, str]) -> TokenSet:
    """Use the refresh token; a response without a new one keeps the old. Raises ``OAuthError``."""
    spec = get_spec(slug)
    oauth = _oauth(spec)
    if oauth.refresh_url:  # Clover: its own endpoint, JSON {client_id, refresh_token}
        url = _url(spec, oauth.refresh_url, tenant)
        body = {"client_id": credentials(slug)[0], "refresh_token": refresh_token}
        data = _parse(spec, _send("POST", url, json=body), refreshing=True)
    else:
        body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        data = _token_call(spec, _url(spec, oauth.token_url, tenant), body, refreshing=True)
    return _token_set(spec, data, tenant, previous_refresh=refresh_token)


def _token_call(spec: ProviderSpec, url: str, body: dict[str, str], *, refreshing: bool) -> dict:
    oauth = _oauth(spec)
    client_id, secret = credentials(spec.slug)
    auth = None
    if oauth.client_auth == "basic":
        auth = (client_id, secret)
    else:
        body = {**body, "client_id": client_id, "client_secret": secret}
    if oauth.token_body == "json":  # noqa: S105 -- a body format, not a secret
        response = _send("POST", url, json=body, auth=auth)
    else:
        response = _send("POST", url, data=body, auth=auth)
    return _parse(spec, response, refreshing=refreshing)


def _error_code(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    if isinstance(data.get("error"), str):
        return data["error"]
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("code", ""))
    return str(data.get("message", "")) if data.get("status") != "SUCCESS" else ""


def _parse(spec: ProviderSpec, response: requests.Response, *, refreshing: bool) -> dict:
    """The JSON body, or ``OAuthError``. Zoho answers errors with HTTP 200, hence the body check."""
    try:
        data = response.json()
    except ValueError:
        data = {}
    code = _error_code(data)
    if response.ok and isinstance(data, dict) and not code:
        return data
    dead = refreshing and code in _oauth(spec).dead_grant_codes
    retry_after = response.headers.get("Retry-After")
    raise OAuthError(
        f"{spec.display_name} token endpoint: {response.status_code} {code or 'error'}",
        status=response.status_code,
        code=code,
        permanent=dead or response.status_code in (400, 401, 403),
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
        needs_reauth=dead,
    )


def _expiry(oauth: OAuthSpec, data: dict, name: str) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if name.endswith("expires_in"):
        return timezone.now() + timedelta(seconds=int(value))
    if name.endswith("_expiration"):  # Clover: epoch seconds
        return datetime.fromtimestamp(int(value), tz=UTC)
    return parse_datetime(str(value))  # Square: ISO-8601


def _token_set(
    spec: ProviderSpec, data: dict, tenant: dict[str, str], *, previous_refresh: str
) -> TokenSet:
    oauth = _oauth(spec)
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthError(
            f"{spec.display_name} token response has no access_token", code="bad_response"
        )
    found = {key: str(data[name]) for name, key in oauth.token_settings if data.get(name)}
    for key, pattern in oauth.token_host_patterns:
        if key in found and not re.fullmatch(pattern, found[key], flags=re.IGNORECASE):
            # A token response naming another host would send every later call, token and
            # all, there: refuse it rather than store it.
            raise OAuthError(
                f"{spec.display_name} token response names a host that is not the vendor's",
                code="bad_response",
                permanent=True,
            )
    refresh_name = "refresh_token_expiration" if oauth.expiry_field.endswith("_expiration") else ""
    return TokenSet(
        access_token=access,
        refresh_token=str(data.get("refresh_token") or previous_refresh),
        expires_at=_expiry(oauth, data, oauth.expiry_field) if oauth.expiry_field else None,
        refresh_expires_at=_expiry(oauth, data, refresh_name) if refresh_name else None,
        scopes=_granted(data) or oauth.scopes,
        settings=found,
        account_id=_account_id(spec, data, {**tenant, **found}, access),
    )


def _granted(data: dict) -> tuple[str, ...]:
    """The scopes the token answer says were granted: OAuth's ``scope`` string, or HubSpot's
    ``scopes`` list (which, unlike the scopes we asked for, tells which optional scopes the
    portal granted). Empty when the answer names none."""
    listed = data.get("scopes")
    if isinstance(listed, list):
        return tuple(str(x) for x in listed if x)
    scope = data.get("scope")
    return tuple(re.split(r"[ ,]+", scope.strip())) if isinstance(scope, str) and scope else ()


def _account_id(spec: ProviderSpec, data: dict, tenant: dict[str, str], access: str) -> str:
    source = _oauth(spec).account_id_from
    kind, _, name = source.partition(":")
    if kind == "token":
        return str(data.get(name, ""))
    if kind == "settings":
        return str(tenant.get(name, ""))
    if kind == "salesforce-id":  # https://login.salesforce.com/id/<org id>/<user id>
        parts = str(data.get("id", "")).rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 else ""
    if kind == "introspect":  # HubSpot 2026-03: POST the token in a form -> hub_id
        return str(introspect(spec, access).get(name, ""))
    return ""


def introspect(spec: ProviderSpec, access: str) -> dict:
    """What the vendor says about an access token (RFC 7662-style; HubSpot: ``hub_id``,
    ``user_id``, ``scopes``). The token and the client's credentials go in the form body,
    never in the URL: the reason HubSpot retired its path-based v1 call."""
    client_id, secret = credentials(spec.slug)
    url = vendor_url(spec.slug, _oauth(spec).introspect_url)
    form = {"token": access, "token_type_hint": "access_token", "client_id": client_id,
            "client_secret": secret}  # fmt: skip
    return _parse(spec, _send("POST", url, data=form), refreshing=False)


def revoke(slug: str, *, access_token: str, refresh_token: str, tenant: dict[str, str]) -> bool:
    """Revoke the grant at the vendor where it can be done; True when the vendor confirmed."""
    spec = get_spec(slug)
    oauth = _oauth(spec)
    if not oauth.revoke_style:
        return False
    client_id, secret = credentials(slug)
    url = _url(spec, oauth.revoke_url, {**tenant, "token": refresh_token or access_token})
    if oauth.revoke_style == "form-credentials":
        hint = "refresh_token" if refresh_token else "access_token"
        form = {"token": refresh_token or access_token, "token_type_hint": hint,
                "client_id": client_id, "client_secret": secret}  # fmt: skip
        response = _send("POST", url, data=form)
    elif oauth.revoke_style == "client-secret-header":
        headers = {"Authorization": f"Client {secret}"}
        response = _send(
            "POST",
            url,
            json={"client_id": client_id, "access_token": access_token},
            headers=headers,
        )
    else:
        auth = (client_id, secret) if oauth.client_auth == "basic" else None
        hint = "refresh_token" if refresh_token else "access_token"
        response = _send(
            "POST",
            url,
            data={"token": refresh_token or access_token, "token_type_hint": hint},
            auth=auth,
        )
    return response.ok


def client_credentials_login(slug: str) -> TokenSet:
    """A machine login with our app's credentials (spec ``auth="client_credentials"``): no
    consent, no refresh token, log in again. The body and answer are the vendor's own, so its
    package's ``login`` module builds and reads them (``login_body``, ``login_tokens``)."""
    spec = get_spec(slug)
    wire = registry.module_for(slug, "login")
    if spec.auth != "client_credentials" or wire is None:
        raise OAuthError(f"{slug} has no machine login", permanent=True)
    client_id, secret = credentials(slug)
    response = _send(
        "POST", vendor_url(slug, spec.login_url), json=wire.login_body(client_id, secret)
    )
    return wire.login_tokens(response)


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    """The one network call of this module.

    Token endpoints deliberately bypass ``connectors.http``: there is often no connection yet
    (code exchange), they take no bearer header, and a refresh must never be repeated blindly:
    a rotating refresh token presented twice revokes the whole grant. One attempt, a timeout,
    no redirects; the caller (``connectors.tokens``) owns backoff and cooldown.
    """
    try:
        return requests.request(method, url, timeout=TIMEOUT_S, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise OAuthError(
            f"token endpoint unreachable: {type(exc).__name__}", code="network"
        ) from exc
