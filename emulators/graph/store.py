"""The emulated mailbox's state and the writes Graph makes to it: events (singles, series,
exceptions, cancelled occurrences), change counters for delta, transactionId dedupe."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from emulators.graph import notify, recurrence, validate, zones
from emulators.graph.models import Calendar, Event, Mailbox

OCCURRENCE_STAMP = "%Y%m%dT%H%M%SZ"


def new_id(prefix: str = "AAMkAGI") -> str:
    """An opaque id shaped like Graph's (base64url; never a "." — occurrence ids use one)."""
    return prefix + secrets.token_urlsafe(33)


def mailbox_for(account_id: str) -> Mailbox:
    """The account's mailbox, made on first use with its default calendar, as a new mailbox
    has one."""
    mailbox, made = Mailbox.objects.get_or_create(account_id=account_id)
    if made:
        Calendar.objects.create(
            mailbox=mailbox,
            ext_id=new_id("AAMkADc"),
            name="Calendar",
            is_default=True,
            owner_email=f"{account_id}@emulated.example",
        )
    return mailbox


def calendar_of(mailbox: Mailbox, calendar_id: str | None) -> Calendar | None:
    rows = Calendar.objects.filter(mailbox=mailbox)
    if calendar_id is None:
        return rows.filter(is_default=True).first()
    return rows.filter(ext_id=calendar_id).first()


def _bump(mailbox: Mailbox) -> int:
    Mailbox.objects.filter(pk=mailbox.pk).update(seq=F("seq") + 1)
    return Mailbox.objects.values_list("seq", flat=True).get(pk=mailbox.pk)


def touch(row: Event) -> None:
    """A new change number, change key and time for a changed row (what delta counts)."""
    row.seq = _bump(row.mailbox)
    row.change_key = secrets.token_urlsafe(12)
    row.updated_at = timezone.now()


# --- finding an event, or an occurrence of a series ---------------------------------------------


@dataclass
class Found:
    """What an event id names: a stored row, or an occurrence of a series (``master`` with the
    occurrence's original ``start``/``end``) that has no row of its own yet."""

    row: Event | None = None
    master: Event | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def etag_row(self) -> Event:
        return self.row or self.master  # type: ignore[return-value]


def occurrence_id(master: Event, start: datetime) -> str:
    return f"{master.ext_id}.{start.astimezone(UTC).strftime(OCCURRENCE_STAMP)}"


def find(mailbox: Mailbox, event_id: str, calendar: Calendar | None = None) -> Found | None:
    rows = Event.objects.filter(mailbox=mailbox, deleted=False, cancelled=False)
    if calendar is not None:
        rows = rows.filter(calendar=calendar)
    row = rows.filter(ext_id=event_id).first()
    if row is not None:
        return Found(row=row)
    master_id, _, stamp = event_id.rpartition(".")
    master = rows.filter(ext_id=master_id, series_master=None).first() if master_id else None
    if master is None or not master.data.get("recurrence"):
        return None
    try:
        original = datetime.strptime(stamp, OCCURRENCE_STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    for start, end in series_occurrences(master, (original, original + timedelta(seconds=1))):
        if start == original:
            if Event.objects.filter(ext_id=event_id).exists():
                return None  # cancelled: the occurrence is gone
            return Found(master=master, start=start, end=end)
    return None


def series_occurrences(master: Event, window: tuple[datetime, datetime]):
    start, end = validate.times(master.data)
    zone_name = master.data["start"]["timeZone"]
    return recurrence.occurrences(master.data["recurrence"], start, end, zone_name, window)


# --- writes -----------------------------------------------------------------------------


def create(mailbox: Mailbox, calendar: Calendar, body: Any) -> tuple[Event, bool]:
    """(event, created): a body with a ``transactionId`` already used in this mailbox returns
    that event instead of a second one (Graph's retry dedupe), also when the two creates race
    (the database's unique constraint decides). Raises ``validate.Refusal``."""
    data = validate.event_body(body, creating=True)
    validate.times(data)
    transaction_id = data.get("transactionId") or ""
    try:
        return _insert(mailbox, calendar, data, transaction_id)
    except IntegrityError:
        existing = _live_transaction(mailbox, transaction_id)
        if existing is None:
            raise
        return existing, False


def _live_transaction(mailbox: Mailbox, transaction_id: str) -> Event | None:
    if not transaction_id:
        return None
    return Event.objects.filter(
        mailbox=mailbox, transaction_id=transaction_id, deleted=False
    ).first()


@transaction.atomic
def _insert(
    mailbox: Mailbox, calendar: Calendar, data: dict[str, Any], transaction_id: str
) -> tuple[Event, bool]:
    existing = _live_transaction(mailbox, transaction_id)
    if existing is not None:
        return existing, False
    now = timezone.now()
    row = Event(
        mailbox=mailbox,
        calendar=calendar,
        ext_id=new_id(),
        data=data,
        transaction_id=transaction_id,
        created_at=now,
        updated_at=now,
    )
    touch(row)
    row.save()
    notify.changed(row, "created")
    return row, True


@transaction.atomic
def update(found: Found, body: Any) -> Event:
    """Apply a PATCH; an occurrence of a series becomes an exception. Raises ``Refusal``."""
    patch = validate.event_body(body, creating=False)
    if "transactionId" in patch and patch["transactionId"] != found.etag_row.transaction_id:
        raise validate.Refusal(400, "ErrorInvalidRequest", "transactionId cannot be changed.")
    row = found.row or _exception_of(found)
    if row.series_master_id is not None and "recurrence" in patch:
        raise validate.Refusal(400, "ErrorInvalidRequest", "An occurrence cannot recur.")
    data = {**row.data, **patch}
    validate.times(data)
    row.data = data
    touch(row)
    row.save()
    notify.changed(row, "updated")
    return row


def _exception_of(found: Found) -> Event:
    """A new exception row for an occurrence (not saved)."""
    master = found.master
    assert master is not None and found.start is not None and found.end is not None
    zone_name = master.data["start"]["timeZone"]
    data = {k: v for k, v in master.data.items() if k not in ("recurrence", "transactionId")}
    data["start"] = zones.render(found.start, zone_name)
    data["end"] = zones.render(found.end, master.data["end"]["timeZone"])
    now = timezone.now()
    return Event(
        mailbox=master.mailbox,
        calendar=master.calendar,
        ext_id=occurrence_id(master, found.start),
        data=data,
        series_master=master,
        original_start=found.start,
        created_at=now,
        updated_at=now,
    )


@transaction.atomic
def delete(found: Found) -> None:
    """Delete an event (a tombstone stays for delta); an occurrence is cancelled; a series
    takes its exceptions with it."""
    row = found.row or _exception_of(found)
    if row.series_master_id is not None:
        row.cancelled = True
    else:
        row.deleted = True
        for exception in row.exceptions.all():
            exception.deleted = True
            touch(exception)
            exception.save()
    touch(row)
    row.save()
    notify.changed(row, "deleted")
