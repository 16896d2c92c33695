"""The registry covers the catalogue, and vendor URLs are rewritten in one place."""

from __future__ import annotations

import importlib.util

import pytest

from connectors import registry
from connectors.catalog import PROVIDERS_BY_KIND
from connectors.models import Connection


def test_it_has_a_spec_of_the_right_kind_for_every_catalogued_provider():
    for kind, slugs in PROVIDERS_BY_KIND.items():
        for slug in slugs:
            spec = registry.get_spec(slug)
            assert (spec.slug, spec.kind) == (slug, kind)
    assert sorted(registry.PROVIDERS) == sorted(s for v in PROVIDERS_BY_KIND.values() for s in v)


def test_it_declares_oauth_for_oauth_providers_and_cites_sources():
    for spec in registry.all_specs():
        assert (spec.oauth is not None) == (spec.auth == "oauth2"), spec.slug
        assert spec.docs.startswith("https://"), spec.slug
        assert all(limit.source for limit in spec.rate_limits), spec.slug


def test_it_builds_clients_only_where_a_client_module_is_complete():
    for slug, module in registry.PROVIDERS.items():
        if importlib.util.find_spec(f"{module}.client") is None:
            continue
        client_module = importlib.import_module(f"{module}.client")
        assert callable(getattr(client_module, "build", None)), f"{slug}.client lacks build()"


def test_it_rewrites_vendor_urls_to_the_emulator_keeping_the_path(settings):
    settings.VENDOR_BASE_URL = "http://127.0.0.1:9/emulators"
    url = registry.vendor_url("hubspot", "https://api.hubapi.com/oauth/v1/token?x=1")
    assert url == "http://127.0.0.1:9/emulators/hubspot/oauth/v1/token?x=1"
    assert registry.vendor_url("hubspot", url) == url
    assert (
        registry.vendor_url("caldav", "https://caldav.icloud.com/") == "https://caldav.icloud.com/"
    )
    settings.VENDOR_BASE_URL = ""
    assert registry.vendor_url("hubspot", "https://api.hubapi.com/x") == "https://api.hubapi.com/x"


def test_it_routes_api_calls_to_the_per_tenant_host(settings):
    settings.VENDOR_BASE_URL = ""
    sf = Connection(provider="salesforce", settings={"api_base": "https://acme.my.salesforce.com"})
    assert registry.api_base_for(sf) == "https://acme.my.salesforce.com"
    shop = Connection(provider="shopify", settings={"shop": "acme.myshopify.com"})
    assert registry.api_base_for(shop) == "https://acme.myshopify.com"
    assert registry.api_base_for(Connection(provider="google")) == "https://www.googleapis.com"
    settings.VENDOR_BASE_URL = "http://emu/emulators"
    assert registry.api_base_for(sf) == "http://emu/emulators/salesforce"


def test_it_refuses_unknown_slugs():
    with pytest.raises(registry.UnknownProvider):
        registry.get_spec("myspace")
