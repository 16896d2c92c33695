"""HubSpot CRM: OAuth 2.0 public app. Source: VENDORS.md (HubSpot) and
https://developers.hubspot.com/docs/api/oauth-quickstart-guide

The OAuth calls use HubSpot's dated 2026-03 API: the v1 endpoints (token, access-token info,
refresh-token delete) shut off on 16 February 2027 (developer changelog "v1 OAuth API
Deprecation" and its migration guide, read 2026-12-04; docs/vendors/hubspot.md)."""

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
        token_url="https://api.hubapi.com/oauth/2026-03/token",  # form-encoded, as v1 was
        # Replaces DELETE /oauth/v1/refresh-tokens/{token}: the token and the client's
        # credentials in a form body, never in the URL.
        revoke_url="https://api.hubapi.com/oauth/2026-03/token/revoke",
        revoke_style="form-credentials",
        # Replaces GET /oauth/v1/access-tokens/{token}: hub_id, user_id, scopes.
        introspect_url="https://api.hubapi.com/oauth/2026-03/token/introspect",
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
                "crm.schemas.deals.read crm.schemas.deals.write crm.schemas.contacts.write"
                # an opt-out event unsubscribes the person (connectors/hubspot/people.py)
                " communication_preferences.read_write",
            ),
        ),
        # The portal id: the introspection answer's hub_id
        account_id_from="introspect:hub_id",
    ),
    rate_limits=(
        # Public OAuth apps: 110 requests / 10 s per installed account (VENDORS.md)
        RateLimit(110, 10, "connection", "HubSpot API usage guidelines: public apps"),
    ),
    webhook_scheme="hubspot-v3",
    docs="https://developers.hubspot.com/docs/api/usage-details",
)
