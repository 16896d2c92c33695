"""Bookings: a hold the database refuses to overlap, the calendar write on the sync engine,
a fresh busy read that compensates, and the API (``docs/architecture.md``, "Bookings").

- ``models``: ``Booking`` and the no-double-booking constraint's description.
- ``services``: hold, reschedule, cancel, expire (plain functions other packages call).
- ``sync``: the "calendar" target of the engine (write, re-read, confirm or compensate).
"""
