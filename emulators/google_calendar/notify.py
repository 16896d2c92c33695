"""Push notifications to ``events.watch`` channels, sent the way Google sends them: a POST
with no body, only headers (VENDORS.md, Google Calendar push; Google's "Push notifications"
guide, https://developers.google.com/workspace/calendar/api/guides/push, read 2026-12-05):
``X-Goog-Channel-ID``, ``X-Goog-Channel-Token`` (when the channel has one),
``X-Goog-Channel-Expiration``, ``X-Goog-Resource-ID``, ``X-Goog-Resource-URI``,
``X-Goog-Resource-State`` (``sync`` when the channel opens, then ``exists``) and
``X-Goog-Message-Number``.

Numbers are taken in the writing transaction, and messages leave after it commits, in order,
from one sender thread per process: Google too notifies after the change, not within the call.
A failed delivery is logged and dropped (Google retries with backoff; the emulator does not).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from email.utils import format_datetime

import requests
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from emulators.google_calendar.models import GCalendar, GChannel

logger = logging.getLogger(__name__)
DELIVERY_TIMEOUT_S = 5.0
API_ROOT = "https://www.googleapis.com/calendar/v3"


@dataclass(frozen=True)
class Message:
    address: str
    headers: dict[str, str]


_outbox: queue.Queue[Message] = queue.Queue()
_sender_lock = threading.Lock()
_sender: threading.Thread | None = None


def resource_uri(calendar: GCalendar) -> str:
    return f"{API_ROOT}/calendars/{calendar.cal_id}/events?alt=json"


def opened(channel: GChannel) -> None:
    """The ``sync`` message a new channel gets first."""
    _queue(channel, "sync")


def changed(calendar: GCalendar) -> None:
    """An ``exists`` message on every live channel of the calendar."""
    live = GChannel.objects.filter(calendar=calendar, stopped=False, expires_at__gt=timezone.now())
    for channel in live:
        _queue(channel, "exists")


def _queue(channel: GChannel, state: str) -> None:
    GChannel.objects.filter(pk=channel.pk).update(message_number=F("message_number") + 1)
    channel.refresh_from_db(fields=["message_number"])
    headers = {
        "X-Goog-Channel-ID": channel.channel_id,
        "X-Goog-Channel-Expiration": format_datetime(channel.expires_at, usegmt=True),
        "X-Goog-Resource-ID": channel.resource_id,
        "X-Goog-Resource-URI": resource_uri(channel.calendar),
        "X-Goog-Resource-State": state,
        "X-Goog-Message-Number": str(channel.message_number),
    }
    if channel.token:
        headers["X-Goog-Channel-Token"] = channel.token
    message = Message(channel.address, headers)
    transaction.on_commit(lambda: _send_later(message))


def _send_later(message: Message) -> None:
    global _sender
    _outbox.put(message)
    with _sender_lock:
        if _sender is None or not _sender.is_alive():
            _sender = threading.Thread(target=_send_forever, name="emu-gcal-push", daemon=True)
            _sender.start()


def _send_forever() -> None:
    while True:
        message = _outbox.get()
        try:
            requests.post(
                message.address, headers=message.headers, data=b"", timeout=DELIVERY_TIMEOUT_S
            )
        except requests.RequestException as exc:
            logger.info("push to a watch address failed: %s", type(exc).__name__)
        finally:
            _outbox.task_done()


def drain() -> None:
    """Wait until every queued message was sent (tests, before they stop their receiver)."""
    _outbox.join()
