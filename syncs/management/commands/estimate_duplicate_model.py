"""``manage.py estimate_duplicate_model [--client SLUG] [--precision 0.99]``.

Estimates each client's duplicate model from its own people and its staff's review decisions
(merged = one person, dismissed = two), and sets the auto-link threshold from the target
precision. Run it after an import or a CRM scan, and from time to time as reviews accumulate.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from syncs.dedupe.estimation import estimate_for_client
from syncs.dedupe.models import MatchModel
from tenants.models import Client


class Command(BaseCommand):
    help = "Estimate the duplicate model and thresholds of every client (or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", help="the client's slug (default: every client)")
        parser.add_argument(
            "--precision", type=float, help="target precision of automatic links (e.g. 0.99)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        precision = options["precision"]
        if precision is not None and not 0.5 <= precision < 1:
            raise CommandError("--precision must be at least 0.5 and below 1.")
        clients = Client.objects.order_by("pk")
        if options["client"]:
            clients = clients.filter(slug=options["client"])
            if not clients.exists():
                raise CommandError(f"No client {options['client']!r}.")
        for client in clients:
            if precision is not None:
                MatchModel.objects.filter(client=client).update(auto_link_precision=precision)
            model = estimate_for_client(client, auto_precision=precision)
            self.stdout.write(
                f"{client.slug}: {model.people} people, {model.pairs} candidate pairs, "
                f"{model.labels} review decisions; auto-link at p >= {model.auto_link:.4f} "
                f"(expected precision {model.auto_link_expected_precision:.3f}, recall "
                f"{model.auto_link_expected_recall:.3f}); review at p >= {model.review:.4f}"
            )
