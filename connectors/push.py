"""What a calendar vendor's push notification means, in the vendor's words turned into ours.

Each push-capable vendor package has a ``push`` module (``registry.module_for(slug, "push")``)
with ``read(inbound) -> Reading``: it parses the request the vendor sent (headers, query,
body) and says what it asks of us, without touching the database. The receiving endpoint
(``syncs.calendar.push_views``) then checks each notice against the channel we stored (its
secret compared in constant time) and acts on it. Vendor-specific answers (which status means
"received", which means "unknown channel") are the module's ``ACCEPTED`` and ``UNKNOWN``;
``VALIDATES_ON_OPEN`` says whether the vendor calls our endpoint before it opens a channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# What a notice asks of us.
CHANGED = "changed"  # the calendar changed: pull its changes
OPENED = "opened"  # a new channel says hello (Google's "sync" message): nothing changed
RENEW = "renew"  # the channel needs re-authorising before it lapses (Graph)
RECREATE = "recreate"  # the vendor removed the channel: make a new one (Graph)
RESYNC = "resync"  # notifications were lost: read everything again (Graph "missed")
ACTIONS = (CHANGED, OPENED, RENEW, RECREATE, RESYNC)


class BadPush(ValueError):
    """The request is not a notification this vendor sends (malformed): answered 400."""


def storable(text: str) -> bool:
    """Whether a text the vendor sent can be looked up and stored: PostgreSQL refuses NUL in
    a string and a lone surrogate (a JSON ``\\ud800``) cannot be encoded, either a 500."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Inbound:
    """The parts of an HTTP request a vendor's push reader looks at. Header names are
    lower-cased."""

    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Notice:
    """One notification: which channel (``watch_id``, with the vendor's ``resource_id`` when
    it sends one), the secret it carried (checked against ours), and what it asks."""

    watch_id: str
    secret: str
    action: str
    resource_id: str = ""
    sequence: int | None = None  # the vendor's message number, when it numbers them


@dataclass(frozen=True)
class Reading:
    """What a request asks: ``echo`` is a subscription handshake to answer with that text
    (200 text/plain), else ``notices``."""

    echo: str | None = None
    notices: tuple[Notice, ...] = field(default_factory=tuple)
