"""The test run's flush (tests/postgresql on PostgreSQL) leaves every table empty, the
append-only audit log included, as Django's TRUNCATE did; content types and permissions, which
Django's post_migrate writes back after each flush, are the only rows kept."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from syncs.audit.log import audit_log
from syncs.intake.services import event_create
from syncs.models import EventKind

from .postgresql.base import REFILLED_AFTER_FLUSH

pytestmark = pytest.mark.django_db(transaction=True)
KEPT = {ContentType, Permission}


def flush() -> None:
    """As TransactionTestCase flushes after each test (sequences not reset)."""
    call_command(
        "flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True
    )


def test_a_flush_empties_every_table_with_rows_in_it(world):
    audit_log(client=world.client_a, actor="system", action="test.flush")
    event_create(client=world.client_a, kind=EventKind.LEAD_CAPTURED, payload={"email": "a@b.c"})
    with_rows = {m.__name__ for m in apps.get_models() if m.objects.exists()}
    assert {"AuditEntry", "AiEvent", "Client", "ApiKey"} <= with_rows
    flush()
    assert [m.__name__ for m in apps.get_models() if m not in KEPT and m.objects.exists()] == []


POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="tests/postgresql's flush (SQLite's deletes)"
)


@POSTGRESQL_ONLY
def test_the_flush_deletes_rows_and_truncates_only_the_tables_that_refuse_delete():
    """What makes it cheap: one DELETE per table, TRUNCATE only for the audit log's trigger."""
    assert REFILLED_AFTER_FLUSH == {m._meta.db_table for m in KEPT}
    tables = connection.introspection.django_table_names(only_existing=True)
    statements = connection.ops.sql_flush(no_style(), tables)
    assert [s for s in statements if not s.startswith("DELETE FROM")] == [
        'TRUNCATE "syncs_auditentry";'
    ]
    assert len(statements) == len(tables) - len(KEPT)


@POSTGRESQL_ONLY
def test_a_flush_raced_by_a_late_writer_falls_back_to_truncate(world):
    """A row written during the flush (a live server's late request) fails a deferred foreign
    key at commit, undoing every DELETE: the flush then truncates, so the next test starts
    empty (it found the world's agency still there, a duplicate slug, before)."""
    from tenants.models import Agency  # table tenants_agency

    # As if a client row had been written after its table was emptied: only the agencies
    # are deleted, so the clients' foreign key fails when the flush commits.
    connection.ops.execute_sql_flush(['DELETE FROM "tenants_agency";'])
    assert not Agency.objects.exists()
    assert [m.__name__ for m in apps.get_models() if m not in KEPT and m.objects.exists()] == []
