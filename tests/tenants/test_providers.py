"""tenants asks the provider registry through the setting that names it, never by import."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connectors import registry
from tenants import providers
from tenants.forms import provider_choices
from tenants.models import ProviderOfKind


def test_it_asks_the_registry_the_settings_name():
    assert providers.registry() is registry


def test_the_validator_and_the_form_offer_the_registrys_providers():
    assert provider_choices("calendar")()[1:] == registry.choices("calendar")
    ProviderOfKind("crm")(registry.slugs("crm")[0])
    with pytest.raises(ValidationError, match="not a pos provider; one of: "):
        ProviderOfKind("pos")(registry.slugs("crm")[0])


def test_a_registry_named_in_settings_is_the_one_asked(settings):
    settings.PROVIDER_REGISTRY = "tests.tenants.one_provider_registry"
    assert [slug for slug, _ in provider_choices("crm")()] == ["", "only-crm"]
    ProviderOfKind("crm")("only-crm")
    with pytest.raises(ValidationError, match="one of: only-crm"):
        ProviderOfKind("crm")(registry.slugs("crm")[0])
