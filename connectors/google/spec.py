"""Google Calendar: offline access with PKCE; refresh tokens are not rotated.
Source: VENDORS.md (Google Calendar), https://developers.google.com/identity/protocols/oauth2/web-server"""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit, ScopeReason

SPEC = ProviderSpec(
    slug="google",
    kind="calendar",
    display_name="Google Calendar",
    auth="oauth2",
    api_base="https://www.googleapis.com",  # /calendar/v3/...
    oauth=OAuthSpec(
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",
        revoke_url="https://oauth2.googleapis.com/revoke",  # POST token=
        revoke_style="form",
        # Events read/write and read-only calendar list/free-busy: not the full account scope.
        scopes=(
            "https://www.googleapis.com/auth/calendar.events",
            "https://www.googleapis.com/auth/calendar.readonly",
        ),
        pkce=True,
        extra_authorize_params=(
            ("access_type", "offline"),  # without it no refresh token is issued
            ("prompt", "consent"),
            ("include_granted_scopes", "true"),
        ),
    ),
    # "Usage limits" (developers.google.com/workspace/calendar/api/guides/quota, read
    # 2026-12-05): per minute per project 10,000 requests, per minute per user per project 600,
    # "calculated per minute using a sliding window"; over either, 403 or 429 usageLimits. Our
    # buckets are Google's own windows: a slot comes back a minute after its call's answer,
    # which came after Google counted the call, so no margin is needed for a call that reaches
    # Google late (connectors.ratelimit). A project whose console quota differs sets it in
    # settings.VENDOR_QUOTAS ({"google": {"app": N}}).
    rate_limits=(
        RateLimit(10_000, 60, "app", "Calendar API usage limits: per minute per project"),
        RateLimit(600, 60, "account", "Calendar API usage limits: per minute per user"),
    ),
    changes_expand_series=True,
    webhook_scheme="channel-token",
    docs="https://developers.google.com/calendar/api/guides/quota",
    scope_reasons=(
        ScopeReason(
            "https://www.googleapis.com/auth/calendar.events",
            "Book appointments the chatbot agrees with your customers, and move or cancel them.",
        ),
        ScopeReason(
            "https://www.googleapis.com/auth/calendar.readonly",
            "See when you are busy across your calendars, so no slot is offered twice.",
        ),
    ),
)
