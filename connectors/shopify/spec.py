"""Shopify: per-shop hosts, signed callback (hex HMAC), comma-separated scopes.
Source: VENDORS.md (Shopify), https://shopify.dev/docs/apps/build/authentication-authorization"""

from __future__ import annotations

from connectors.base import ConnectInput, OAuthSpec, ProviderSpec, RateLimit, ScopeReason

SPEC = ProviderSpec(
    slug="shopify",
    kind="pos",
    display_name="Shopify POS",
    auth="oauth2",
    api_base="https://{shop}",  # {shop} is the shop's myshopify.com domain
    auth_header="x-shopify-access-token",  # X-Shopify-Access-Token
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
        callback_signature="hmac-sha256-hex",
    ),
    rate_limits=(
        # REST: 40-request bucket leaking 2/s per shop; GraphQL: 100 cost points/s (Standard)
        RateLimit(2, 1, "connection", "Shopify API rate limits: REST leaky bucket"),
    ),
    webhook_scheme="shopify-hmac",
    connect_input=ConnectInput(
        name="shop",
        label="Shop",
        pattern=r"[a-z0-9][a-z0-9-]*",
        suffix=".myshopify.com",
        placeholder="your-store",
    ),
    docs="https://shopify.dev/docs/api/usage/rate-limits",
    scope_reasons=(
        ScopeReason("read_customers", "Recognise a returning customer by phone or e-mail."),
        ScopeReason(
            "write_customers",
            "Add a customer the chatbot met, so their next order is linked to them.",
        ),
        ScopeReason("read_orders", "Tell the chatbot what a customer ordered before."),
        ScopeReason("read_inventory", "Say whether an item is in stock."),
        ScopeReason("read_products", "Name the products in an order."),
        ScopeReason("read_locations", "Say where an item is in stock."),
    ),
)
