"""How each emulated vendor's OAuth differs: paths, body formats, response and error shapes.

Written from the vendors' documentation (shared/VENDORS.md), independently of the connector
specs: if the two disagree, a connect test fails, which is the point.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class VendorProfile:
    slug: str
    authorize_path: str
    token_path: str
    refresh_path: str = ""  # Clover refreshes at its own endpoint
    revoke_path: str = ""
    json_body: bool = False  # Square, Clover: JSON token bodies
    basic_auth: bool = False  # Pipedrive: client credentials in the Basic header
    rotates: bool = False  # single-use refresh tokens
    access_lifetime_s: int | None = 3600  # None: no expiry given (Salesforce session, Shopify)
    issues_refresh: bool = True
    refresh_returns_refresh: bool = True  # Google, Zoho, Salesforce: refresh answer has none
    error_style: str = "oauth"  # "oauth" | "zoho" (HTTP 200) | "square" | "clover"


HUBSPOT_USER_ID = 4_242_424  # the emulated installing user


def hub_id(account_id: str) -> int:
    """A portal's id as HubSpot gives it: a number. Consent makes numeric accounts; an account
    a test named in words gets a stable number instead."""
    if account_id.isdigit():
        return int(account_id)
    return int(hashlib.sha256(account_id.encode()).hexdigest()[:7], 16)


PROFILES: dict[str, VendorProfile] = {
    p.slug: p
    for p in (
        VendorProfile("hubspot", "oauth/authorize", "oauth/2026-03/token", access_lifetime_s=1800),
        VendorProfile(
            "salesforce",
            "services/oauth2/authorize",
            "services/oauth2/token",
            revoke_path="services/oauth2/revoke",
            access_lifetime_s=None,
            refresh_returns_refresh=False,
        ),
        VendorProfile(
            "zoho",
            "oauth/v2/auth",
            "oauth/v2/token",
            revoke_path="oauth/v2/token/revoke",
            refresh_returns_refresh=False,
            error_style="zoho",
        ),
        VendorProfile(
            "pipedrive",
            "oauth/authorize",
            "oauth/token",
            revoke_path="oauth/revoke",
            basic_auth=True,
            access_lifetime_s=3599,
        ),
        VendorProfile(
            "google",
            "o/oauth2/v2/auth",
            "token",
            revoke_path="revoke",
            access_lifetime_s=3599,
            refresh_returns_refresh=False,
        ),
        VendorProfile(
            "outlook",
            "common/oauth2/v2.0/authorize",
            "common/oauth2/v2.0/token",
            rotates=True,
        ),
        VendorProfile(
            "square",
            "oauth2/authorize",
            "oauth2/token",
            revoke_path="oauth2/revoke",
            json_body=True,
            rotates=True,
            access_lifetime_s=30 * 86400,
            error_style="square",
        ),
        VendorProfile(
            "shopify",
            "admin/oauth/authorize",
            "admin/oauth/access_token",
            access_lifetime_s=None,
            issues_refresh=False,
        ),
        VendorProfile(
            "clover",
            "oauth/v2/authorize",
            "oauth/v2/token",
            refresh_path="oauth/v2/refresh",
            json_body=True,
            rotates=True,
            access_lifetime_s=1800,
            error_style="clover",
        ),
        VendorProfile(
            "lightspeed", "connect", "api/1.0/token", rotates=True, access_lifetime_s=604800
        ),
    )
}


def token_body(
    profile: VendorProfile,
    grant_extra: dict,
    *,
    access: str,
    refresh: str,
    lifetime: int | None,
    scope: str,
) -> dict:
    """The vendor's own token-response shape."""
    now = datetime.now(tz=UTC)
    body: dict = {"access_token": access, "token_type": "bearer"}
    if refresh:
        body["refresh_token"] = refresh
    slug = profile.slug
    if slug == "square":
        body.update(
            expires_at=(now + timedelta(seconds=lifetime or 0)).isoformat().replace("+00:00", "Z"),
            merchant_id=grant_extra["account_id"],
            short_lived=False,
        )
        return body
    if slug == "clover":
        body = {
            "access_token": access,
            "access_token_expiration": int(time.time()) + (lifetime or 0),
        }
        if refresh:
            body.update(
                refresh_token=refresh, refresh_token_expiration=int(time.time()) + 86400 * 30
            )
        return body
    if slug == "shopify":
        return {"access_token": access, "scope": scope}
    if slug == "hubspot":
        # HubSpot's token answer: the granted scopes as a list, the portal and the installing
        # user as numbers (token endpoint reference, v1 and 2026-03 alike; seen 2026-12-04).
        body["token_use"] = "access_token"  # noqa: S105 -- a kind of token, not a secret
        body.update(
            expires_in=lifetime,
            scopes=scope.split(),
            hub_id=hub_id(grant_extra["account_id"]),
            user_id=HUBSPOT_USER_ID,
        )
        return body
    if lifetime is not None:
        body["expires_in"] = lifetime
    if scope:
        # Pipedrive lists the app's scopes comma-separated ("base,deals:full,contacts:read":
        # developers.pipedrive.com changelog, "New parameter in OAuth /oauth/token responses",
        # 2020-02-21; checked 2026-12-04).
        body["scope"] = ",".join(scope.split()) if slug == "pipedrive" else scope
    if slug == "salesforce":
        account = grant_extra["account_id"]
        body.update(
            instance_url=f"https://{account.lower()}.my.salesforce.com",
            id=f"https://login.salesforce.com/id/{account}/005{account[3:]}",
            issued_at=str(int(time.time() * 1000)),
            signature="emulated",
        )
    elif slug == "zoho":
        body["api_domain"] = "https://www.zohoapis." + grant_extra.get("dc", "com")
    elif slug == "pipedrive":
        body["api_domain"] = f"https://{grant_extra['account_id']}.pipedrive.com"
    elif slug == "lightspeed":
        body.update(
            domain_prefix=grant_extra["domain_prefix"], expires=int(time.time()) + (lifetime or 0)
        )
    elif slug == "outlook":
        body["ext_expires_in"] = lifetime
    return body


def error_body(profile: VendorProfile, code: str, detail: str) -> tuple[int, dict]:
    """The vendor's own error shape for a token-endpoint refusal, with its HTTP status."""
    if profile.error_style == "zoho":
        # Zoho answers token errors with HTTP 200 and {"error": "invalid_code"}.
        return 200, {"error": "invalid_code" if code == "invalid_grant" else code}
    if profile.error_style == "square":
        square_code = "UNAUTHORIZED" if code == "invalid_grant" else "BAD_REQUEST"
        return 401 if code == "invalid_grant" else 400, {
            "errors": [{"category": "AUTHENTICATION_ERROR", "code": square_code, "detail": detail}]
        }
    if profile.error_style == "clover":
        return 401 if code == "invalid_grant" else 400, {
            "message": "401 Unauthorized",
            "error": code,
        }
    status = 401 if code == "invalid_client" else 400
    body = {"error": code, "error_description": detail}
    if profile.slug == "outlook":
        body["error_codes"] = [70000 if code == "invalid_grant" else 900144]
    return status, body
