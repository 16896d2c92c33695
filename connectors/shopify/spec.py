"""Shopify: per-shop hosts, signed callback (hex HMAC), comma-separated scopes.
Source: VENDORS.md (Shopify), https://shopify.dev/docs/apps/build/authentication-authorization"""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit

SPEC = ProviderSpec(
    slug="shopify",
    kind="pos",
    display_name="Shopify POS",
    auth="oauth2",
    api_base="https://{shop}",  # {shop} is the shop's myshopify.com domain
    auth_header="shopify",  # X-Shopify-Access-Token
    oauth=OAuthSpec(
        authorize_url="https://{shop}/admin/oauth/authorize",
        token_url="https://{shop}/admin/oauth/access_token",
        scopes=(
            "read_customers",
            "write_customers",
            "read_orders",
            "read_inventory",
            "read_products",
            "read_locations",
        ),
        scope_separator=",",
        callback_settings=(("shop", "shop"),),
        callback_host_patterns=(("shop", r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com"),),
        expiry_field="",  # offline tokens do not expire
        account_id_from="settings:shop",
    ),
    rate_limits=(
        # REST: 40-request bucket leaking 2/s per shop; GraphQL: 100 cost points/s (Standard)
        RateLimit(2, 1, "connection", "Shopify API rate limits: REST leaky bucket"),
    ),
    webhook_scheme="shopify-hmac",
    docs="https://shopify.dev/docs/api/usage/rate-limits",
)
