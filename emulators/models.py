"""The emulated vendors' own state: grants, tokens, fault switches.

This is the *vendor's* side of OAuth, so it lives apart from ``connectors.models``. Tokens are
kept as SHA-256 digests, as a careful vendor would, so the demo database holds none in clear.
"""

from __future__ import annotations

import hashlib

from django.db import models


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EmulatorGrant(models.Model):
    """One authorisation a (fake) account gave our app: the code, then the token family."""

    provider = models.CharField(max_length=32, db_index=True)
    account_id = models.CharField(max_length=64)
    client_id = models.CharField(max_length=200)
    scopes = models.JSONField(default=list, blank=True)
    redirect_uri = models.TextField(blank=True)
    code_digest = models.CharField(max_length=64, blank=True, db_index=True)
    code_challenge = models.CharField(max_length=200, blank=True)
    code_challenge_method = models.CharField(max_length=16, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_used_at = models.DateTimeField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)  # shop, merchant_id, api_domain, ...
    token_calls = models.PositiveIntegerField(default=0)  # token-endpoint calls (tests assert)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider}:{self.account_id}"


class EmulatorToken(models.Model):
    """An access or refresh token the emulator issued, by digest."""

    ACCESS = "access"
    REFRESH = "refresh"

    grant = models.ForeignKey(EmulatorGrant, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=8, choices=[(ACCESS, ACCESS), (REFRESH, REFRESH)])
    token_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)  # a rotating refresh token, spent
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.grant} {self.kind}"


class EmulatorSwitch(models.Model):
    """Per-provider fault switches and knobs, shared by every process through the database.

    ``config`` keys: ``latency_s``, ``fail_429`` (count of next token calls to refuse),
    ``retry_after``, ``fail_500`` (count), ``access_lifetime_s``, ``refresh_lifetime_s``,
    ``revoke_grants`` (every refresh answers invalid_grant), ``deny`` (consent auto-denied).
    """

    provider = models.CharField(max_length=32, unique=True)
    config = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.provider
