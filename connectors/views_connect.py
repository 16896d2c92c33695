"""The client's connect page and the OAuth dance: start (state + PKCE) and callback.

``state`` is random, single-use, kept in the browser session with the link it came from, and
valid for 10 minutes; the redirect URI is exact; nothing is stored until the token exchange
succeeded, so a failure at any step leaves no half-connected row.
"""

from __future__ import annotations

import secrets
import time

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connectors import links, oauth, registry, services
from connectors.catalog import KINDS, kind_of
from connectors.models import Connection
from tenants.models import Client

STATE_MAX_AGE_S = 600
SESSION_KEY = "connect_states"
MAX_PENDING = 5

ERRORS: dict[str, tuple[str, str]] = {
    "expired_link": ("This link has expired", "Ask your agency for a new connect link."),
    "invalid_link": ("This link is not valid", "Check that you copied the whole link."),
    "bad_state": (
        "This sign-in cannot be completed",
        "The request was already used, is too old, or came from another browser. Start again "
        "from your connect link.",
    ),
    "denied": ("Access was not granted", "You declined access. Nothing was connected."),
    "vendor_error": ("The provider reported an error", "Nothing was connected. Please retry."),
    "exchange_failed": (
        "The provider did not confirm the connection",
        "We could not obtain access from the provider. Nothing was connected; please retry.",
    ),
    "bad_callback": (
        "The provider's answer did not check out",
        "The reply could not be verified. Nothing was connected; please retry.",
    ),
}


def error_page(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    title, message = ERRORS[reason]
    context = {"title": title, "message": message, "reason": reason}
    return render(request, "connect/error.html", context, status=status)


def client_from_link(request: HttpRequest, token: str) -> Client | HttpResponse:
    try:
        return links.client_for_token(token)
    except links.LinkExpired:
        return error_page(request, "expired_link", 410)
    except links.LinkInvalid:
        return error_page(request, "invalid_link", 404)


def page(request: HttpRequest, token: str) -> HttpResponse:
    client = client_from_link(request, token)
    if isinstance(client, HttpResponse):
        return client
    connections = {c.provider: c for c in Connection.objects.filter(client=client)}
    rows = []
    for kind in KINDS:
        provider = client.provider_for(kind)
        if provider:
            spec = registry.get_spec(provider)
            rows.append({"kind": kind, "spec": spec, "connection": connections.get(provider)})
    context = {
        "client": client,
        "rows": rows,
        "token": token,
        "expires": links.expires_at(token),
    }
    return render(request, "connect/page.html", context)


def chosen_provider(client: Client, provider: str) -> str:
    """Only the provider the agency chose for that kind may be connected through the link."""
    try:
        kind = kind_of(provider)
    except KeyError as exc:
        raise Http404("Unknown provider.") from exc
    if client.provider_for(kind) != provider:
        raise Http404("That provider is not chosen for this client.")
    return provider


@require_POST
def start(request: HttpRequest, token: str, provider: str) -> HttpResponse:
    client = client_from_link(request, token)
    if isinstance(client, HttpResponse):
        return client
    chosen_provider(client, provider)
    spec = registry.get_spec(provider)
    if spec.oauth is None:
        return redirect("connect:manual", token=token, provider=provider)
    tenant: dict[str, str] = {}
    if spec.connect_input is not None:  # e.g. the shop, which the vendor's URLs need
        typed = spec.connect_input.value(request.POST.get(spec.connect_input.name, ""))
        if typed is None:
            return redirect("connect:page", token=token)
        tenant[spec.connect_input.name] = typed
    state = secrets.token_urlsafe(32)
    verifier, challenge = oauth.new_pkce()
    pending = {
        k: v
        for k, v in request.session.get(SESSION_KEY, {}).items()
        if v["created"] > time.time() - STATE_MAX_AGE_S
    }
    pending = dict(sorted(pending.items(), key=lambda kv: kv[1]["created"])[-(MAX_PENDING - 1) :])
    pending[state] = {
        "link": token,
        "client": str(client.public_id),
        "provider": provider,
        "verifier": verifier,
        "tenant": tenant,
        "created": time.time(),
    }
    request.session[SESSION_KEY] = pending
    url = oauth.authorize_url(provider, state=state, code_challenge=challenge, tenant=tenant)
    return redirect(url)


def _pop_state(request: HttpRequest, provider: str) -> dict | None:
    """The pending request for this ``state`` (removed: single-use), if fresh and matching."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(request.GET.get("state", ""), None)
    request.session[SESSION_KEY] = pending
    if entry is None or entry["provider"] != provider:
        return None
    if entry["created"] < time.time() - STATE_MAX_AGE_S:
        return None
    return entry


def callback(request: HttpRequest, provider: str) -> HttpResponse:
    if provider not in registry.PROVIDERS:
        raise Http404("Unknown provider.")
    entry = _pop_state(request, provider)
    if entry is None:
        return error_page(request, "bad_state")
    client = client_from_link(request, entry["link"])
    if isinstance(client, HttpResponse):
        return client
    if str(client.public_id) != entry["client"]:
        return error_page(request, "bad_state")
    if request.GET.get("error"):
        denied = request.GET["error"] in ("access_denied", "consent_required")
        return error_page(request, "denied" if denied else "vendor_error")
    query = request.GET.dict()
    try:
        tenant = {**entry["tenant"], **oauth.callback_settings(provider, query)}
        # The vendor's signature, and the typed value (the shop) the vendor called back for
        # must be the one the person typed.
        if not oauth.callback_signed(provider, query) or any(
            tenant.get(k) != v for k, v in entry["tenant"].items()
        ):
            return error_page(request, "bad_callback")
        tokens = oauth.exchange_code(
            provider, code=query.get("code", ""), code_verifier=entry["verifier"], tenant=tenant
        )
    except oauth.OAuthError as exc:
        return error_page(
            request, "bad_callback" if exc.code == "bad_callback" else "exchange_failed"
        )
    services.connection_connect(
        client=client,
        provider=provider,
        tokens=tokens,
        tenant_settings=tenant,
        user=request.user if request.user.is_authenticated else None,
    )
    return redirect("connect:page", token=entry["link"])
