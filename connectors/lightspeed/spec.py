"""Lightspeed Retail X-Series: per-store ``domain_prefix`` host; refresh tokens rotate.
Source: VENDORS.md (Lightspeed X-Series), https://x-series-api.lightspeedhq.com/docs/authorization"""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit

SPEC = ProviderSpec(
    slug="lightspeed",
    kind="pos",
    display_name="Lightspeed Retail (X-Series)",
    auth="oauth2",
    api_base="https://{domain_prefix}.retail.lightspeed.app",  # /api/2.0/...
    oauth=OAuthSpec(
        authorize_url="https://secure.retail.lightspeed.app/connect",
        token_url="https://{domain_prefix}.retail.lightspeed.app/api/1.0/token",  # form
        scopes=(),
        refresh_rotates=True,  # since March 2025 the old refresh token is revoked on use
        callback_settings=(("domain_prefix", "domain_prefix"),),
        callback_host_patterns=(("domain_prefix", r"[a-z0-9][a-z0-9-]{0,62}"),),
        account_id_from="settings:domain_prefix",
    ),
    rate_limits=(
        # X-Series: 300 requests per 5 minutes per store (verify against current docs)
        RateLimit(300, 300, "connection", "Lightspeed X-Series API rate limiting"),
    ),
    webhook_scheme="lightspeed-hmac",
    docs="https://x-series-api.lightspeedhq.com/docs/rate_limiting",
)
