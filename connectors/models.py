"""Connections: one client's authorised link to one vendor account."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

from connectors.catalog import KINDS
from connectors.crypto import EncryptedTextField
from tenants.models import Client


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
    ERROR = "error", "Error"
    DISABLED = "disabled", "Disabled"


class Connection(models.Model):
    """A client's connection to one provider. Tokens are encrypted; never log or render them.

    ``settings`` holds the per-tenant, non-secret facts the vendor hands back at connect time:
    the API base (Salesforce ``instance_url``, Zoho/Pipedrive ``api_domain``), Zoho's accounts
    server, Shopify's shop, Clover's region and merchant id, Lightspeed's domain prefix, a
    CalDAV server URL and user name, Toast's restaurant guid.
    """

    # Indexed by one_connection_per_provider (client, provider), which it leads.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="connections", db_index=False
    )
    provider = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=[(k, k) for k in KINDS])
    status = models.CharField(
        max_length=16,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.ACTIVE,
        db_index=True,
    )
    external_account_id = models.CharField(max_length=255, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_failures = models.PositiveIntegerField(default=0)
    refresh_cooldown_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    shadow_mode = models.BooleanField(
        default=False,
        help_text="Record what jobs would write, send nothing.",
    )
    connected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "provider"], name="one_connection_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.provider} ({self.status})"

    @property
    def is_usable(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE

    def expires_within(self, delta: timedelta) -> bool:
        return self.token_expires_at is not None and self.token_expires_at <= timezone.now() + delta


class ConnectionIssue(models.Model):
    """A health problem shown in the console until it resolves (e.g. on reconnect)."""

    class Kind(models.TextChoices):
        NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
        REFRESH_FAILING = "refresh_failing", "Token refresh failing"
        RATE_LIMITED = "rate_limited", "Rate limited"
        # Works, with less protection: e.g. HubSpot without crm.schemas.deals.write cannot hold
        # a retried deal create to one deal (the CRM client's ensure_write_key).
        LIMITED = "limited", "Working with less protection"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="connection_issues")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="issues")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.TextField()
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_issue_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection}: {self.kind}"


class ApiCall(models.Model):
    """One outbound vendor call: what, where, how it went. Never a secret, never a body."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="api_calls")
    # Indexed by (connection, -created_at) below, which it leads (the connection's call log).
    connection = models.ForeignKey(
        Connection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_calls",
        db_index=False,
    )
    provider = models.CharField(max_length=32)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    error = models.CharField(max_length=255, blank=True)
    # Rate-limit state: how long this attempt was held first (our buckets, a vendor's
    # Retry-After, backoff), and what the vendor's answer said is left of its window
    # (``connectors.vendor_replies.rate_limit_state``; None where the vendor does not say).
    waited_ms = models.PositiveIntegerField(default=0)
    rate_remaining = models.PositiveIntegerField(null=True, blank=True)
    rate_limit = models.PositiveIntegerField(null=True, blank=True)
    # When the call was made (not when its row was written: a job writes its calls in batches).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["connection", "-created_at"], name="apicall_conn_time_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.provider}{self.path} → {self.status}"
