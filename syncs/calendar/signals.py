"""What the calendar sync tells the rest of the calendar domain, without importing it.

``calendar_changed`` is sent once per sync pass of one calendar that saw changes, after the
mirror of that calendar is written, with ``client`` (``tenants.Client``), ``role``
(``CalendarRole``) and ``events`` (a tuple of ``connectors.base.CalendarEvent``: moved,
created, declined or cancelled; a deleted event has ``status="cancelled"``). The bookings
package listens: an event carrying our ``booking_id`` updates its booking, and a foreign event
over a confirmed booking is a conflict. A receiver must be idempotent (push and polling may
report the same change twice). It is sent inside the pass's transaction (``syncs.calendar.
sync``), so what a receiver writes commits with the mirror and the new cursor; a receiver that
raises rolls the pass back, and the same changes are read and sent again on its retry. A
receiver must not call a vendor (on SQLite the pass holds the one write lock): it queues a
job, published after commit, for whatever needs a read (``syncs.calendar.bookings.offers``).
"""

from __future__ import annotations

from django.dispatch import Signal

calendar_changed = Signal()
