"""``seed_demo`` gives the demo client something to book: a service and weekday hours, kept as
staff changed them when it runs again."""

from __future__ import annotations

import io
from datetime import time

import pytest
from django.core.management import call_command

from syncs.calendar.models import BusinessHours, Service
from tenants.models import Client

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "demo-password-123", stdout=out)
    return out.getvalue()


def test_the_demo_client_has_a_service_and_weekday_hours_and_a_rerun_keeps_staff_changes():
    printed = seed()
    client = Client.objects.get(slug="acme-dental")
    service = Service.objects.get(client=client)
    assert service.name == "Consultation" and service.duration_minutes == 30
    hours = BusinessHours.objects.filter(client=client)
    assert sorted(hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert f"/api/v1/availability?service={service.public_id}&start=" in printed
    Service.objects.filter(pk=service.pk).update(duration_minutes=45)
    BusinessHours.objects.filter(client=client, weekday=4).update(end=time(13))
    seed()
    assert Service.objects.get(client=client).duration_minutes == 45
    assert BusinessHours.objects.get(client=client, weekday=4).end == time(13)
    assert BusinessHours.objects.filter(client=client).count() == 5
