"""Zoho's data centres come from one table in ``connectors/zoho/spec.py`` that matches the data
centres of Zoho's own v8 Python SDK (``zohocrmsdk8-0``, read in place from the installed
package), and every one of them connects: its accounts server may receive our code, its API
domains may receive our tokens."""

from __future__ import annotations

import inspect
from urllib.parse import urlsplit

import pytest
import responses
from zohocrmsdk.src.com.zoho.crm.api import dc  # test-only dependency (pyproject dev extra)

from connectors.oauth import OAuthError, callback_settings, refresh_grant
from connectors.zoho.spec import DATA_CENTRES


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _refresh(settings, api_domain: str):
    """A token refresh at the EU accounts server whose answer names ``api_domain``."""
    settings.VENDOR_BASE_URL = ""  # Zoho's real URLs, answered by `responses`
    with responses.RequestsMock() as mock:
        mock.post(
            "https://accounts.zoho.eu/oauth/v2/token",
            json={"access_token": "at-1", "expires_in": 3600, "api_domain": api_domain},
        )
        return refresh_grant("zoho", refresh_token="rt-1",
                             tenant={"accounts_server": "https://accounts.zoho.eu"})  # fmt: skip


def _sdk_data_centres() -> dict[str, tuple[str, set[str]]]:
    """Each SDK data centre class: its accounts server and its API domains."""
    found = {}
    for name, cls in inspect.getmembers(dc, inspect.isclass):
        if issubclass(cls, dc.DataCenter) and cls is not dc.DataCenter:
            domains = {cls.PRODUCTION().url, cls.SANDBOX().url, cls.DEVELOPER().url}
            found[name.removesuffix("DataCenter")] = (_origin(cls().get_iam_url()), domains)
    return found


def test_it_lists_exactly_the_data_centres_of_zohos_own_sdk():
    ours = {d.code: (d.accounts_server, set(d.api_domains)) for d in DATA_CENTRES}
    sdk = _sdk_data_centres()
    assert len(sdk) >= 8 and ours == sdk


def test_canadas_accounts_server_is_zohocloud_ca():
    assert _sdk_data_centres()["CA"][0] == "https://accounts.zohocloud.ca"


@pytest.mark.parametrize("centre", DATA_CENTRES, ids=lambda d: d.code)
def test_every_data_centres_accounts_server_may_receive_the_code(centre):
    found = callback_settings("zoho", {"accounts-server": centre.accounts_server})
    assert found == {"accounts_server": centre.accounts_server}


@pytest.mark.parametrize(
    "host",
    ["https://accounts.zoho.ca", "https://accounts.zohocloud.ca.evil.example",
     "https://accounts.zoho.eu@evil.example", "http://accounts.zoho.eu", "https://accounts.zoho.euX"],
)  # fmt: skip
def test_it_refuses_an_accounts_server_that_is_not_zohos(host):
    with pytest.raises(OAuthError):
        callback_settings("zoho", {"accounts-server": host})


@pytest.mark.parametrize("domain", [d for centre in DATA_CENTRES for d in centre.api_domains])
def test_every_data_centres_api_domain_is_kept(settings, domain):
    assert _refresh(settings, domain).settings["api_base"] == domain


@pytest.mark.parametrize(
    "domain", ["https://www.zohoapis.ca.evil.example", "https://evil.zohoapis.ca",
               "https://www.zohoapis.eu/../x", "https://www.zohoapisXeu"],
)  # fmt: skip
def test_it_refuses_an_api_domain_that_is_not_zohos(settings, domain):
    with pytest.raises(OAuthError):
        _refresh(settings, domain)
