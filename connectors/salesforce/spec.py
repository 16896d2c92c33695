"""Salesforce: web-server OAuth flow with PKCE; the API host is the org's ``instance_url``.
Source: VENDORS.md (Salesforce), help.salesforce.com "OAuth 2.0 Web Server Flow"."""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit

SPEC = ProviderSpec(
    slug="salesforce",
    kind="crm",
    display_name="Salesforce",
    auth="oauth2",
    api_base="https://login.salesforce.com",  # replaced by instance_url from the token response
    oauth=OAuthSpec(
        authorize_url="https://login.salesforce.com/services/oauth2/authorize",
        token_url="https://login.salesforce.com/services/oauth2/token",
        revoke_url="https://login.salesforce.com/services/oauth2/revoke",  # POST token=
        revoke_style="form",
        scopes=("api", "refresh_token"),
        pkce=True,  # supported for the web-server flow
        expires_in_missing=True,  # session token; refresh on 401 INVALID_SESSION_ID
        expiry_field="",
        token_settings=(("instance_url", "api_base"),),
        # My Domain, sandbox and classic instance hosts: all under salesforce.com.
        token_host_patterns=(("api_base", r"https://[a-z0-9-]+(\.[a-z0-9-]+)*\.salesforce\.com"),),
        account_id_from="salesforce-id",  # id = https://login.salesforce.com/id/<org>/<user>
    ),
    rate_limits=(
        # Rolling 24 h allowance per org (Enterprise: 100k + per-licence increments)
        RateLimit(100_000, 86_400, "connection", "Salesforce API Request Limits and Allocations"),
    ),
    webhook_scheme="",  # no HMAC webhooks; poll SystemModstamp
    docs="https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta",
)
