"""Re-encrypt every connection token under the newest ``FIELD_ENCRYPTION_KEYS`` key.

Put the new key first, run this, then remove the old key. Idempotent (a row already under the
newest key is rewritten to the same plaintext), in batches, each in its own transaction, and
the raw ciphertext is rotated without ever holding the plaintext in a model instance.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from connectors.crypto import rotate
from connectors.models import Connection

FIELDS = ("access_token", "refresh_token")


class Command(BaseCommand):
    help = "Re-encrypt every connection token under the newest FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: object, batch_size: int = 500, **options: object) -> None:
        table = connection.ops.quote_name(Connection._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f) for f in FIELDS)
        last_id, done = 0, 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608 -- names from the model
                    [last_id, batch_size],
                )
                rows = cursor.fetchall()
                for row_id, *values in rows:
                    rotated = [rotate(v) if v else v for v in values]
                    sets = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in FIELDS)
                    cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [*rotated, row_id])  # noqa: S608
            if not rows:
                break
            last_id, done = rows[-1][0], done + len(rows)
        self.stdout.write(f"Re-encrypted the tokens of {done} connection(s).")
