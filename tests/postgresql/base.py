"""The test run's PostgreSQL backend: Django's own, except how the database is flushed.

Every ``transactional_db`` test (a live server, a worker process: 422 of the suite's tests)
ends with Django's flush, which on PostgreSQL is one ``TRUNCATE`` of every table. TRUNCATE
makes new files for each table and index (about 150 relations here), so it cost 0.5 to 1.5 s
per test on the shared 2-core host, where deleting the few rows a test leaves takes 10-20 ms.
Flushing by ``DELETE`` gives the same result, every table empty, and is what this backend does
(Django documents subclassing a backend to change its behaviour; ``sql_flush`` is the
operation the flush command asks for).

The content types and permissions are kept: after every flush Django's ``post_migrate``
creates them again, as they were (about 200 queries a test; with them kept, it only reads
them, and the whole flush is about 110 queries).

Two cases keep TRUNCATE: a flush that resets sequences (``RESTART IDENTITY``), and a table
with a row trigger that refuses DELETE (the append-only audit log,
``syncs/migrations/0002_audit_append_only.py``): TRUNCATE is no row event, as in production.
Foreign keys are no obstacle to deleting in any order: Django creates them ``DEFERRABLE
INITIALLY DEFERRED`` and the flush runs in one transaction (``execute_sql_flush``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.color import no_style
from django.db import IntegrityError
from django.db.backends.postgresql import base, operations

# Rows that post_migrate (contenttypes, auth) writes back after each flush, and no test adds to.
REFILLED_AFTER_FLUSH = frozenset({"django_content_type", "auth_permission"})


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if not tables or reset_sequences:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        tables = [table for table in tables if table not in REFILLED_AFTER_FLUSH]
        guarded = self._tables_refusing_delete(tables)
        deletes = [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
            if table not in guarded
        ]
        truncate = super().sql_flush(style, sorted(guarded), allow_cascade=allow_cascade)
        return deletes + truncate

    def execute_sql_flush(self, sql_list: list[str]) -> None:
        """The DELETEs in one transaction; if a straggler (a live server's late request, a
        worker's last write) inserted a row meanwhile, a deferred foreign key fails at commit
        and nothing was deleted: then Django's own TRUNCATE of every table, whose locks no
        writer can race."""
        try:
            super().execute_sql_flush(sql_list)
        except IntegrityError:
            tables = self.connection.introspection.django_table_names(
                only_existing=True, include_views=False
            )
            truncate = operations.DatabaseOperations.sql_flush(
                self, no_style(), tables, allow_cascade=True
            )
            super().execute_sql_flush(truncate)

    def _tables_refusing_delete(self, tables: list[str]) -> set[str]:
        """The tables among ``tables`` with a user trigger that fires on DELETE."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT DISTINCT c.relname FROM pg_trigger t
                JOIN pg_class c ON c.oid = t.tgrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE NOT t.tgisinternal AND t.tgtype & 8 = 8
                  AND n.nspname = current_schema() AND c.relname = ANY(%s)
                """,
                [list(tables)],
            )
            return {row[0] for row in cursor.fetchall()}


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
