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
    rate_limits=(
        # Per-user per-minute quota set in the Cloud console (default 600/min/user; verify)
        RateLimit(600, 60, "connection", "Google Calendar API usage limits"),
    ),
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
