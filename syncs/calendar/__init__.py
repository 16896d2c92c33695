"""Scheduling, independent of any calendar vendor.

- ``availability``: free slots for a service (pure functions; the DST rules are decided there).
- ``localtime``: wall time in an IANA zone turned into instants across DST changes.
- ``expand``: busy time from iCalendar VEVENTs (CalDAV), recurring events expanded by
  ``recurring-ical-events``.
- ``models`` and ``selectors``: a client's services, business hours, date overrides and the role
  of each connected calendar, read into the plain inputs of ``availability``.
"""
