"""Audit entries are append-only in the database too (PostgreSQL): a trigger refuses UPDATE
and DELETE, whoever issues them. TRUNCATE (test flushes) is not a row event and still works."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION syncs_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit entries are append-only (' || TG_OP || ' refused)',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER syncs_auditentry_append_only
    BEFORE UPDATE OR DELETE ON syncs_auditentry
    FOR EACH ROW EXECUTE FUNCTION syncs_auditentry_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS syncs_auditentry_append_only ON syncs_auditentry;
DROP FUNCTION IF EXISTS syncs_auditentry_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("syncs", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
