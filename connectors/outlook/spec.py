"""Microsoft Outlook calendar through Graph: PKCE; refresh tokens rotate.
Source: VENDORS.md (Microsoft Graph), learn.microsoft.com "OAuth 2.0 authorization code flow"."""

from __future__ import annotations

from connectors.base import ConcurrencyLimit, OAuthSpec, ProviderSpec, RateLimit, ScopeReason

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
    # "Outlook service limits" (learn.microsoft.com/graph/throttling-limits, read 2026-12-05):
    # 10,000 API requests in a 10-minute period per app ID and mailbox (and 4 concurrent
    # requests); over it, 429 with Retry-After. One bucket per mailbox ("account": every
    # connection to it shares it), its window a second longer than Microsoft's (see Google's).
    rate_limits=(RateLimit(10_000, 601, "account", "Microsoft Graph throttling limits: Outlook"),),
    # Same page and section: "4 concurrent requests" per app ID and mailbox. Every attempt
    # holds one of the mailbox's 4 slots while it is in flight (connectors.concurrency).
    concurrency_limits=(
        ConcurrencyLimit(4, "account", "Microsoft Graph throttling limits: Outlook"),
    ),
    changes_expand_series=True,
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
