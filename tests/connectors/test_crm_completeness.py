"""Every CRM vendor is complete: client with build(), the whole protocol, a mapping, recorded
fixtures for the operations, an emulator mounted at the vendor's paths."""

from __future__ import annotations

import importlib
import inspect
import pathlib

import pytest
from django.urls import Resolver404, resolve

from connectors.base import CrmClient
from connectors.catalog import PROVIDERS_BY_KIND
from connectors.models import Connection
from connectors.registry import client_for

CRMS = PROVIDERS_BY_KIND["crm"]
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


@pytest.mark.parametrize("slug", CRMS)
def test_it_has_a_client_implementing_every_protocol_method(slug):
    module = importlib.import_module(f"connectors.{slug}.client")
    assert callable(module.build)
    client_class = inspect.signature(module.build).return_annotation
    client_class = getattr(module, client_class) if isinstance(client_class, str) else client_class
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
    mapping = importlib.import_module(f"connectors.{slug}.mapping")
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
