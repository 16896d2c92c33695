"""Connections without a consent redirect (a machine login, or the user's own server and
password). Each such provider's package has a ``connect`` module: ``TITLE``, ``HELP``, a
``Form`` and ``connect(cleaned_data) -> (TokenSet, settings)``; this view knows no vendor.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from connectors import oauth, registry, services
from connectors.base import ConnectorError
from connectors.views_connect import chosen_provider, client_from_link


def manual(request: HttpRequest, token: str, provider: str) -> HttpResponse:
    client = client_from_link(request, token)
    if isinstance(client, HttpResponse):
        return client
    chosen_provider(client, provider)
    wire = registry.module_for(provider, "connect")
    if wire is None or registry.get_spec(provider).oauth is not None:
        raise Http404("This provider connects through its consent page.")
    form = wire.Form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tokens, tenant = wire.connect(form.cleaned_data)
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        except (ConnectorError, oauth.OAuthError) as exc:
            form.add_error(None, f"Could not connect: {exc}")
        else:
            services.connection_connect(
                client=client,
                provider=provider,
                tokens=tokens,
                tenant_settings=tenant,
                user=request.user if request.user.is_authenticated else None,
            )
            return redirect("connect:page", token=token)
    context = {
        "client": client,
        "form": form,
        "provider": provider,
        "token": token,
        "title": wire.TITLE,
        "help": wire.HELP,
    }
    return render(request, "connect/manual.html", context)
