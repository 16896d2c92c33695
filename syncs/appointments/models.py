"""Reminder offsets per client, and the reminders sent (one row per booking, offset and start:
the unique key is what makes a reminder go out once, and a moved booking get a new one)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# Without offsets of its own a client's customers hear a day before and two hours before.
DEFAULT_OFFSETS_MINUTES = (24 * 60, 2 * 60)


class ReminderOffset(models.Model):
    """How long before a booking its customer is reminded (one row per offset)."""

    # Indexed by the (client, minutes_before) constraint, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    minutes_before = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(14 * 24 * 60)]
    )

    class Meta:
        ordering = ["-minutes_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "minutes_before"], name="reminder_offset_once_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes_before} min before"


class Reminder(models.Model):
    """A reminder sent: the webhook was recorded with this row (one transaction); the e-mail
    goes after commit and is tried again by the next beat until it leaves or runs out."""

    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Indexed by the (booking, minutes_before, start) constraint, which it leads.
    booking = models.ForeignKey(
        "syncs.Booking", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    minutes_before = models.PositiveIntegerField()
    start = models.DateTimeField(help_text="The booking's start this reminder was about.")
    sent_at = models.DateTimeField(auto_now_add=True)
    email_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "minutes_before", "start"], name="reminder_once_per_start"
            ),
        ]
        indexes = [models.Index(fields=["client", "-sent_at"], name="reminder_client_sent")]

    def __str__(self) -> str:
        return f"reminder {self.minutes_before} min before {self.start:%Y-%m-%d %H:%M}"
