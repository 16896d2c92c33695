"""A customer opens their booking link in a real browser, signed in nowhere: they see the
booking in their zone, move it to another free slot, then cancel it. Nothing is loaded from
another host (the link must work offline from any CDN and leak nowhere)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pytest

from emulators.google_calendar import control as google_control
from syncs.calendar import customer_link
from syncs.calendar.bookings import services
from syncs.calendar.bookings.models import BookingStatus
from syncs.engine.runs import sync_job_run
from tests.connectors.google.conftest import google  # noqa: F401

from ..syncs.calendar.test_console_bookings import ZONE, at, clinic  # noqa: F401
from ..syncs.conftest import broker  # noqa: F401  (publish to memory://, not the shared folder)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def run_jobs(broker) -> list[str]:  # noqa: F811
    """Run the published calendar jobs as a worker would (the booking's write, its move)."""
    return [sync_job_run(p.job_id) for p in broker.drain()]


def test_a_customer_moves_then_cancels_their_booking(
    browser,
    live_server,
    settings,
    broker,  # noqa: F811
    clinic,  # noqa: F811
):
    c, service, account, monday = clinic
    ann = services.Contact(name="Ann Lee")
    b = services.hold(client=c, service=service, start=at(monday, 10), contact=ann, time_zone=ZONE)
    assert run_jobs(broker) == ["synced"]
    b.refresh_from_db()
    assert b.status == BookingStatus.CONFIRMED and b.provider_event_id
    settings.PUBLIC_BASE_URL = live_server.url
    link = customer_link.reschedule_link(b)
    own, elsewhere = urlsplit(live_server.url).netloc, []
    context = browser.new_context()

    def guard(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{link}?from={monday.isoformat()}")
    assert "10:00" in page.locator("#booking-when").inner_text()  # the booking's zone is Berlin
    page.click("#slots button.slot >> text=15:00")
    page.wait_for_selector(".messages >> text=Your booking is being moved")
    assert page.locator("#booking-status").get_attribute("data-status") == "held"
    b.refresh_from_db()
    assert b.start == at(monday, 15) and b.status == BookingStatus.HELD

    assert run_jobs(broker) == ["synced"]  # the calendar event moved: confirmed again
    page.reload()
    assert page.locator("#booking-status").get_attribute("data-status") == "confirmed"
    live = [e for e in google_control.events(account) if e.get("status") != "cancelled"]
    assert [datetime.fromisoformat(e["start"]["dateTime"]) for e in live] == [at(monday, 15)]
    page.check("#cancel input[name=confirm]")
    page.click("#cancel button[type=submit]")
    page.wait_for_selector(".messages >> text=Your booking is cancelled.")
    b.refresh_from_db()
    assert b.status == BookingStatus.CANCELLED
    assert run_jobs(broker) == ["synced"]  # and its calendar event is cancelled
    assert all(e.get("status") == "cancelled" for e in google_control.events(account))
    assert elsewhere == []
    context.close()
