"""The busy-time seam: a calendar read now is stamped fresh; one whose vendor refused, or whose
connection is not usable, is left out (so reported stale), never answered as free."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import BusyInterval, ConnectorError
from connectors.models import Connection, ConnectionStatus
from syncs.calendar import selectors
from syncs.calendar.availability import stale_calendars
from syncs.calendar.busy import read_busy
from syncs.calendar.models import CalendarRole

pytestmark = pytest.mark.django_db
START = datetime(2026, 12, 7, 8, tzinfo=UTC)
END = START + timedelta(hours=10)
MEETING = BusyInterval(START + timedelta(hours=1), START + timedelta(hours=2), event_id="m1")


class Calendars:
    """A calendar vendor answering from a dict, or refusing every read."""

    def __init__(self, busy: dict[str, list[BusyInterval]] | None) -> None:
        self.busy_by_id = busy
        self.asked: list[tuple[str, ...]] = []

    def busy(self, calendar_ids, start, end):
        self.asked.append(tuple(calendar_ids))
        if self.busy_by_id is None:
            raise ConnectorError("calendar unreachable", retry_after=30)
        return {cid: self.busy_by_id.get(cid, []) for cid in calendar_ids}


def roles(client, connection, *calendar_ids):
    return [
        CalendarRole.objects.create(client=client, connection=connection, calendar_id=cid)
        for cid in calendar_ids
    ]


def test_a_calendar_read_now_is_fresh_and_one_refused_is_stale_not_free(world):
    c = world.client_a
    google = Connection.objects.create(client=c, provider="google", kind="calendar")
    outlook = Connection.objects.create(client=c, provider="outlook", kind="calendar")
    read = roles(c, google, "primary", "team") + roles(c, outlook, "mailbox")
    vendors = {
        google.pk: Calendars({"primary": [MEETING]}),
        outlook.pk: Calendars(None),
    }
    busy = read_busy(read, START, END, vendor=lambda conn: vendors[conn.pk])
    assert busy == {(google.pk, "primary"): [MEETING], (google.pk, "team"): []}
    assert vendors[google.pk].asked == [("primary", "team")]  # one call per connection
    fresh = CalendarRole.objects.filter(last_read_at__isnull=False)
    assert sorted(fresh.values_list("calendar_id", flat=True)) == ["primary", "team"]
    calendars = selectors.calendar_busy(selectors.reading_roles(c), busy)
    assert stale_calendars(calendars, datetime.now(UTC)) == ("mailbox",)


def test_a_connection_that_is_not_usable_is_not_asked_and_its_calendars_are_stale(world):
    c = world.client_a
    google = Connection.objects.create(
        client=c, provider="google", kind="calendar", status=ConnectionStatus.NEEDS_REAUTH
    )
    read = roles(c, google, "primary")
    vendor = Calendars({"primary": [MEETING]})
    assert read_busy(read, START, END, vendor=lambda conn: vendor) == {}
    assert vendor.asked == []
    assert CalendarRole.objects.get().last_read_at is None


@pytest.mark.parametrize(("provider", "from_mirror"), [("google", True), ("caldav", False)])
def test_a_fresh_mirror_answers_only_where_the_vendor_syncs_every_instance_of_a_series(
    world, provider, from_mirror
):
    # A CalDAV change is a whole resource (one row for a weekly series): its mirror would miss
    # every later instance, so its busy time is read from the server however fresh the sync.
    from syncs.calendar.sync_state.models import CalendarSync, MirroredEvent

    c = world.client_a
    connection = Connection.objects.create(client=c, provider=provider, kind="calendar")
    (role,) = roles(c, connection, "work")
    now = datetime.now(UTC)
    sync = CalendarSync.objects.create(
        client=c,
        role=role,
        synced_at=now,
        covered_from=START - timedelta(days=1),
        covered_until=END + timedelta(days=1),
    )
    MirroredEvent.objects.create(
        client=c, sync=sync, event_id="series", start_at=START, end_at=START + timedelta(hours=1)
    )
    vendor = Calendars({"work": [MEETING]})
    busy = read_busy([role], START, END, vendor=lambda conn: vendor)
    got = [i.event_id for i in busy[(connection.pk, "work")]]
    assert got == (["series"] if from_mirror else ["m1"])
    assert vendor.asked == ([] if from_mirror else [("work",)])


def test_with_the_defaults_a_quiet_live_channel_is_polled_before_its_mirror_goes_stale():
    # The safety poll comes before the default stale bound, so between two polls a healthy,
    # quiet channel's mirror answers "current as of now" and the vendor is not read live.
    from django.conf import settings

    from syncs.calendar.freshness import current_as_of
    from syncs.calendar.sync_state.models import CalendarSync

    bound = CalendarRole._meta.get_field("stale_after_seconds").get_default()
    assert settings.CALENDAR_SAFETY_POLL_SECONDS < bound
    now = datetime.now(UTC)
    just_before_the_next_poll = now - timedelta(seconds=settings.CALENDAR_SAFETY_POLL_SECONDS - 1)
    sync = CalendarSync(
        synced_at=just_before_the_next_poll,
        channel_id="ch-1",
        channel_confirmed_at=now - timedelta(hours=1),
        channel_expires_at=now + timedelta(days=1),
    )
    assert current_as_of(sync, now, timedelta(seconds=bound)) == now
