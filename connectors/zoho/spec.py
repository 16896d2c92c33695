"""Zoho CRM v8: per-data-centre accounts server (from the callback) and ``api_domain``.
Source: VENDORS.md (Zoho CRM), https://www.zoho.com/crm/developer/docs/api/v8/oauth-overview.html"""

from __future__ import annotations

from connectors.base import OAuthSpec, ProviderSpec, RateLimit

SPEC = ProviderSpec(
    slug="zoho",
    kind="crm",
    display_name="Zoho CRM",
    auth="oauth2",
    api_base="https://www.zohoapis.com",  # replaced by api_domain (e.g. https://www.zohoapis.eu)
    auth_header="zoho",  # Authorization: Zoho-oauthtoken <token>
    oauth=OAuthSpec(
        dead_grant_codes=("invalid_code",),
        authorize_url="https://accounts.zoho.com/oauth/v2/auth",  # redirects to the user's DC
        token_url="{accounts_server}/oauth/v2/token",
        revoke_url="{accounts_server}/oauth/v2/token/revoke",  # POST ?token=<refresh token>
        revoke_style="form",
        scopes=(
            "ZohoCRM.modules.leads.ALL",
            "ZohoCRM.modules.contacts.ALL",
            "ZohoCRM.modules.deals.ALL",
            "ZohoCRM.modules.notes.ALL",
            "ZohoCRM.settings.fields.READ",
            "ZohoCRM.notifications.ALL",
            "ZohoCRM.coql.READ",
        ),
        scope_separator=",",
        extra_authorize_params=(("access_type", "offline"), ("prompt", "consent")),
        callback_settings=(("accounts-server", "accounts_server"),),
        token_settings=(("api_domain", "api_base"),),
        token_host_patterns=(
            ("api_base", r"https://www\.zohoapis\.(com|eu|in|com\.au|jp|ca|sa|com\.cn)"),
        ),
        url_defaults=(("accounts_server", "https://accounts.zoho.com"),),
        # Only Zoho's own data centres may receive our code and secret.
        callback_host_patterns=(
            ("accounts_server", r"https://accounts\.zoho\.(com|eu|in|com\.au|jp|ca|sa|com\.cn)"),
        ),
    ),
    rate_limits=(
        # Credits per rolling 24 h depend on edition; concurrency 5..25 per org (verify)
        RateLimit(10, 1, "connection", "Zoho CRM API limits: concurrency (approximation)"),
    ),
    webhook_scheme="echo-token",  # Notifications API echoes our `token` in the body
    docs="https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html",
)
