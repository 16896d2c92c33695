"""Seed a demo agency, a demo client, a staff login, an API key and something to book, and print
them. Here in ``syncs``, the top of the package order, because the demo spans every app.

Idempotent: running it again keeps the same agency, client and user, resets the demo password
and issues a fresh key (revoking the previous demo key), since a raw key cannot be shown twice.
"""

from __future__ import annotations

import os
import secrets
from datetime import time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from syncs.calendar.models import BusinessHours, Service
from tenants.models import Agency, ApiKey, Client, Membership, Role

DEMO_EMAIL = "demo@switchboard.local"
DEMO_KEY_NAME = "Demo chatbot"


class Command(BaseCommand):
    help = "Create or refresh the demo agency, client, staff user and API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", ""),
            help="Staff password (default: a new random one each run).",
        )
        parser.add_argument("--base-url", default="")

    @transaction.atomic
    def handle(self, *args: Any, password: str, base_url: str, **options: Any) -> None:
        from django.conf import settings

        agency, _ = Agency.objects.get_or_create(
            slug="demo-agency", defaults={"name": "Demo Agency"}
        )
        client, _ = Client.objects.get_or_create(
            agency=agency,
            slug="acme-dental",
            defaults={
                "name": "Acme Dental",
                "time_zone": "America/New_York",
                "default_region": "US",
                "contact_email": "owner@acme-dental.example",
                "crm_provider": "hubspot",
                "calendar_provider": "google",
                "pos_provider": "square",
            },
        )
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=DEMO_EMAIL, defaults={"email": DEMO_EMAIL}
        )
        password = password or secrets.token_urlsafe(12)
        user.email = DEMO_EMAIL
        user.set_password(password)
        user.save()
        self._verify_email(user)
        Membership.objects.update_or_create(user=user, agency=agency, defaults={"role": Role.OWNER})
        for old in ApiKey.objects.filter(
            client=client, name=DEMO_KEY_NAME, revoked_at__isnull=True
        ):
            old.revoke()
        _, raw_key = ApiKey.issue(client=client, name=DEMO_KEY_NAME, created_by=user)
        service = self._schedule(client)
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        week = [f"{day:%Y-%m-%dT%H:%M:%SZ}" for day in (today, today + timedelta(days=7))]
        url = base_url or settings.PUBLIC_BASE_URL
        self.stdout.write(
            "\nSwitchboard demo is ready\n"
            f"  Console:   {url}/console/\n"
            f"  Staff:     {DEMO_EMAIL} / {password}\n"
            f"  Client:    {client.name} ({client.public_id})\n"
            f"  API key:   {raw_key}\n"
            f"  API docs:  {url}/api/docs/\n"
            f"  Try:       curl -H 'Authorization: Bearer {raw_key}' {url}/api/v1/me\n"
            f"  Slots:     (once the calendar is connected) curl -H 'Authorization: Bearer "
            f"{raw_key}' '{url}/api/v1/availability?service={service.public_id}"
            f"&start={week[0]}&end={week[1]}&time_zone={client.time_zone}'\n"
        )

    @staticmethod
    def _schedule(client: Client) -> Service:
        """A bookable service and weekday hours, so availability answers once the demo's
        calendar is connected; staff's own changes are kept on a re-run."""

        service, _ = Service.objects.get_or_create(
            client=client,
            name="Consultation",
            defaults={"duration_minutes": 30, "buffer_after_minutes": 10},
        )
        if not BusinessHours.objects.filter(client=client).exists():
            BusinessHours.objects.bulk_create(
                BusinessHours(client=client, weekday=day, start=time(9), end=time(17))
                for day in range(5)
            )
        return service

    @staticmethod
    def _verify_email(user: Any) -> None:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
