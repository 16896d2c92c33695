"""``manage.py apply_client_config FILE.yaml``: create or update a client from a file."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tenants.client_config import ConfigError, apply


class Command(BaseCommand):
    help = "Create or update a client from a YAML file (idempotent; all-or-nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+")

    def handle(self, *args, files: list[str], **options) -> None:
        for path in files:
            try:
                client, created = apply(path)
            except ConfigError as exc:
                raise CommandError(str(exc)) from exc
            verb = "Created" if created else "Updated"
            self.stdout.write(
                f"{verb} client {client.slug} ({client.public_id}) of {client.agency.slug}"
            )
