"""The emulated consent page reads like a vendor's: the vendor's display name, each scope
asked for, and the optional ones apart (HubSpot's ``optional_scope``), styled from our host."""

from __future__ import annotations

import re

import requests

from connectors.hubspot.spec import SPEC as HUBSPOT


def test_it_lists_the_requested_and_the_optional_scopes(dance, world):
    flow = dance("hubspot").start()
    body = requests.get(flow.authorize_url, timeout=10).text
    assert "Allow Switchboard to access your HubSpot account?" in body
    requested = re.search(r'<ul class="scopes" id="requested-scopes">(.*?)</ul>', body, re.S)
    optional = re.search(r'<ul class="scopes" id="optional-scopes">(.*?)</ul>', body, re.S)
    assert requested and optional
    for scope in HUBSPOT.oauth.scopes:
        assert f"<code>{scope}</code>" in requested.group(1)
    assert "<code>crm.schemas.deals.write</code>" in optional.group(1)
    assert "crm.schemas.deals.write" not in requested.group(1)
    assert 'name="refuse_optional"' in body
    assert '<link rel="stylesheet" href="/static/switchboard.css">' in body


def test_comma_separated_scopes_are_listed_one_by_one(dance, world):
    flow = dance("zoho").start()
    body = requests.get(flow.authorize_url, timeout=10).text
    assert "your Zoho" in body and 'id="optional-scopes"' not in body
    scopes = re.findall(r"<li><code>([^<]+)</code></li>", body)
    assert len(scopes) > 1 and all("," not in s for s in scopes)
