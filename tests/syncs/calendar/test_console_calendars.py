"""The Calendars page: each calendar with its role, policy, owner zone and freshness; roles
edited by "configure" staff (audited, one calendar taking bookings); the list refreshed from
the vendor with its refusal shown in its own words; nothing of another client reachable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.models import Connection, ConnectionStatus
from emulators.google_calendar import control as google_control
from emulators.models import EmulatorGrant
from syncs.calendar.models import CalendarRole
from syncs.models import AuditEntry
from tests.connectors.google.conftest import google  # noqa: F401

ROLE = CalendarRole.Role


def page_url(client) -> str:
    return f"/console/clients/{client.public_id}/calendar/calendars/"


def calendar_of(client, calendar_id: str, role: str = ROLE.BLOCKS, **extra) -> CalendarRole:
    connection, _ = Connection.objects.get_or_create(
        client=client, provider="google", defaults={"kind": "calendar"}
    )
    return CalendarRole.objects.create(
        client=client, connection=connection, calendar_id=calendar_id, role=role, **extra
    )


@pytest.mark.django_db
def test_it_shows_each_calendar_with_its_role_zone_and_freshness(client, world, viewer):
    now = timezone.now()
    calendar_of(world.client_a, "front-desk", ROLE.WRITES, name="Front desk",
                time_zone="Europe/Berlin", last_read_at=now - timedelta(seconds=30))  # fmt: skip
    calendar_of(world.client_a, "dentist", name="Dr Who", last_read_at=now - timedelta(hours=1))
    calendar_of(world.client_a, "birthdays", ROLE.IGNORED, name="Birthdays")
    client.force_login(viewer)
    body = client.get(page_url(world.client_a)).content.decode()
    rows = body.split('class="calendar-row"')[1:]
    by_name = {r.split("<td>")[1].split("<br>")[0]: r for r in rows}
    assert "writes" in by_name["Front desk"] and "fresh" in by_name["Front desk"]
    assert "Europe/Berlin" in by_name["Front desk"]
    assert "stale" in by_name["Dr Who"]
    assert f"the client's: {world.client_a.time_zone}" in by_name["Dr Who"]
    assert "not read" in by_name["Birthdays"]
    assert "Refresh calendars" not in body and "<select" not in body  # a viewer only looks
    assert 'id="no-writer"' not in body


@pytest.mark.django_db
def test_it_warns_when_no_calendar_takes_bookings(client, world, viewer):
    calendar_of(world.client_a, "dentist", name="Dr Who")
    client.force_login(viewer)
    body = client.get(page_url(world.client_a)).content.decode()
    assert "No calendar takes bookings" in body


@pytest.mark.django_db
def test_staff_set_a_role_and_the_change_is_audited(client, world, owner):
    role = calendar_of(world.client_a, "dentist", name="Dr Who")
    client.force_login(owner)
    p = f"role{role.pk}-"
    response = client.post(
        f"{page_url(world.client_a)}{role.pk}",
        {p + "role": "ignored", p + "tentative": "free", p + "stale_after_seconds": "900"},
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert (role.role, role.tentative, role.stale_after_seconds) == ("ignored", "free", 900)
    entry = AuditEntry.objects.get(action="calendar.role_changed")
    assert entry.actor == f"staff:{owner.email}"
    assert entry.details["changed"]["role"] == ["blocks", "ignored"]


@pytest.mark.django_db
def test_a_second_calendar_cannot_take_the_bookings_and_the_form_says_why(client, world, owner):
    calendar_of(world.client_a, "front-desk", ROLE.WRITES, name="Front desk")
    role = calendar_of(world.client_a, "dentist", name="Dr Who")
    client.force_login(owner)
    p = f"role{role.pk}-"
    response = client.post(
        f"{page_url(world.client_a)}{role.pk}",
        {p + "role": "writes", p + "tentative": "block", p + "stale_after_seconds": "5"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Bookings already go to “Front desk”" in body
    assert "At least 30 seconds" in body
    role.refresh_from_db()
    assert role.role == ROLE.BLOCKS


@pytest.mark.django_db
def test_only_configure_staff_change_a_role(client, world, operator):
    role = calendar_of(world.client_a, "dentist")
    client.force_login(operator)
    p = f"role{role.pk}-"
    data = {p + "role": "ignored", p + "tentative": "block", p + "stale_after_seconds": "300"}
    assert client.post(f"{page_url(world.client_a)}{role.pk}", data).status_code == 403
    role.refresh_from_db()
    assert role.role == ROLE.BLOCKS


@pytest.mark.django_db
def test_another_clients_calendar_is_not_found_through_this_clients_page(client, world, owner):
    theirs = calendar_of(world.client_b, "bakery")
    outsiders = calendar_of(world.outsider_client, "gym")
    client.force_login(owner)
    for role in (theirs, outsiders):
        p = f"role{role.pk}-"
        data = {p + "role": "ignored", p + "tentative": "block", p + "stale_after_seconds": "300"}
        assert client.post(f"{page_url(world.client_a)}{role.pk}", data).status_code == 404
    assert "bakery" not in client.get(page_url(world.client_a)).content.decode()
    assert set(CalendarRole.objects.values_list("role", flat=True)) == {ROLE.BLOCKS}


@pytest.mark.django_db
def test_outsiders_never_see_the_calendars(client, world, outsider_staff):
    calendar_of(world.client_a, "dentist", name="Dr Who")
    client.force_login(outsider_staff)
    response = client.get(page_url(world.client_a))
    assert response.status_code == 404 and "Dr Who" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_refresh_lists_the_calendars_from_google(client, world, operator, google):  # noqa: F811
    connection, account = google()
    google_control.add_calendar(account, "team@group.example", summary="Team")
    client.force_login(operator)
    response = client.post(f"{page_url(world.client_a)}refresh/{connection.pk}", follow=True)
    body = response.content.decode()
    assert "Google Calendar calendars refreshed: 2 new; 0 unchanged." in body
    assert "Team" in body and "team@group.example" in body


@pytest.mark.django_db(transaction=True)
def test_a_refused_refresh_shows_googles_words_on_the_page(client, world, operator, google):  # noqa: F811
    connection, account = google()
    EmulatorGrant.objects.filter(provider="google", account_id=account).update(
        scopes=["https://www.googleapis.com/auth/calendar.events"]
    )
    client.force_login(operator)
    response = client.post(f"{page_url(world.client_a)}refresh/{connection.pk}", follow=True)
    body = response.content.decode()
    assert "Google Calendar refused the calendar list" in body
    assert body.count("Request had insufficient authentication scopes.") == 2  # message, card


@pytest.mark.django_db
def test_a_connection_that_is_not_usable_is_said_so(client, world, viewer):
    role = calendar_of(world.client_a, "dentist", name="Dr Who")
    Connection.objects.filter(pk=role.connection_id).update(status=ConnectionStatus.NEEDS_REAUTH)
    client.force_login(viewer)
    body = client.get(page_url(world.client_a)).content.decode()
    assert "count as stale until it is reconnected" in body


@pytest.mark.django_db
def test_the_client_page_links_to_scheduling(client, world, viewer):
    client.force_login(viewer)
    body = client.get(f"/console/clients/{world.client_a.public_id}/").content.decode()
    assert f'href="{page_url(world.client_a)}"' in body


@pytest.mark.django_db
def test_a_calendar_with_a_live_push_channel_is_current_though_its_last_read_is_old(
    client, world, viewer
):
    from syncs.calendar.sync_state.models import CalendarSync

    now = timezone.now()
    role = calendar_of(
        world.client_a, "dentist", name="Dr Who", last_read_at=now - timedelta(hours=1)
    )
    CalendarSync.objects.create(
        client=world.client_a, role=role, synced_at=now - timedelta(seconds=20),
        channel_id="ch-1", channel_confirmed_at=now - timedelta(hours=2),
        channel_expires_at=now + timedelta(days=1),
    )  # fmt: skip
    client.force_login(viewer)
    body = client.get(page_url(world.client_a)).content.decode()
    row = body.split(f'id="calendar-{role.pk}"')[1].split("</tr>")[0]
    assert "push channel live" in row and "fresh" in row and "stale" not in row
