"""Salesforce: web-server OAuth flow with PKCE; the API host is the org's ``instance_url``.
Source: VENDORS.md (Salesforce), help.salesforce.com "OAuth 2.0 Web Server Flow"."""

from __future__ import annotations

from connectors.base import CrmSpec, DealStage, OAuthSpec, ProviderSpec, RateLimit, ScopeReason

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
    scope_reasons=(
        ScopeReason(
            "api",
            "Find, add and update contacts, opportunities and tasks for the "
            "leads your chatbot captures, and add Switchboard's contact fields where "
            "your profile allows.",
        ),
        ScopeReason("refresh_token", "Stay connected without asking you to sign in again."),
    ),
    crm=CrmSpec(
        # The Opportunity StageName picklist of a new org
        deal_stages=(
            DealStage("qualified", "Qualification"),
            DealStage("booking", "Needs Analysis"),
            DealStage("purchase", "Proposal/Price Quote"),
        ),
        merge=True,
        opt_out=True,
        custom_fields=True,
        tags_on_create=True,  # a Description line, set in the create itself
        fields_kept="Their values are kept on lines of the contact's Description instead.",
    ),
)
