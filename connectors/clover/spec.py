"""Clover: expiring tokens with timestamps, single-use refresh tokens, its own refresh URL.
Source: VENDORS.md (Clover), https://docs.clover.com/dev/docs/oauth-flows-in-clover"""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit

SPEC = ProviderSpec(
    slug="clover",
    kind="pos",
    display_name="Clover",
    auth="oauth2",
    api_base="https://api.clover.com",  # NA; EU api.eu.clover.com, LA api.la.clover.com
    oauth=OAuthSpec(
        dead_grant_codes=("invalid_grant", "401 Unauthorized"),
        authorize_url="https://www.clover.com/oauth/v2/authorize",
        token_url="https://api.clover.com/oauth/v2/token",  # JSON body
        refresh_url="https://api.clover.com/oauth/v2/refresh",  # JSON {client_id, refresh_token}
        scopes=(),  # permissions are set in the app settings
        pkce=True,
        token_body="json",
        refresh_rotates=True,
        expiry_field="access_token_expiration",  # epoch seconds
        callback_settings=(("merchant_id", "merchant_id"),),
        callback_host_patterns=(("merchant_id", r"[A-Z0-9]{8,16}"),),
        account_id_from="callback:merchant_id",
    ),
    rate_limits=(
        RateLimit(16, 1, "connection", "Clover API usage and rate limits: per token"),
        RateLimit(50, 1, "app", "Clover API usage and rate limits: per app"),
    ),
    webhook_scheme="clover-auth-code",
    docs="https://docs.clover.com/dev/docs/api-usage-rate-limits",
)
