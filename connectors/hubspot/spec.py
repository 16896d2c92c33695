"""HubSpot CRM: OAuth 2.0 public app. Source: VENDORS.md (HubSpot) and
https://developers.hubspot.com/docs/api/oauth-quickstart-guide"""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit

SPEC = ProviderSpec(
    slug="hubspot",
    kind="crm",
    display_name="HubSpot",
    auth="oauth2",
    api_base="https://api.hubapi.com",  # all CRM v3 calls
    oauth=OAuthSpec(
        authorize_url="https://app.hubspot.com/oauth/authorize",  # EU: app-eu1.hubspot.com
        token_url="https://api.hubapi.com/oauth/v1/token",  # form-encoded
        # DELETE /oauth/v1/refresh-tokens/{token} revokes the refresh token
        revoke_url="https://api.hubapi.com/oauth/v1/refresh-tokens/{token}",
        revoke_style="hubspot",
        scopes=(
            "oauth",
            "crm.objects.contacts.read",
            "crm.objects.contacts.write",
            "crm.objects.deals.read",
            "crm.objects.deals.write",
            "crm.schemas.contacts.read",
        ),
        # Optional: let us read and add the unique deal property that makes a deal create
        # idempotent (connectors.hubspot.client.WRITE_KEY_PROPERTY; without them deals are
        # plain creates), and add Switchboard's contact properties and tag options
        # (connectors.hubspot.properties; without it only what the portal has is written).
        # HubSpot's optional_scope is space-separated, like scope; the token answer's
        # ``scopes`` list says which were granted (kept in Connection.scopes).
        extra_authorize_params=(
            (
                "optional_scope",
                "crm.schemas.deals.read crm.schemas.deals.write crm.schemas.contacts.write",
            ),
        ),
        # The portal id: GET /oauth/v1/access-tokens/{token} -> hub_id (token info endpoint)
        account_id_from="token-info:hub_id",
    ),
    rate_limits=(
        # Public OAuth apps: 110 requests / 10 s per installed account (VENDORS.md)
        RateLimit(110, 10, "connection", "HubSpot API usage guidelines: public apps"),
    ),
    webhook_scheme="hubspot-v3",
    docs="https://developers.hubspot.com/docs/api/usage-details",
)
