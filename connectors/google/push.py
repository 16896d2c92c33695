"""Google Calendar ``events.watch`` notifications read as ours (``connectors.push``).

Google's "Push notifications" guide (https://developers.google.com/workspace/calendar/api/
guides/push, read 2026-12-05): a notification is a POST with an empty body and headers only:
``X-Goog-Channel-ID``, ``X-Goog-Channel-Token`` (the token we set on the channel, echoed),
``X-Goog-Resource-ID``, ``X-Goog-Resource-State`` (``sync`` when the channel opens, then
``exists`` or ``not_exists``) and ``X-Goog-Message-Number``. Any of 200, 201, 202, 204 or 102
means received; 500, 502, 503 and 504 are retried with backoff and every other status is a
failed message that is not retried (so an unknown channel gets 404 and is not sent again).
"""

from __future__ import annotations

from connectors.push import CHANGED, OPENED, BadPush, Inbound, Notice, Reading, storable

ACCEPTED = 200
UNKNOWN = 404
# Google opens a channel without calling the address; its first "sync" message proves it.
VALIDATES_ON_OPEN = False
STATES = {"sync": OPENED, "exists": CHANGED, "not_exists": CHANGED}
MAX_HEADER = 1024  # channel ids are at most 64 characters, tokens 256 (Channel schema)
# Google's message numbers are decimal int64 counters; 18 digits always fit our BigIntegerField.
MAX_NUMBER_DIGITS = 18


def read(inbound: Inbound) -> Reading:
    """One notice from the ``X-Goog-*`` headers; raises ``BadPush`` when they are missing
    or not Google's."""
    headers = inbound.headers
    channel = headers.get("x-goog-channel-id", "")
    state = headers.get("x-goog-resource-state", "")
    if not channel or len(channel) > MAX_HEADER or state not in STATES or not storable(channel):
        raise BadPush("not a Google Calendar push notification")
    number = headers.get("x-goog-message-number", "")
    # ``str.isdigit`` alone is true for "²" and other non-ASCII digits that ``int`` refuses.
    if number and not (number.isascii() and number.isdigit() and len(number) <= MAX_NUMBER_DIGITS):
        raise BadPush("X-Goog-Message-Number is not a message number")
    token = headers.get("x-goog-channel-token", "")
    if len(token) > MAX_HEADER or not storable(token):
        raise BadPush("channel token too long or not text")
    return Reading(
        notices=(
            Notice(
                watch_id=channel,
                secret=token,
                action=STATES[state],
                resource_id=headers.get("x-goog-resource-id", "")[:MAX_HEADER],
                sequence=int(number) if number else None,
            ),
        )
    )
