"""User-supplied URLs: public IPv6 literals may receive webhooks, inside ones never."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syncs.webhooks.serializers import IPV6_LITERAL, URL_PATTERN

from ..conftest import bearer

PUBLIC_V6 = [
    "https://[2606:4700:4700::1111]/hook",
    "https://[2001:4860:4860::8888]:8443/hooks?x=1",
]
INSIDE_V6 = [
    "https://[::1]/hook",  # loopback
    "https://[::]/hook",  # unspecified
    "https://[fe80::1]/hook",  # link-local
    "https://[fc00::1]/hook",  # unique local (private)
    "https://[fd12:3456::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "https://[::ffff:10.0.0.8]/hook",  # IPv4-mapped private
    "https://[::ffff:169.254.169.254]/hook",  # mapped cloud metadata
    "https://[2002:a00:8::]/hook",  # 6to4 wrapping 10.0.0.8
    "https://[ff02::1]/hook",  # multicast
]


def register(api, world, url: str):
    body = {"url": url, "event_types": ["*"]}
    return api.post("/api/v1/webhook-endpoints", body, format="json", **bearer(world.key_a))


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_V6)
def test_it_registers_a_public_ipv6_literal(api, world, settings, url):
    settings.ALLOW_PRIVATE_URLS = False
    response = register(api, world, url)
    assert response.status_code == 201, response.content
    assert response.json()["url"] == url


@pytest.mark.django_db
@pytest.mark.parametrize("url", INSIDE_V6)
def test_it_refuses_an_inside_ipv6_literal(api, world, settings, url):
    settings.ALLOW_PRIVATE_URLS = False
    response = register(api, world, url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "private, loopback or reserved" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://[:::]/hook", "https://[12345::1]/hook"])
def test_a_malformed_ipv6_literal_is_a_clear_400(api, world, settings, url):
    settings.ALLOW_PRIVATE_URLS = False
    response = register(api, world, url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@given(st.from_regex(f"^{IPV6_LITERAL}$", fullmatch=True))
@hypothesis_settings(max_examples=500, deadline=None)
def test_every_bracketed_host_the_schema_allows_is_a_real_ipv6_address(literal):
    """What the documented pattern accepts is never refused as malformed later."""
    url = f"https://[{literal}]:8443/hook"
    assert re.fullmatch(URL_PATTERN, url)
    assert ipaddress.IPv6Address(urlsplit(url).hostname)
