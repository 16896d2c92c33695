"""Bookings against the Google Calendar emulator on the live server: a client open 09-17
Berlin time every day, a 30-minute service, the emulated primary calendar taking bookings.

Google's fixtures are reused as they are (every request our client sends is checked against
the discovery document on the way); jobs are published to kombu's in-memory broker
(``tests/syncs/conftest.py``) and run by ``run_jobs`` the way a worker runs them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.utils import timezone

from connectors.models import Connection
from emulators.google_calendar import control
from syncs.calendar.models import BusinessHours, CalendarRole, Service
from syncs.engine.runs import sync_job_run
from syncs.webhooks.models import WebhookMessage
from syncs.webhooks.services import endpoint_create
from tenants.models import Client
from tests.connectors.google.conftest import (  # noqa: F401  (fixtures, used by name)
    discovery_document,
    google,
    sent_requests_fit_the_discovery_document,
)

BERLIN = ZoneInfo("Europe/Berlin")
BOOKING_EVENTS = ["booking.created", "booking.updated", "booking.cancelled"]


@dataclass
class Clinic:
    client: Client
    connection: Connection
    account: str
    role: CalendarRole
    service: Service
    day: date  # a day well inside notice and horizon, in Berlin

    def at(self, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.day, time(hour, minute), tzinfo=BERLIN)

    def events(self) -> list[dict]:
        """Our calendar's events as the emulator stores them (cancelled ones too)."""
        return control.events(self.account)

    def live_events(self) -> list[dict]:
        return [e for e in self.events() if e.get("status") != "cancelled"]

    def put_foreign(self, event_id: str, start: datetime, end: datetime) -> None:
        """An event someone makes in Google's own UI."""
        control.put_event(self.account, "primary", {
            "id": event_id, "summary": "Dentist (private)",
            "start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()},
        })  # fmt: skip


def webhooks(client: Client, event_type: str) -> list[dict]:
    return [
        m.payload
        for m in WebhookMessage.objects.filter(client=client, event_type=event_type).order_by("pk")
    ]


def make_clinic(google, client: Client, **service: object) -> Clinic:  # noqa: F811
    client.time_zone = "Europe/Berlin"
    client.save(update_fields=["time_zone"])
    connection, account = google(client)
    control.primary(account, time_zone="Europe/Berlin")
    for weekday in range(7):
        BusinessHours.objects.create(client=client, weekday=weekday, start=time(9), end=time(17))
    role = CalendarRole.objects.create(
        client=client,
        connection=connection,
        calendar_id="primary",
        name="Front desk",
        time_zone="Europe/Berlin",
        role=CalendarRole.Role.WRITES,
    )
    defaults: dict[str, object] = {"duration_minutes": 30, "slot_interval_minutes": 30}
    svc = Service.objects.create(client=client, name="Consultation", **{**defaults, **service})
    endpoint_create(client=client, url="http://127.0.0.1:1/hook", event_types=BOOKING_EVENTS)
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=3)
    return Clinic(client, connection, account, role, svc, day)


@pytest.fixture
def clinic(google, world) -> Clinic:  # noqa: F811
    return make_clinic(google, world.client_a)


@pytest.fixture
def run_jobs(broker):
    """Run every sync job published so far, as a worker would (repeat until none is left);
    returns their statuses."""

    def run() -> list[str]:
        statuses = []
        while published := broker.drain():
            statuses.extend(sync_job_run(p.job_id) for p in published)
        return statuses

    return run


@pytest.fixture
def worker(run_jobs) -> Iterator[None]:
    """A worker thread running published jobs while a test waits on the API."""
    stop = threading.Event()

    def loop() -> None:
        from tests.conftest import close_kept_alive_sessions

        try:
            while not stop.wait(0.05):
                run_jobs()
        finally:
            close_kept_alive_sessions()
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


def api(live_server, key: str, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    return requests.request(
        method, f"{live_server.url}/api/v1/{path}", headers=headers, timeout=60, **kwargs
    )
