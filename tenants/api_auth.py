"""API-key authentication and permission for the chatbot-vendor API (the rate: ``api_rate``).

Keys travel only in ``Authorization: Bearer <key>``. A key in the query string is refused
(it would land in access logs). Failed attempts are counted per address, and once an address
has failed ``API_AUTH_FAILURES_PER_MINUTE`` times its further failures get 429 instead of 401.

The counter throttles failures only: a valid key is always served, whatever other callers
behind the same address (a NAT, a vendor's egress) got wrong. Checking the counter before the
key let 30 bad keys lock every valid key of that address out for a minute. Keys carry 256
random bits (``tenants.models.hash_api_key``), so guessing is hopeless at any rate; the
throttle keeps a guesser's requests cheap and visible, not the key space safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from common.counters import add_to_counter
from common.problems import ProblemError
from common.query_params import QUERY_KEY_NAMES
from tenants import api_key_cache
from tenants.models import ApiKey, Client, hash_api_key

LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class ClientPrincipal:
    """``request.user`` for API calls: the client a valid key belongs to."""

    client: Client
    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def pk(self) -> int:
        return self.api_key.pk


def _failure_key(request: Request) -> str:
    return f"apiauth:fail:{request.META.get('REMOTE_ADDR', '?')}"


class AuthenticationProblem(ProblemError, exceptions.AuthenticationFailed):
    """A 401 problem that DRF treats as a failed authentication, so it carries the
    authenticator's ``WWW-Authenticate`` challenge (a 401 must carry one: RFC 9110 §15.5.2)."""


def _fail(request: Request, slug: str, detail: str, failures: int) -> APIException:
    """Count this failure for the address; refuse it with 401, or with 429 once the address
    has failed too often (``failures`` is the count read before this request)."""
    add_to_counter(_failure_key(request), 1, timeout=60)  # exact on every cache backend
    if failures >= settings.API_AUTH_FAILURES_PER_MINUTE:
        return exceptions.Throttled(wait=60, detail="Too many failed authentication attempts.")
    return AuthenticationProblem(slug, detail)


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer sb_live_…`` → the key's client."""

    def authenticate(self, request: Request) -> tuple[ClientPrincipal, ApiKey] | None:
        if any(name in request.query_params for name in QUERY_KEY_NAMES):
            raise ProblemError(
                "api-key-in-query",
                "Send the API key in the Authorization header, never in the URL.",
            )
        header = get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        raw = None
        if len(parts) == 2 and parts[0].lower() == b"bearer" and parts[1].isascii():
            raw = parts[1].decode("ascii")
        digest = hash_api_key(raw) if raw is not None else None
        # The failure counter and this key's cached row (tenants.api_key_cache), in one read.
        names = [_failure_key(request)]
        if digest:
            names.append(api_key_cache.cache_name(digest))
        cached = cache.get_many(names)
        failures = int(cached.get(names[0]) or 0)
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            raise _fail(
                request, "invalid-api-key", "Use 'Authorization: Bearer <api key>'.", failures
            )
        if digest is None:
            raise _fail(request, "invalid-api-key", "The API key is not valid.", failures)
        key = api_key_cache.cached_key(cached.get(api_key_cache.cache_name(digest)))
        if key is None:
            key = self._lookup(request, digest, failures)
        return ClientPrincipal(client=key.client, api_key=key), key

    def _lookup(self, request: Request, digest: str, failures: int) -> ApiKey:
        """The key from the database (a cache miss): refused if unknown or revoked, else its
        last use is recorded and it is cached, so this runs about once a minute per key."""
        key = (
            ApiKey.objects.select_related("client", "client__agency")
            .filter(key_hash=digest)
            .first()
        )
        if key is None:
            raise _fail(request, "invalid-api-key", "The API key is not valid.", failures)
        if not key.is_active:
            raise _fail(request, "api-key-revoked", "This API key has been revoked.", failures)
        self._touch(key)
        api_key_cache.remember(key)
        return key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    @staticmethod
    def _touch(key: ApiKey) -> None:
        """Record last use, at most once a minute per key so hot keys do not write every call.

        Runs on a cache miss only, so ``last_used_at`` is at most about two minutes behind."""
        now = timezone.now()
        if (
            key.last_used_at is None
            or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now


class IsClientKey(BasePermission):
    """Only requests authenticated by an active client API key."""

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.user, ClientPrincipal)


def request_key_hash(request: Request) -> str:
    """The hash of the API key an authenticated request came with (its per-key counters)."""
    principal = request.user
    assert isinstance(principal, ClientPrincipal)
    return principal.api_key.key_hash


def request_client(request: Request) -> Client:
    """The client of an authenticated API request."""
    principal = request.user
    assert isinstance(principal, ClientPrincipal)
    return principal.client


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sb_live_…",
            "description": "A client API key, created in the staff console.",
        }
