"""Busy time from iCalendar VEVENTs: the expansion lives in ``connectors.ical`` (the CalDAV
client reads busy time with it, and ``connectors`` never imports ``syncs``)."""

from __future__ import annotations

from connectors.ical import busy_from_ical

__all__ = ["busy_from_ical"]
