"""Microsoft Outlook calendar through Graph: PKCE; refresh tokens rotate.
Source: VENDORS.md (Microsoft Graph), learn.microsoft.com "OAuth 2.0 authorization code flow"."""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit, ScopeReason

SPEC = ProviderSpec(
    slug="outlook",
    kind="calendar",
    display_name="Microsoft Outlook",
    auth="oauth2",
    api_base="https://graph.microsoft.com",  # /v1.0/me/...
    oauth=OAuthSpec(
        authorize_url="https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_url="https://login.microsoftonline.com/common/oauth2/v2.0/token",
        scopes=("offline_access", "Calendars.ReadWrite", "User.Read"),
        pkce=True,
        refresh_rotates=True,  # a new refresh token with every refresh; store it atomically
        extra_authorize_params=(("response_mode", "query"),),
    ),
    rate_limits=(
        # Outlook: 10,000 requests per 10 minutes per app per mailbox
        RateLimit(10_000, 600, "connection", "Microsoft Graph throttling limits: Outlook"),
    ),
    webhook_scheme="graph-client-state",
    docs="https://learn.microsoft.com/graph/throttling-limits",
    scope_reasons=(
        ScopeReason("offline_access", "Stay connected without asking you to sign in again."),
        ScopeReason(
            "Calendars.ReadWrite",
            "See when you are busy and book, move or cancel "
            "the appointments the chatbot agrees with your customers.",
        ),
        ScopeReason("User.Read", "Know which Microsoft account was connected."),
    ),
)
