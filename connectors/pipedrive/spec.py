"""Pipedrive: Basic client auth at the token endpoint; the API host is ``api_domain``.
Source: VENDORS.md (Pipedrive), https://pipedrive.readme.io/docs/marketplace-oauth-authorization"""

from __future__ import annotations

from connectors.base import CrmSpec, DealStage, OAuthSpec, ProviderSpec, RateLimit, ScopeReason

SPEC = ProviderSpec(
    slug="pipedrive",
    kind="crm",
    display_name="Pipedrive",
    auth="oauth2",
    api_base="https://api.pipedrive.com",  # replaced by api_domain (https://{company}.pipedrive.com)
    oauth=OAuthSpec(
        authorize_url="https://oauth.pipedrive.com/oauth/authorize",
        token_url="https://oauth.pipedrive.com/oauth/token",
        revoke_url="https://oauth.pipedrive.com/oauth/revoke",  # token + token_type_hint
        revoke_style="form",
        # Fixed in the Marketplace app settings, not sent in the URL (Pipedrive takes no
        # scope parameter: VENDORS.md; amp-labs/connectors PR 1131 citing Pipedrive's dev
        # community; checked 2026-12-04): base, contacts:full, deals:full, search:read, and
        # contact-fields:full (or admin) to add Switchboard's person fields and the source
        # labels. Without it they are refused, audited (crm.fields.refused, crm.tags.refused),
        # the values go to a note and the rest of the lead still lands. The token answer's
        # comma-separated "scope" is what was granted (Connection.scopes).
        scopes=(),
        client_auth="basic",
        token_settings=(("api_domain", "api_base"),),
        token_host_patterns=(("api_base", r"https://[a-z0-9-]+\.pipedrive\.com"),),
    ),
    rate_limits=(
        # Per-user burst limit per 2-second window, plan-dependent (verify the plan's figure)
        RateLimit(20, 2, "connection", "Pipedrive rate limiting: burst limits (Essential)"),
    ),
    webhook_scheme="basic-auth",
    docs="https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting",
    # The app's scopes are fixed in its Marketplace settings (see above); shown all the same,
    # since Pipedrive's consent screen asks for them.
    scope_reasons=(
        ScopeReason("base", "Required by Pipedrive for every app that connects."),
        ScopeReason(
            "contacts:full", "Find, add and update the person for each lead your chatbot captures."
        ),
        ScopeReason(
            "deals:full",
            "Create a deal for a qualified lead and move it as the conversation goes on.",
        ),
        ScopeReason(
            "search:read",
            "Find a person already in Pipedrive before adding them, "
            "so a lead never becomes a duplicate.",
        ),
        ScopeReason(
            "contact-fields:full",
            "Add Switchboard's person fields and source "
            "labels; refused, the values go to a note on the person.",
            optional=True,
        ),
    ),
    crm=CrmSpec(
        # The stages of the pipeline a new company starts with
        deal_stages=(
            DealStage("qualified", "Qualified"),
            DealStage("booking", "Demo Scheduled"),
            DealStage("purchase", "Proposal Made"),
        ),
        merge=True,
        opt_out=True,
        custom_fields=True,
        tags_must_exist=True,  # person labels
        fields_kept="Their values are kept in a note on the person instead.",
    ),
)
