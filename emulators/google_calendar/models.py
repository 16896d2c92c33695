"""The emulated Google Calendar's own state (Google's database, not ours)."""

from __future__ import annotations

from django.db import models


class GAccount(models.Model):
    """One Google user: quota window, faults to inject, knobs.

    ``faults`` is a queue of ``{"kind", "count", "path"}`` (see ``control.inject_fault``);
    ``config`` holds ``quota_per_minute``, ``quota_status`` (403 or 429) and
    ``allow_http_address`` (tests: watch addresses on a plain-HTTP test server).
    """

    account_id = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_calls = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)  # calls refused for this user's quota
    faults = models.JSONField(default=list, blank=True)
    config = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.account_id


class GProject(models.Model):
    """Our Cloud project as Google counts it: the per-project quota over a sliding minute.

    ``recent`` holds the times (epoch seconds) of the calls admitted in the last minute;
    ``refused`` counts every call refused for the project's quota, so a benchmark can show that
    none was sent over it. ``config`` holds ``quota_per_minute`` and ``quota_status``."""

    name = models.CharField(max_length=64, unique=True, default="default")
    recent = models.JSONField(default=list, blank=True)
    api_calls = models.PositiveBigIntegerField(default=0)
    refused = models.PositiveBigIntegerField(default=0)
    config = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name


class GCalendar(models.Model):
    """A calendar on the user's list. ``change_seq`` numbers every event write (sync tokens
    carry it); tokens below ``min_sync_seq`` are forgotten (410 fullSyncRequired)."""

    account = models.ForeignKey(GAccount, on_delete=models.CASCADE, related_name="calendars")
    cal_id = models.CharField(max_length=200)
    summary = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    access_role = models.CharField(max_length=16, default="owner")
    primary = models.BooleanField(default=False)
    change_seq = models.PositiveBigIntegerField(default=0)
    min_sync_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "cal_id"], name="emu_gcal_one_calendar"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.cal_id}"


class GEvent(models.Model):
    """One event resource as Google stores it (``data`` in Google's JSON), a series master, a
    single event or an exception of a series (``recurring_event_id`` set). ``seq`` is the
    calendar's change number of its last write."""

    calendar = models.ForeignKey(GCalendar, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=1100)
    recurring_event_id = models.CharField(max_length=1024, blank=True)
    data = models.JSONField(default=dict)
    seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "event_id"], name="emu_gcal_one_event"),
        ]
        indexes = [models.Index(fields=["calendar", "seq"])]

    def __str__(self) -> str:
        return self.event_id


class GChannel(models.Model):
    """A push channel opened with ``events.watch``; ``message_number`` is the last one sent."""

    calendar = models.ForeignKey(GCalendar, on_delete=models.CASCADE, related_name="channels")
    channel_id = models.CharField(max_length=64, unique=True)
    resource_id = models.CharField(max_length=64)
    address = models.URLField(max_length=500)
    token = models.CharField(max_length=256, blank=True)
    expires_at = models.DateTimeField()
    message_number = models.PositiveBigIntegerField(default=0)
    stopped = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.channel_id
