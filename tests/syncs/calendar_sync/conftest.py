"""Fixtures of the calendar sync suites: Google and Graph connections on the emulators of a
live server, whose push notifications reach our own endpoint on that server, Celery running
tasks in the calling thread (the endpoint's queued pass runs before it answers), and a real
receiver of ``calendar_changed``."""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from agency.celery import app
from connectors.base import CalendarEvent
from connectors.models import Connection
from emulators.auth import issue_token_for_tests
from syncs.calendar.models import CalendarRole
from syncs.calendar.poll import ensure_syncs
from syncs.calendar.signals import calendar_changed
from syncs.calendar.sync_state.models import CalendarSync
from tests.conftest import close_kept_alive_sessions


@dataclass
class Linked:
    """A client's calendar connection, the role of one of its calendars, and its sync row."""

    connection: Connection
    account: str
    role: CalendarRole
    sync: CalendarSync

    def reload(self) -> CalendarSync:
        self.sync.refresh_from_db()
        return self.sync


@pytest.fixture
def stack(live_server, settings):
    """The product and the emulators on one live server; our public URL is that server."""
    settings.VENDOR_BASE_URL = live_server.url + "/emulators"
    settings.PUBLIC_BASE_URL = live_server.url
    settings.CALENDAR_PUSH_ALLOW_HTTP = True
    settings.VENDOR_INLINE_WAIT_SECONDS = 3.0
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield live_server
    app.conf.task_always_eager = eager
    close_kept_alive_sessions()
    gc.collect()


def link(client, provider: str, account: str, calendar_id: str) -> Linked:
    connection = Connection.objects.create(
        client=client,
        provider=provider,
        kind="calendar",
        external_account_id=account,
        access_token=issue_token_for_tests(provider, account, 3600),
        token_expires_at=timezone.now() + timedelta(hours=1),
    )
    role = CalendarRole.objects.create(
        client=client, connection=connection, calendar_id=calendar_id, time_zone="UTC"
    )
    ensure_syncs()
    return Linked(connection, account, role, CalendarSync.objects.get(role=role))


@pytest.fixture
def google(stack, world) -> Linked:
    from emulators.google_calendar import control

    account = f"google-{world.client_a.slug}"
    linked = link(world.client_a, "google", account, "primary")
    control.configure(account, allow_http_address=True)
    return linked


@pytest.fixture
def graph(stack, world) -> Linked:
    from emulators.graph import control

    account = f"mailbox-{world.client_a.slug}"
    control.configure(account, allow_http_notification_url=True)
    return link(world.client_a, "outlook", account, control.default_calendar(account))


@dataclass
class Changes:
    """What ``calendar_changed`` receivers were sent, as a bookings receiver would see it."""

    sent: list[tuple[int, tuple[CalendarEvent, ...]]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def receive(self, sender, *, client, role, events, **kwargs) -> None:
        with self.arrived:
            self.sent.append((role.pk, events))
            self.arrived.notify_all()

    def events(self) -> list[CalendarEvent]:
        return [event for _, events in self.sent for event in events]

    def wait_for(self, predicate, timeout: float = 15.0) -> list[CalendarEvent]:
        """The events sent so far, once one of them satisfies ``predicate`` (changes arrive
        from the vendor's notification thread); fails the test if none ever does."""
        with self.arrived:
            self.arrived.wait_for(lambda: any(map(predicate, self.events())), timeout=timeout)
        found = self.events()
        assert any(map(predicate, found)), found
        return found


@pytest.fixture
def changes():
    recorder = Changes()
    calendar_changed.connect(recorder.receive, weak=False, dispatch_uid="test-changes")
    yield recorder
    calendar_changed.disconnect(dispatch_uid="test-changes")
