"""HubSpot CRM: OAuth 2.0 public app. Source: VENDORS.md (HubSpot) and
https://developers.hubspot.com/docs/api/oauth-quickstart-guide

The OAuth calls use HubSpot's dated 2026-03 API: the v1 endpoints (token, access-token info,
refresh-token delete) shut off on 16 February 2027 (developer changelog "v1 OAuth API
Deprecation" and its migration guide, read 2026-12-04; docs/vendors/hubspot.md)."""

from __future__ import annotations

from connectors.base import CrmSpec, DealStage, OAuthSpec, ProviderSpec, RateLimit, ScopeReason

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
    scope_reasons=(
        ScopeReason("oauth", "Required by HubSpot for every app that connects."),
        ScopeReason(
            "crm.objects.contacts.read",
            "Find a person already in HubSpot before "
            "adding them, so a lead never becomes a duplicate contact.",
        ),
        ScopeReason(
            "crm.objects.contacts.write",
            "Add or update the contact for each lead your chatbot captures.",
        ),
        ScopeReason(
            "crm.objects.deals.read",
            "Find the deal a lead already has, so a "
            "retried sync moves it instead of making a second one.",
        ),
        ScopeReason(
            "crm.objects.deals.write",
            "Create a deal for a qualified lead and move it as the conversation goes on.",
        ),
        ScopeReason(
            "crm.schemas.contacts.read",
            "Read your contact properties, so a field "
            "mapping names only properties your portal has.",
        ),
        ScopeReason(
            "crm.schemas.deals.read",
            "Check for Switchboard's unique deal key, which keeps a retried sync to one deal.",
            optional=True,
        ),
        ScopeReason(
            "crm.schemas.deals.write",
            "Add that unique deal key once; without it a retry relies on a search.",
            optional=True,
        ),
        ScopeReason(
            "crm.schemas.contacts.write",
            "Add Switchboard's contact properties (lead score, intent, summary) and tag options.",
            optional=True,
        ),
        ScopeReason(
            "communication_preferences.read_write",
            "Unsubscribe a person who asks the chatbot not to be e-mailed.",
            optional=True,
        ),
    ),
    crm=CrmSpec(
        # HubSpot's default sales pipeline (deal stage internal values)
        deal_stages=(
            DealStage("qualified", "qualifiedtobuy"),
            DealStage("booking", "appointmentscheduled"),
            DealStage("purchase", "decisionmakerboughtin"),
        ),
        merge=True,
        opt_out=True,
        custom_fields=True,
        deal_write_key=True,
        tags_on_create=True,
        tags_must_exist=True,  # options of the switchboard_tags property
        write_key_grant="crm.schemas.deals.read and crm.schemas.deals.write",
    ),
)
