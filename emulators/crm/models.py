"""The emulated CRMs' records and per-account knobs (the vendor's database, not ours)."""

from __future__ import annotations

from django.db import models


class EmuRecord(models.Model):
    """One record in one emulated CRM account, in the vendor's own field names.

    ``object_type`` is the vendor's name ("contacts", "Contact", "Contacts", "persons").
    ``email_key``/``phone_key`` are indexed copies so searches stay fast with many records.
    ``links`` holds what the vendor keeps beside fields: associations, tags, labels.
    """

    vendor = models.CharField(max_length=16)
    account_id = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40)
    ext_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    links = models.JSONField(default=dict)
    email_key = models.CharField(max_length=254, blank=True, db_index=True)
    phone_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "ext_id"], name="emu_crm_unique_ext_id"),
        ]
        indexes = [models.Index(fields=["vendor", "account_id", "object_type", "id"])]

    def __str__(self) -> str:
        return f"{self.vendor}:{self.account_id}:{self.object_type}:{self.ext_id}"


class EmuAccount(models.Model):
    """Per vendor account: call counters (the tests' oracle), faults to inject, limits.

    ``faults`` is a queue of ``{"kind": "rate_limit"|"server_error"|"unauthorized",
    "count": n, "retry_after": s, "path": substring}``; each matching call consumes one.
    ``config`` holds knobs such as ``daily_limit`` (Salesforce), ``search_cap`` (HubSpot),
    ``content_notes`` (Salesforce), ``custom_fields`` (extra catalogue entries per object).
    """

    vendor = models.CharField(max_length=16)
    account_id = models.CharField(max_length=64)
    api_calls = models.PositiveIntegerField(default=0)
    write_calls = models.PositiveIntegerField(default=0)
    faults = models.JSONField(default=list, blank=True)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor", "account_id"], name="emu_crm_one_account"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor}:{self.account_id}"
