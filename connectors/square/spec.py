"""Square: JSON token endpoint, PKCE (single-use refresh tokens), ISO ``expires_at``.
Source: VENDORS.md (Square), shared/vendor-specs/square/api.json (ObtainToken, RevokeToken)."""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit, ScopeReason

SPEC = ProviderSpec(
    slug="square",
    kind="pos",
    display_name="Square",
    auth="oauth2",
    api_base="https://connect.squareup.com",  # sandbox: connect.squareupsandbox.com
    default_headers=(("Square-Version", "2025-08-20"),),  # the spec's default version
    oauth=OAuthSpec(
        dead_grant_codes=("UNAUTHORIZED", "ACCESS_TOKEN_REVOKED"),
        authorize_url="https://connect.squareup.com/oauth2/authorize",
        token_url="https://connect.squareup.com/oauth2/token",  # JSON body
        revoke_url="https://connect.squareup.com/oauth2/revoke",  # Authorization: Client <secret>
        revoke_style="client-secret-header",
        scopes=(
            "CUSTOMERS_READ",
            "CUSTOMERS_WRITE",
            "ORDERS_READ",
            "PAYMENTS_READ",
            "INVENTORY_READ",
            "ITEMS_READ",
            "MERCHANT_PROFILE_READ",
        ),
        pkce=True,
        refresh_rotates=True,  # with PKCE the refresh token is single-use (90 days)
        token_body="json",
        expiry_field="expires_at",  # ISO-8601 timestamp, 30 days out
        extra_authorize_params=(("session", "false"),),
        account_id_from="token:merchant_id",
    ),
    rate_limits=(
        # No figures published; a conservative own limit (429 RATE_LIMITED beyond Square's)
        RateLimit(10, 1, "connection", "Square: no published figure; own conservative limit"),
    ),
    webhook_scheme="square-hmac",
    docs="https://developer.squareup.com/docs/oauth-api/overview",
    scope_reasons=(
        ScopeReason("CUSTOMERS_READ", "Recognise a returning customer by phone or e-mail."),
        ScopeReason(
            "CUSTOMERS_WRITE",
            "Add a customer the chatbot met, so their next purchase is linked to them.",
        ),
        ScopeReason("ORDERS_READ", "Tell the chatbot what a customer bought before."),
        ScopeReason("PAYMENTS_READ", "Work out a customer's lifetime value."),
        ScopeReason("INVENTORY_READ", "Say whether an item is in stock."),
        ScopeReason("ITEMS_READ", "Name the items and categories in a purchase."),
        ScopeReason("MERCHANT_PROFILE_READ", "Know which business and locations were connected."),
    ),
)
