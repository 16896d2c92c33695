"""Every CRM vendor is complete: client with build(), the whole protocol, a mapping, recorded
fixtures for the operations, an emulator mounted at the vendor's paths."""

from __future__ import annotations

import importlib
import inspect
import pathlib

import pytest
from django.urls import Resolver404, resolve

from connectors import registry
from connectors.base import CRM_FEATURES, CrmClient
from connectors.models import Connection
from connectors.registry import client_for

CRMS = registry.slugs("crm")
# What each optional feature of a CRM's spec promises of its client class.
FEATURE_METHODS = {
    "merge": ("merge_contacts",),
    "opt_out": ("opt_out", "undo_opt_out"),
    "custom_fields": ("ensure_fields",),
    "deal_write_key": ("ensure_write_key",),
    "tags_must_exist": ("ensure_tags",),
}
FIXTURES = pathlib.Path(__file__).parent
LEAD_FIELDS = {"first_name", "last_name", "email", "phone", "source_tag"}
# One real vendor path per CRM that the client uses, as it appears under /emulators/<slug>.
EMULATED_PATHS = {
    "hubspot": "/crm/v3/objects/contacts/search",
    "salesforce": "/services/data/v62.0/query",
    "zoho": "/crm/v8/Contacts/search",
    "pipedrive": "/api/v2/persons/search",
}


def _protocol_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(CrmClient, inspect.isfunction)
            if not name.startswith("_")}  # fmt: skip


def test_the_protocol_has_the_methods_sync_jobs_rely_on():
    assert {"find_contact", "create_contact", "update_contact", "create_deal", "move_deal",
            "add_note", "delete", "field_catalogue", "tag_contact", "restore_fields",
            "iter_contacts"} <= _protocol_methods()  # fmt: skip


def _client_class(slug: str) -> type:
    module = importlib.import_module(f"{registry.PROVIDERS[slug]}.client")
    assert callable(module.build)
    client_class = inspect.signature(module.build).return_annotation
    return getattr(module, client_class) if isinstance(client_class, str) else client_class


@pytest.mark.parametrize("slug", CRMS)
def test_its_spec_declares_what_its_client_offers(slug):
    spec, client_class = registry.crm_spec(slug), _client_class(slug)
    assert set(FEATURE_METHODS) | {"tags_on_create"} == set(CRM_FEATURES)
    for feature, methods in FEATURE_METHODS.items():
        offered = all(callable(getattr(client_class, m, None)) for m in methods)
        assert offered == registry.crm_feature(slug, feature), f"{slug}: {feature}"
    tags_on_create = bool(getattr(client_class, "tags_on_create", False))
    assert tags_on_create == registry.crm_feature(slug, "tags_on_create"), slug
    assert bool(spec.write_key_grant) == spec.deal_write_key, slug
    assert {s.key for s in spec.deal_stages} >= {"qualified", "booking", "purchase"}, slug


@pytest.mark.parametrize("slug", CRMS)
def test_it_has_a_client_implementing_every_protocol_method(slug):
    client_class = _client_class(slug)
    for name in _protocol_methods():
        ours = inspect.signature(getattr(client_class, name))
        theirs = inspect.signature(getattr(CrmClient, name))
        names = list(ours.parameters)
        assert names[: len(theirs.parameters)] == list(theirs.parameters), f"{slug}.{name}"
        # More is allowed only as an optional capability (HubSpot's tags on create).
        extra = [ours.parameters[n] for n in names[len(theirs.parameters) :]]
        assert all(p.default is not inspect.Parameter.empty for p in extra), f"{slug}.{name}"


@pytest.mark.django_db
@pytest.mark.parametrize("slug", CRMS)
def test_the_registry_builds_it(slug, world):
    client = client_for(Connection(client=world.client_a, provider=slug, kind="crm"))
    assert hasattr(client, "find_contact")


@pytest.mark.parametrize("slug", CRMS)
def test_it_has_a_default_mapping_of_the_core_lead_fields(slug):
    mapping = registry.mapping_for(slug)
    assert set(mapping.DEFAULT_FIELD_MAP) >= LEAD_FIELDS
    assert all(isinstance(v, str) and v for v in mapping.DEFAULT_FIELD_MAP.values())


@pytest.mark.parametrize("slug", CRMS)
def test_it_has_recorded_fixtures_named_operation_status(slug):
    names = [p.stem for p in (FIXTURES / slug / "fixtures").glob("*.json")]
    assert len(names) >= 8
    for name in names:
        assert any(p.isdigit() and len(p) == 3 for p in name.split("_")), name
    assert any("_2" in n for n in names) and any("_4" in n for n in names)  # success and error


@pytest.mark.parametrize("slug", CRMS)
def test_it_has_an_emulator_at_the_vendors_paths(slug):
    try:
        match = resolve(f"/emulators/{slug}{EMULATED_PATHS[slug]}")
    except Resolver404:
        pytest.fail(f"no emulator route for {slug}")
    assert match.func.__module__ == f"emulators.crm.{slug}"
