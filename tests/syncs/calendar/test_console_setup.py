"""Services and business hours in the console: created, edited and deactivated by "configure"
staff, audited; what the models refuse (their clean() and check constraints) and what the
forms check for the client (a name twice, overlapping windows) shown beside the form with a
400; another client's rows are not found through this client's pages."""

from __future__ import annotations

from datetime import date, time

import pytest

from syncs.calendar.models import BusinessHours, DateOverride, Service
from syncs.models import AuditEntry

pytestmark = pytest.mark.django_db

SERVICE = {
    "name": "Cleaning",
    "duration_minutes": "45",
    "buffer_before_minutes": "5",
    "buffer_after_minutes": "10",
    "minimum_notice_minutes": "120",
    "horizon_days": "30",
    "slot_interval_minutes": "15",
    "max_bookings_per_day": "",
    "stale_policy": "refuse",
}


def base(client) -> str:
    return f"/console/clients/{client.public_id}/calendar/"


def test_staff_create_a_service_with_its_rules(client, world, owner):
    client.force_login(owner)
    response = client.post(base(world.client_a) + "services/", SERVICE, follow=True)
    assert "Service “Cleaning” created." in response.content.decode()
    service = Service.objects.get(client=world.client_a)
    assert (service.duration_minutes, service.buffer_after_minutes) == (45, 10)
    assert service.max_bookings_per_day is None and service.stale_policy == "refuse"
    assert AuditEntry.objects.get(action="calendar.service_created").details["horizon_days"] == 30


def test_a_refused_service_comes_back_with_the_reasons(client, world, owner):
    Service.objects.create(client=world.client_a, name="Cleaning", duration_minutes=30)
    client.force_login(owner)
    bad = {**SERVICE, "name": "cleaning", "duration_minutes": "0", "horizon_days": "400"}
    response = client.post(base(world.client_a) + "services/", bad)
    assert response.status_code == 400
    body = response.content.decode()
    assert "already has a service with that name" in body
    assert "greater than or equal to 5" in body  # the model's validator
    assert "less than or equal to 366" in body
    assert Service.objects.count() == 1


def test_the_same_name_is_fine_for_another_client(client, world, owner):
    Service.objects.create(client=world.client_b, name="Cleaning", duration_minutes=30)
    client.force_login(owner)
    assert client.post(base(world.client_a) + "services/", SERVICE).status_code == 302


def test_staff_edit_and_deactivate_a_service(client, world, owner):
    service = Service.objects.create(client=world.client_a, name="Cleaning", duration_minutes=30)
    client.force_login(owner)
    url = base(world.client_a) + f"services/{service.public_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {**SERVICE, "duration_minutes": "60"}).status_code == 302
    response = client.post(url + "active", {"active": "no"}, follow=True)
    assert "is no longer offered" in response.content.decode()
    service.refresh_from_db()
    assert service.duration_minutes == 60 and not service.active
    again = client.post(url + "active", {"active": "no"}, follow=True)
    assert "already was so" in again.content.decode()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"calendar.service_changed", "calendar.service_deactivated"} <= actions


def test_viewers_see_services_and_change_nothing(client, world, viewer):
    service = Service.objects.create(client=world.client_a, name="Cleaning", duration_minutes=30)
    client.force_login(viewer)
    body = client.get(base(world.client_a) + "services/").content.decode()
    assert "Cleaning" in body and "Create service" not in body
    assert client.post(base(world.client_a) + "services/", SERVICE).status_code == 403
    url = base(world.client_a) + f"services/{service.public_id}/active"
    assert client.post(url, {"active": "no"}).status_code == 403


def test_another_clients_service_is_not_found(client, world, owner):
    theirs = Service.objects.create(client=world.client_b, name="Bread", duration_minutes=30)
    client.force_login(owner)
    url = base(world.client_a) + f"services/{theirs.public_id}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "active", {"active": "no"}).status_code == 404
    assert "Bread" not in client.get(base(world.client_a) + "services/").content.decode()
    theirs.refresh_from_db()
    assert theirs.active


def test_split_hours_are_two_windows_shown_in_the_clients_zone(client, world, owner):
    client.force_login(owner)
    for start, end in (("09:00", "12:00"), ("13:00", "00:00")):
        data = {"weekday": "1", "start": start, "end": end}
        assert client.post(base(world.client_a) + "hours/add", data).status_code == 302
    body = client.get(base(world.client_a) + "hours/").content.decode()
    tuesday = body.split('id="weekday-1"')[1].split("</tr>")[0]
    assert "09:00-12:00" in tuesday and "13:00-24:00" in tuesday
    assert f"<strong>{world.client_a.time_zone}</strong>" in body
    assert BusinessHours.objects.filter(client=world.client_a, weekday=1).count() == 2


def test_refused_hours_say_why_in_the_form(client, world, owner):
    BusinessHours.objects.create(client=world.client_a, weekday=0, start=time(9), end=time(12))
    client.force_login(owner)
    inverted = client.post(
        base(world.client_a) + "hours/add", {"weekday": "0", "start": "17:00", "end": "08:00"}
    )
    assert inverted.status_code == 400
    body = inverted.content.decode()
    assert "The end must be after the start" in body  # the model's clean()
    assert "is violated" not in body  # its constraint, saying the same, is not repeated
    overlap = client.post(
        base(world.client_a) + "hours/add", {"weekday": "0", "start": "11:00", "end": "14:00"}
    )
    assert overlap.status_code == 400 and "Overlaps 09:00-12:00" in overlap.content.decode()
    assert BusinessHours.objects.count() == 1


def test_holidays_and_special_hours(client, world, owner):
    client.force_login(owner)
    url = base(world.client_a) + "overrides/add"
    closed = {"date": "2026-12-25", "closed": "on", "note": "Christmas"}
    assert client.post(url, closed).status_code == 302
    both = {"date": "2026-12-26", "closed": "on", "start": "10:00", "end": "12:00"}
    refused = client.post(url, both)
    assert refused.status_code == 400 and "A closed date has no hours." in refused.content.decode()
    no_end = client.post(url, {"date": "2026-12-27", "start": "10:00"})
    assert "Special hours need a start and an end." in no_end.content.decode()
    hours_on_holiday = client.post(url, {"date": "2026-12-25", "start": "10:00", "end": "12:00"})
    assert "That date is closed" in hours_on_holiday.content.decode()
    assert list(DateOverride.objects.values_list("date", "closed")) == [(date(2026, 12, 25), True)]


def test_hours_of_another_client_cannot_be_deleted_from_here(client, world, owner):
    theirs = BusinessHours.objects.create(
        client=world.client_b, weekday=0, start=time(9), end=time(12)
    )
    holiday = DateOverride.objects.create(
        client=world.client_b, date=date(2026, 12, 25), closed=True
    )
    client.force_login(owner)
    assert client.post(base(world.client_a) + f"hours/{theirs.pk}/delete").status_code == 404
    assert client.post(base(world.client_a) + f"overrides/{holiday.pk}/delete").status_code == 404
    assert BusinessHours.objects.count() == 1 and DateOverride.objects.count() == 1


def test_staff_remove_a_window_and_it_is_audited(client, world, owner):
    row = BusinessHours.objects.create(
        client=world.client_a, weekday=2, start=time(9), end=time(12)
    )
    client.force_login(owner)
    assert client.post(base(world.client_a) + f"hours/{row.pk}/delete").status_code == 302
    assert not BusinessHours.objects.exists()
    assert AuditEntry.objects.filter(action="calendar.hours_deleted").count() == 1


def test_each_change_of_hours_is_named_on_the_page(client, world, owner):
    client.force_login(owner)
    added = client.post(
        base(world.client_a) + "hours/add",
        {"weekday": "2", "start": "09:00", "end": "12:00"},
        follow=True,
    )
    assert "Wednesday 09:00-12:00 added." in added.content.decode()
    row = BusinessHours.objects.get(client=world.client_a)
    removed = client.post(base(world.client_a) + f"hours/{row.pk}/delete", follow=True)
    assert "Wednesday 09:00-12:00 removed." in removed.content.decode()
    url = base(world.client_a) + "overrides/add"
    added = client.post(url, {"date": "2026-12-25", "closed": "on"}, follow=True)
    assert "2026-12-25 closed added." in added.content.decode()
    holiday = DateOverride.objects.get(client=world.client_a)
    removed = client.post(base(world.client_a) + f"overrides/{holiday.pk}/delete", follow=True)
    assert "2026-12-25 closed removed." in removed.content.decode()
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == [
        "calendar.hours_added",
        "calendar.hours_deleted",
        "calendar.override_added",
        "calendar.override_deleted",
    ]


def test_a_refused_edit_of_a_service_comes_back_with_its_errors(client, world, owner, viewer):
    service = Service.objects.create(client=world.client_a, name="Cleaning", duration_minutes=30)
    url = base(world.client_a) + f"services/{service.public_id}/"
    client.force_login(owner)
    refused = client.post(url, {**SERVICE, "duration_minutes": "0"})
    assert refused.status_code == 400 and 'value="Cleaning"' in refused.content.decode()
    saved = client.post(url, {**SERVICE, "duration_minutes": "60"}, follow=True)
    assert "Service “Cleaning” saved." in saved.content.decode()
    client.force_login(viewer)
    assert client.post(url, {**SERVICE, "duration_minutes": "90"}).status_code == 403
    service.refresh_from_db()
    assert service.duration_minutes == 60
