"""Console forms."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from tenants import providers
from tenants.models import Client


def provider_choices(kind: str) -> Callable[[], list[tuple[str, str]]]:
    """The choices for a kind, read from the registry each time a form is built (a provider
    registered after start-up is offered; the model field has no ``choices``)."""
    return lambda: [("", "---------"), *providers.registry().choices(kind)]


class ProviderChoices(forms.ModelForm):
    """Choice fields for the client's provider per kind, derived from the registry."""

    crm_provider = forms.ChoiceField(choices=provider_choices("crm"), required=False)
    calendar_provider = forms.ChoiceField(choices=provider_choices("calendar"), required=False)
    pos_provider = forms.ChoiceField(choices=provider_choices("pos"), required=False)


class ClientForm(ProviderChoices):
    class Meta:
        model = Client
        fields = [
            "name",
            "slug",
            "time_zone",
            "default_region",
            "contact_email",
            "crm_provider",
            "calendar_provider",
            "pos_provider",
        ]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, initial="Chatbot")
