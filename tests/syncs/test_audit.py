"""Audit rows cannot be updated or deleted: not by the model, not by a queryset, and on
PostgreSQL not even by raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from syncs.audit.log import audit_log, staff_actor
from syncs.models import AuditEntry

from ..conftest import require

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    return audit_log(
        client=world.client_a, actor="system", action="crm.contact.created", target="hubspot:1"
    )


def test_it_appends(entry):
    assert AuditEntry.objects.get().action == "crm.contact.created"


def test_an_entry_cannot_be_saved_again(entry):
    entry.action = "nothing.happened"
    with pytest.raises(PermissionError):
        entry.save()
    assert AuditEntry.objects.get().action == "crm.contact.created"


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    assert AuditEntry.objects.count() == 1


def test_a_client_with_audit_entries_cannot_be_deleted_with_them(entry, world):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        world.client_a.delete()


@pytest.mark.parametrize(
    "sql", ["UPDATE syncs_auditentry SET action = 'x'", "DELETE FROM syncs_auditentry"]
)
def test_the_database_refuses_raw_updates_and_deletes(entry, sql):
    require(connection.vendor == "postgresql", "the trigger is PostgreSQL's (DATABASE_URL)")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.get().action == "crm.contact.created"


def test_staff_appear_by_email(owner):
    assert staff_actor(owner) == "staff:owner@northwind.example"
