"""Zoho CRM v8: per-data-centre accounts server (from the callback) and ``api_domain``.
Source: VENDORS.md (Zoho CRM), https://www.zoho.com/crm/developer/docs/api/v8/oauth-overview.html"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.base import CrmSpec, DealStage, OAuthSpec, ProviderSpec, RateLimit, ScopeReason


@dataclass(frozen=True)
class DataCentre:
    """One Zoho data centre: its accounts server (OAuth) and its CRM API domains."""

    code: str  # the SDK's class prefix: ``CADataCenter`` -> "CA"
    accounts_server: str
    api_domains: tuple[str, ...]  # production, sandbox, developer


def _dc(code: str, accounts_server: str, tld: str) -> DataCentre:
    return DataCentre(code, accounts_server,
                      tuple(f"https://{env}.zohoapis.{tld}" for env in ("www", "sandbox",
                                                                        "developer")))  # fmt: skip


# Every data centre of Zoho's own v8 Python SDK (zohocrmsdk8-0 7.0.0, 2026-07,
# ``zohocrmsdk/src/com/zoho/crm/api/dc/*_data_center.py``: ``get_iam_url`` and the
# PRODUCTION / SANDBOX / DEVELOPER environments; checked 2026-12-04). Canada's accounts server
# is accounts.zohocloud.ca, not accounts.zoho.ca. tests/connectors/zoho/test_data_centres.py
# compares this table with the installed SDK's classes.
DATA_CENTRES: tuple[DataCentre, ...] = (
    _dc("US", "https://accounts.zoho.com", "com"),
    _dc("EU", "https://accounts.zoho.eu", "eu"),
    _dc("IN", "https://accounts.zoho.in", "in"),
    _dc("AU", "https://accounts.zoho.com.au", "com.au"),
    _dc("JP", "https://accounts.zoho.jp", "jp"),
    _dc("CA", "https://accounts.zohocloud.ca", "ca"),
    _dc("SA", "https://accounts.zoho.sa", "sa"),
    _dc("CN", "https://accounts.zoho.com.cn", "com.cn"),
)


def _any_of(urls: list[str]) -> str:
    return "(?:" + "|".join(re.escape(u) for u in urls) + ")"


ACCOUNTS_SERVERS = _any_of([dc.accounts_server for dc in DATA_CENTRES])
API_DOMAINS = _any_of([d for dc in DATA_CENTRES for d in dc.api_domains])

SPEC = ProviderSpec(
    slug="zoho",
    kind="crm",
    display_name="Zoho CRM",
    auth="oauth2",
    api_base="https://www.zohoapis.com",  # replaced by api_domain (e.g. https://www.zohoapis.eu)
    auth_header="zoho-oauthtoken",  # Authorization: Zoho-oauthtoken <token>
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
            # To add the company field (audited); a user who may not customise the org is
            # refused by Zoho and the company goes to a standard field.
            "ZohoCRM.settings.fields.CREATE",
            "ZohoCRM.notifications.ALL",
            "ZohoCRM.coql.READ",
        ),
        scope_separator=",",
        extra_authorize_params=(("access_type", "offline"), ("prompt", "consent")),
        callback_settings=(("accounts-server", "accounts_server"),),
        token_settings=(("api_domain", "api_base"),),
        token_host_patterns=(("api_base", API_DOMAINS),),
        url_defaults=(("accounts_server", "https://accounts.zoho.com"),),
        # Only Zoho's own data centres may receive our code and secret.
        callback_host_patterns=(("accounts_server", ACCOUNTS_SERVERS),),
    ),
    rate_limits=(
        # Credits per rolling 24 h depend on edition; concurrency 5..25 per org (verify)
        RateLimit(10, 1, "connection", "Zoho CRM API limits: concurrency (approximation)"),
    ),
    webhook_scheme="echo-token",  # Notifications API echoes our `token` in the body
    docs="https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html",
    scope_reasons=(
        ScopeReason(
            "ZohoCRM.modules.leads.ALL",
            "Find a person Zoho holds as a lead before "
            "adding a contact, so a lead never becomes a duplicate.",
        ),
        ScopeReason(
            "ZohoCRM.modules.contacts.ALL",
            "Find, add and update the contact for each lead your chatbot captures.",
        ),
        ScopeReason(
            "ZohoCRM.modules.deals.ALL",
            "Create a deal for a qualified lead and move it as the conversation goes on.",
        ),
        ScopeReason("ZohoCRM.modules.notes.ALL", "Log the conversation summary on the contact."),
        ScopeReason(
            "ZohoCRM.settings.fields.READ",
            "Read your fields, so a field mapping names only fields your org has.",
        ),
        ScopeReason(
            "ZohoCRM.settings.fields.CREATE",
            "Add a company field to contacts "
            "(Zoho contacts have none); refused, the company goes to a standard "
            "field.",
        ),
        ScopeReason(
            "ZohoCRM.notifications.ALL", "Hear about changes to records Switchboard wrote."
        ),
        ScopeReason("ZohoCRM.coql.READ", "Search contacts by e-mail or phone in one query."),
    ),
    crm=CrmSpec(
        # The Deals Stage picklist of a new org
        deal_stages=(
            DealStage("qualified", "Qualification"),
            DealStage("booking", "Needs Analysis"),
            DealStage("purchase", "Proposal/Price Quote"),
        ),
        merge=True,
        opt_out=True,
        custom_fields=True,
        fields_kept="The company is written to a standard field instead.",
    ),
)
