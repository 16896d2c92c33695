"""Console forms."""

from __future__ import annotations

from django import forms

from tenants.models import Client


class ClientForm(forms.ModelForm):
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
