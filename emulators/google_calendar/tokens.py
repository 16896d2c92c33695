"""Sync and page tokens: opaque to the client, signed so a forged or foreign one is refused.

A sync token names a calendar and the change number its list saw; the calendar forgets
numbers below ``min_sync_seq`` (Google forgets tokens too: 410 GONE, a full sync again).
"""

from __future__ import annotations

from django.core import signing

from emulators.google_calendar import errors
from emulators.google_calendar.models import GCalendar

SYNC_SALT = "emulators.google_calendar.sync"
PAGE_SALT = "emulators.google_calendar.page"


def sync_token(calendar: GCalendar, seq: int) -> str:
    return signing.dumps({"c": calendar.pk, "s": seq}, salt=SYNC_SALT)


def since(calendar: GCalendar, token: str) -> int:
    """The change number a sync token stands for; 410 fullSyncRequired when it is not one of
    this calendar's, or one it has forgotten."""
    try:
        value = signing.loads(token, salt=SYNC_SALT)
    except signing.BadSignature:
        raise errors.full_sync_required() from None
    if not isinstance(value, dict) or value.get("c") != calendar.pk:
        raise errors.full_sync_required()
    seq = value.get("s")
    if not isinstance(seq, int) or seq < calendar.min_sync_seq or seq > calendar.change_seq:
        raise errors.full_sync_required()
    return seq


def page_token(offset: int, snapshot: int, query: str) -> str:
    return signing.dumps({"o": offset, "s": snapshot, "q": query}, salt=PAGE_SALT)


def page(token: str, query: str) -> tuple[int, int]:
    """(offset, snapshot change number) of a page token issued for the same query."""
    try:
        value = signing.loads(token, salt=PAGE_SALT)
    except signing.BadSignature:
        raise errors.invalid("Invalid page token value.", location="pageToken") from None
    if not isinstance(value, dict) or value.get("q") != query:
        raise errors.invalid("Invalid page token value.", location="pageToken")
    return int(value["o"]), int(value["s"])
