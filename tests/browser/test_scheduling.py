"""Staff set up scheduling in a real browser: from the client page to a new service and
Monday hours, then the availability preview shows the slots around an event in the client's
Google calendar (the emulator behind the same live server), in the client's zone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from emulators.google_calendar import control as google_control
from syncs.calendar.discovery import calendar_roles_discover
from tests.connectors.google.conftest import google  # noqa: F401

from ..syncs.conftest import broker  # noqa: F401  (publish to memory://, not the shared folder)
from .test_console import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_monday() -> date:
    ahead = timezone.now().date() + timedelta(days=7)
    return ahead + timedelta(days=(7 - ahead.weekday()) % 7)


def test_staff_set_a_service_and_hours_and_see_the_slots(page, live_server, world, owner, google):  # noqa: F811
    world.client_a.time_zone = "America/New_York"
    world.client_a.save()
    connection, account = google()
    calendar_roles_discover(connection, actor="system")
    monday = a_monday()
    google_control.put_event(
        account,
        f"{account}@example.com",
        {
            "summary": "Team meeting",
            "start": {"dateTime": f"{monday}T10:00:00-05:00"},
            "end": {"dateTime": f"{monday}T11:00:00-05:00"},
        },
    )
    sign_in(page, live_server.url, owner.email)
    page.goto(f"{live_server.url}/console/clients/{world.client_a.public_id}/")
    page.click("nav.sections >> text=Scheduling")
    page.wait_for_selector("#calendar-connection-google")
    assert "writes" in page.locator("#calendar-connection-google").inner_text()

    page.click("text=Services")
    page.fill("#service-form input[name=name]", "Consultation")
    page.fill("#service-form input[name=duration_minutes]", "30")
    page.fill("#service-form input[name=minimum_notice_minutes]", "60")
    page.click("#service-form button[type=submit]")
    page.wait_for_selector(".messages >> text=Service “Consultation” created.")

    page.click("text=Business hours")
    assert "America/New_York" in page.locator("#hours-zone").inner_text()
    page.select_option("#hours-form select[name=weekday]", "0")
    page.fill("#hours-form input[name=start]", "09:00")
    page.fill("#hours-form input[name=end]", "12:00")
    page.click("#hours-form button[type=submit]")
    page.wait_for_selector("#weekday-0 .window")
    assert page.locator("#weekday-0").inner_text().count("09:00-12:00") == 1

    page.click("text=Availability preview")
    page.select_option("#preview-form select[name=service]", label="Consultation")
    page.fill("#preview-form input[name=first]", monday.isoformat())
    page.fill("#preview-form input[name=last]", monday.isoformat())
    page.click("#preview-form button[type=submit]")
    page.wait_for_selector("#slots")
    row = page.locator(f"#slots-{monday.isoformat()} .slot")
    shown = [text.split()[0] for text in row.all_inner_texts()]
    assert shown == ["09:00", "09:15", "09:30", "11:00", "11:15", "11:30"]
    assert row.first.inner_text().split()[1] == "-0500"
