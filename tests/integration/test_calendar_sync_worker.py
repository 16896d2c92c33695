"""Calendar sync on a real worker: Google pushes a change to our endpoint (live server), the
endpoint queues a pass through the configured broker, and a Celery worker process reads the
changes and writes the mirror."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulators.google_calendar import control, notify
from syncs.calendar.sync import calendar_sync_run
from syncs.calendar.sync_state.models import CalendarSync, MirroredEvent
from syncs.calendar.watches import keep_channel
from tests.syncs.calendar_sync.conftest import link

from ..worker import celery_worker, purge_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_pushed_change_is_synced_by_a_worker_process(live_server, settings, world):
    settings.VENDOR_BASE_URL = live_server.url + "/emulators"
    settings.PUBLIC_BASE_URL = live_server.url
    settings.CALENDAR_PUSH_ALLOW_HTTP = True
    account = f"google-{world.client_a.slug}"
    linked = link(world.client_a, "google", account, "primary")
    control.configure(account, allow_http_address=True)
    purge_broker()
    calendar_sync_run(linked.sync.pk)
    with celery_worker(name="calsync", VENDOR_BASE_URL=settings.VENDOR_BASE_URL):
        assert keep_channel(linked.sync.pk) == "opened"
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=30)
        made = control.put_event(
            account,
            "primary",
            {
                "summary": "Moved in Google",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
        notify.drain()  # our endpoint answered: the pass is queued, not run, in this process
        wait_for(
            lambda: MirroredEvent.objects.filter(sync=linked.sync, event_id=made["id"]).exists(),
            timeout=60,
        )
    sync = CalendarSync.objects.get(pk=linked.sync.pk)
    assert sync.status == "idle" and sync.synced_requests >= 1
