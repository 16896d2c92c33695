"""The registry covers the catalogue, and vendor URLs are rewritten in one place."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from django.conf import settings as live_settings

from connectors import catalog, registry
from connectors.base import AUTH_KINDS, KINDS
from connectors.models import Connection


def test_it_has_a_spec_of_the_right_kind_for_every_catalogued_provider():
    for kind, slugs in catalog.providers_by_kind().items():
        for slug in slugs:
            spec = registry.get_spec(slug)
            assert (spec.slug, spec.kind) == (slug, kind)
            assert catalog.kind_of(slug) == kind
    catalogued = [s for v in catalog.providers_by_kind().values() for s in v]
    assert sorted(registry.PROVIDERS) == sorted(catalogued)
    assert all(registry.get_spec(s).auth in AUTH_KINDS for s in registry.PROVIDERS)
    assert tuple(catalog.providers_by_kind()) == KINDS


def test_it_reads_app_credentials_in_settings_for_every_provider_that_holds_them():
    for slug in registry.PROVIDERS:
        held = hasattr(live_settings, f"{slug.upper()}_CLIENT_ID")
        assert held == registry.needs_app_credentials(slug), slug
        assert held == hasattr(live_settings, f"{slug.upper()}_CLIENT_SECRET"), slug


def test_every_scope_asked_for_is_explained():
    for spec in registry.all_specs():
        if spec.oauth is None:
            assert not spec.scope_reasons, spec.slug
            continue
        optional = dict(spec.oauth.extra_authorize_params).get("optional_scope", "")
        asked = {*spec.oauth.scopes, *optional.split()}
        explained = {r.scope: r for r in spec.scope_reasons}
        assert asked <= set(explained), (spec.slug, asked - set(explained))
        assert all(explained[s].optional for s in optional.split()), spec.slug
        assert all(r.why.endswith(".") for r in spec.scope_reasons), spec.slug


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


def test_it_answers_about_crm_features_and_refuses_what_is_not_one():
    assert registry.crm_feature("hubspot", "deal_write_key")
    assert not registry.crm_feature("zoho", "deal_write_key")
    with pytest.raises(ValueError, match="unknown CRM feature"):
        registry.crm_feature("hubspot", "teleport")
    with pytest.raises(registry.UnknownProvider):
        registry.crm_spec("google")  # a calendar


def test_it_refuses_to_register_a_package_whose_spec_is_another_providers(tmp_path, monkeypatch):
    from .throwaway.package import write_package

    write_package(tmp_path, "acme_crm", "http://127.0.0.1:9")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ValueError, match="'acme' of kind 'crm'"):
            registry.register("other", "acme_crm")
    finally:  # later tests write their own acme_crm
        for name in [m for m in sys.modules if m.split(".")[0] == "acme_crm"]:
            del sys.modules[name]
    assert "other" not in registry.PROVIDERS
    with pytest.raises(ModuleNotFoundError):
        registry.register("ghost", "no_such_package")
    assert "ghost" not in registry.PROVIDERS
