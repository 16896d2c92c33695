"""``manage.py find_duplicates FILE.csv``: candidate duplicate pairs as CSV on stdout.

Runs in memory (no database), so the detector can be scored on any labelled file.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.core.management.base import BaseCommand, CommandError, CommandParser

from syncs.dedupe.csvscan import find_pairs, read_people, write_pairs


class Command(BaseCommand):
    help = (
        "Print likely duplicate pairs in a CSV (columns name, email, phone, company; optional "
        "id and region) as CSV: row_a,row_b,score,reasons. The score is a match probability from "
        "a model estimated on the file itself."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file of people")
        parser.add_argument("--region", default="US", help="phone region for numbers without +")
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="lowest probability printed (default: the estimated review threshold)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        region = options["region"].upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise CommandError(f"{region!r} is not a phone region code (e.g. US, GB, DE).")
        try:
            with open(options["file"], newline="", encoding="utf-8-sig") as stream:
                pairs = find_pairs(read_people(stream), region, options["threshold"])
                count = write_pairs(pairs, self.stdout)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from exc
        self.stderr.write(f"{count} candidate pair(s)")
