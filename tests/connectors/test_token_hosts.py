"""A token response names the API host every later call (and token) goes to: only the vendor's
own hosts are accepted (Salesforce ``instance_url``, Zoho and Pipedrive ``api_domain``)."""

from __future__ import annotations

import pytest
import responses

from connectors.oauth import OAuthError, refresh_grant

TOKEN_URLS = {
    "salesforce": "https://login.salesforce.com/services/oauth2/token",
    "zoho": "https://accounts.zoho.eu/oauth/v2/token",
    "pipedrive": "https://oauth.pipedrive.com/oauth/token",
}
HOST_FIELD = {"salesforce": "instance_url", "zoho": "api_domain", "pipedrive": "api_domain"}
TENANT = {"accounts_server": "https://accounts.zoho.eu"}


def _refresh(settings, vendor: str, host: str):
    settings.VENDOR_BASE_URL = ""  # the vendors' real URLs, answered by `responses`
    with responses.RequestsMock() as mock:
        mock.post(
            TOKEN_URLS[vendor],
            json={"access_token": "at-1", "expires_in": 3600, HOST_FIELD[vendor]: host,
                  "id": "https://login.salesforce.com/id/00D000000000001AAA/005000000000001"},
        )  # fmt: skip
        return refresh_grant(vendor, refresh_token="rt-1", tenant=TENANT)


@pytest.mark.parametrize(
    ("vendor", "host"),
    [
        ("salesforce", "https://acme.my.salesforce.com"),
        ("salesforce", "https://acme--uat.sandbox.my.salesforce.com"),
        ("salesforce", "https://na1.salesforce.com"),
        ("zoho", "https://www.zohoapis.eu"),
        ("pipedrive", "https://acme.pipedrive.com"),
    ],
)
def test_it_keeps_the_vendors_own_api_host(settings, vendor, host):
    assert _refresh(settings, vendor, host).settings["api_base"] == host


@pytest.mark.parametrize(
    ("vendor", "host"),
    [
        ("salesforce", "https://evil.example"),
        ("salesforce", "https://acme.my.salesforce.com.evil.example"),
        ("salesforce", "https://evil.example/.salesforce.com"),
        ("salesforce", "http://acme.my.salesforce.com"),
        ("zoho", "https://www.zohoapis.evil"),
        ("pipedrive", "https://acme.pipedrive.com@evil.example"),
    ],
)
def test_it_refuses_a_token_response_that_names_another_host(settings, vendor, host):
    with pytest.raises(OAuthError) as refused:
        _refresh(settings, vendor, host)
    assert refused.value.permanent and refused.value.code == "bad_response"
