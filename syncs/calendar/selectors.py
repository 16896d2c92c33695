"""Reads that turn a client's scheduling rows into the plain inputs of
``syncs.calendar.availability``. Every query is scoped to one client."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from connectors.base import BusyInterval
from syncs.calendar import availability
from syncs.calendar.models import BusinessHours, CalendarRole, DateOverride, Service
from tenants.models import Client
from tenants.scoping import for_client


def service_rules(service: Service) -> availability.ServiceRules:
    """A service's rules as the availability functions take them."""
    return availability.ServiceRules(
        duration=timedelta(minutes=service.duration_minutes),
        slot_interval_minutes=service.slot_interval_minutes,
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
        minimum_notice=timedelta(minutes=service.minimum_notice_minutes),
        horizon_days=service.horizon_days,
        max_per_day=service.max_bookings_per_day,
    )


def schedule(client: Client, first: date, last: date) -> availability.Schedule:
    """The client's weekly hours, and the overrides of dates in [first, last], in its zone."""
    weekly: dict[int, list[availability.Hours]] = defaultdict(list)
    for row in for_client(BusinessHours, client):
        weekly[row.weekday].append(availability.Hours(row.start, row.end))
    overrides: dict[date, list[availability.Hours]] = defaultdict(list)
    closed: set[date] = set()
    for o in for_client(DateOverride, client).filter(date__gte=first, date__lte=last):
        if o.closed or o.start is None or o.end is None:
            closed.add(o.date)
        else:
            overrides[o.date].append(availability.Hours(o.start, o.end))
    # A date marked closed stays closed whatever other rows say: never offer a holiday.
    overrides.update({day: [] for day in closed})
    return availability.Schedule(client.time_zone, dict(weekly), dict(overrides))


def reading_roles(client: Client) -> list[CalendarRole]:
    """The calendars whose busy time must be read: those that block or take bookings."""
    roles = [CalendarRole.Role.BLOCKS, CalendarRole.Role.WRITES]
    return list(for_client(CalendarRole, client).filter(role__in=roles))


def calendar_busy(
    roles: Sequence[CalendarRole], busy: Mapping[tuple[int, str], Sequence[BusyInterval]]
) -> list[availability.CalendarBusy]:
    """Each calendar's busy time, keyed by (connection id, calendar id), with its role, policy
    and freshness. A calendar missing from ``busy`` counts as never read (stale), not free."""
    answer = []
    for role in roles:
        key = (role.connection_id, role.calendar_id)
        answer.append(
            availability.CalendarBusy(
                calendar_id=role.calendar_id,
                intervals=tuple(busy.get(key, ())),
                read_at=role.last_read_at if key in busy else None,
                role=role.role,
                time_zone=role.time_zone,
                tentative_blocks=role.tentative == CalendarRole.Tentative.BLOCK,
                stale_after=timedelta(seconds=role.stale_after_seconds),
            )
        )
    return answer
