"""Toast: machine client credentials (no consent redirect, no refresh token).
Source: VENDORS.md (Toast), https://doc.toasttab.com/doc/devguide/authentication.html"""

from __future__ import annotations

from connectors.base import ProviderSpec, RateLimit

SPEC = ProviderSpec(
    slug="toast",
    kind="pos",
    display_name="Toast",
    auth="client_credentials",
    api_base="https://ws-api.toasttab.com",  # sandbox: ws-sandbox-api.eng.toasttab.com
    login_url="https://ws-api.toasttab.com/authentication/v1/authentication/login",
    rate_limits=(
        # 20 requests/s and 10,000 per 15 minutes per client per restaurant location
        RateLimit(20, 1, "connection", "Toast API rate limiting"),
        RateLimit(10_000, 900, "connection", "Toast API rate limiting"),
    ),
    webhook_scheme="toast-signature",
    docs="https://doc.toasttab.com/doc/devguide/apiRateLimiting.html",
)
