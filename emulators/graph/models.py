"""The emulated mailboxes' calendars, events and subscriptions (Microsoft's database, not ours)."""

from __future__ import annotations

from django.db import models


class Mailbox(models.Model):
    """One mailbox (the OAuth emulator's account id): its change counter, throttling state,
    queued faults and knobs (``emulators.graph.control``)."""

    account_id = models.CharField(max_length=64, unique=True)
    seq = models.BigIntegerField(default=0)  # bumped by every event write: what delta reads
    window_start = models.DateTimeField(null=True, blank=True)
    window_calls = models.PositiveIntegerField(default=0)
    in_flight = models.IntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)  # calls throttled (429) by the mailbox
    faults = models.JSONField(default=list, blank=True)
    config = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.account_id


class Calendar(models.Model):
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="calendars")
    ext_id = models.CharField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    can_edit = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    owner_email = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.name}"


class Event(models.Model):
    """A single event, a series master, or an exception / cancelled occurrence of a series
    (``series_master`` set, ``original_start`` the occurrence it replaces). A deleted event stays
    as a tombstone (``deleted``) so delta can report it."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="events")
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="events")
    ext_id = models.CharField(max_length=160, unique=True)
    data = models.JSONField(default=dict)  # the event's Graph properties as written
    change_key = models.CharField(max_length=40)
    transaction_id = models.CharField(max_length=255, blank=True, default="")
    series_master = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions"
    )
    original_start = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)  # a cancelled occurrence of a series
    deleted = models.BooleanField(default=False)
    seq = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["calendar", "seq"], name="emu_graph_event_seq")]
        constraints = [
            # Graph's retry dedupe holds under concurrent creates too.
            models.UniqueConstraint(
                fields=["mailbox", "transaction_id"],
                condition=models.Q(deleted=False) & ~models.Q(transaction_id=""),
                name="emu_graph_one_live_tx",
            )
        ]

    def __str__(self) -> str:
        return self.ext_id


class Subscription(models.Model):
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="subscriptions")
    ext_id = models.CharField(max_length=64, unique=True)
    resource = models.CharField(max_length=300)
    calendar = models.ForeignKey(Calendar, null=True, on_delete=models.CASCADE)  # None: all
    change_type = models.CharField(max_length=64)
    notification_url = models.URLField(max_length=500)
    lifecycle_url = models.URLField(max_length=500, blank=True)
    client_state = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.ext_id


class DeltaToken(models.Model):
    """A ``$skiptoken`` (a page of a round) or ``$deltatoken`` (the next round) of a
    calendarView delta: its window and the change counters it covers."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="tokens")
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE)
    token = models.CharField(max_length=64, unique=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    seq_from = models.BigIntegerField()
    seq_to = models.BigIntegerField()
    offset = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.token
