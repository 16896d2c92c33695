"""Writes to the emulated calendar: every event write takes the calendar's next change
number (what sync tokens count), a new etag and ``updated``, and notifies its channels."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from emulators.google_calendar import notify
from emulators.google_calendar.errors import GoogleError, not_found
from emulators.google_calendar.models import GAccount, GCalendar, GEvent
from emulators.google_calendar.times import format_instant

WRITER_ROLES = ("owner", "writer")
READER_ROLES = ("owner", "writer", "reader")


def primary_id(account: GAccount) -> str:
    """The primary calendar's id is the user's e-mail address, as at Google."""
    name = account.account_id
    return name if "@" in name else f"{name}@example.com"


def ensure_primary(account: GAccount) -> GCalendar:
    calendar, _ = GCalendar.objects.get_or_create(
        account=account,
        primary=True,
        defaults={
            "cal_id": primary_id(account),
            "summary": primary_id(account),
            "time_zone": str(account.config.get("time_zone", "UTC")),
        },
    )
    return calendar


def calendar_for(account: GAccount, cal_id: str, *, role: tuple[str, ...] = ()) -> GCalendar:
    """The calendar ``cal_id`` names ("primary" too); 404 when the user has none such, 403
    when the user's access role is below ``role``."""
    primary = ensure_primary(account)
    if cal_id in ("primary", primary.cal_id):
        calendar = primary
    else:
        found = GCalendar.objects.filter(account=account, cal_id=cal_id).first()
        if found is None:
            raise not_found()
        calendar = found
    if role and calendar.access_role not in role:
        level = "writer" if role == WRITER_ROLES else "reader"
        raise GoogleError(
            403, f"You need to have {level} access to this calendar.", "requiredAccessLevel"
        )
    return calendar


def new_event_id() -> str:
    return uuid.uuid4().hex  # hex digits are base32hex characters


def write(
    calendar: GCalendar, event_id: str, data: dict[str, Any], *, create: bool = False
) -> GEvent:
    """Store the event (insert when ``create``: 409 if the id exists, deleted or not)."""
    with transaction.atomic():
        locked = GCalendar.objects.select_for_update().get(pk=calendar.pk)
        locked.change_seq += 1
        locked.save(update_fields=["change_seq"])
        now = timezone.now()
        data = {**data, "id": event_id, "updated": format_instant(now)}
        data["etag"] = f'"{int(now.timestamp() * 1000)}{locked.change_seq:06d}"'
        values = {
            "data": data,
            "seq": locked.change_seq,
            "recurring_event_id": str(data.get("recurringEventId", "")),
        }
        if create:
            try:
                with transaction.atomic():
                    row = GEvent.objects.create(calendar=locked, event_id=event_id, **values)
            except IntegrityError:
                raise GoogleError(
                    409, "The requested identifier already exists.", "duplicate"
                ) from None
        else:
            row, _ = GEvent.objects.update_or_create(
                calendar=locked, event_id=event_id, defaults=values
            )
        notify.changed(locked)
    return row


def created_fields(calendar: GCalendar, event_id: str) -> dict[str, Any]:
    """What Google adds to a new event."""
    now = format_instant(timezone.now())
    me = {"email": primary_id(calendar.account), "self": True}
    return {
        "kind": "calendar#event",
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
        "created": now,
        "creator": me,
        "organizer": {"email": calendar.cal_id, "self": True},
        "iCalUID": f"{event_id}@google.com",
        "sequence": 0,
        "reminders": {"useDefault": True},
        "eventType": "default",
    }
