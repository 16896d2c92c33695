"""No two live bookings of one calendar overlap, enforced by the database (see
``syncs.calendar.bookings.models``): an exclusion constraint on PostgreSQL, triggers on SQLite.

A ``RunPython`` that asks which database it runs on, like 0002's audit trigger: Django's
``Meta.constraints`` has no per-database constraint, and an ``ExclusionConstraint`` declared
there would break SQLite's ``CREATE TABLE``. The model state never knows either, so
``makemigrations`` stays clean on both. ``CREATE EXTENSION btree_gist`` (for ``=`` on the
resource inside a GiST index) needs no superuser: it is a trusted extension since PostgreSQL 13
(https://www.postgresql.org/docs/current/btree-gist.html, read 2026-12-05).
"""

from django.db import migrations
from django.db.models import F, Func, Q

NAME = "booking_no_overlap"
LIVE = ("held", "confirmed")

# Spelt out (no formatting): the statements are fixed text. The trigger names start with the
# constraint's name, which the service looks for in the error.
SQLITE_OVERLAP = """
SELECT RAISE(ABORT, 'booking_no_overlap') WHERE EXISTS (
    SELECT 1 FROM syncs_booking AS other
    WHERE other.resource_id = NEW.resource_id
      AND other.id IS NOT NEW.id
      AND other.status IN ('held', 'confirmed')
      AND other.buffer_start < NEW.buffer_end
      AND NEW.buffer_start < other.buffer_end
);
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER booking_no_overlap_insert BEFORE INSERT ON syncs_booking"
    " WHEN NEW.status IN ('held', 'confirmed') AND NEW.resource_id IS NOT NULL"
    " BEGIN " + SQLITE_OVERLAP + " END;",
    "CREATE TRIGGER booking_no_overlap_update"
    " BEFORE UPDATE OF status, resource_id, buffer_start, buffer_end ON syncs_booking"
    " WHEN NEW.status IN ('held', 'confirmed') AND NEW.resource_id IS NOT NULL"
    " BEGIN " + SQLITE_OVERLAP + " END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS booking_no_overlap_insert;",
    "DROP TRIGGER IF EXISTS booking_no_overlap_update;",
]


def _exclusion():
    # Imported here: only PostgreSQL needs django.contrib.postgres (psycopg ranges).
    from django.contrib.postgres.constraints import ExclusionConstraint
    from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators

    class TsTzRange(Func):
        function = "TSTZRANGE"
        output_field = DateTimeRangeField()

    return ExclusionConstraint(
        name=NAME,
        expressions=[
            ("resource", RangeOperators.EQUAL),
            (
                TsTzRange(F("buffer_start"), F("buffer_end"), RangeBoundary()),
                RangeOperators.OVERLAPS,
            ),
        ],
        condition=Q(status__in=LIVE),
        violation_error_message="The booking overlaps another booking of the same calendar.",
    )


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist", params=None)
        schema_editor.add_constraint(apps.get_model("syncs", "Booking"), _exclusion())
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)
    else:
        raise RuntimeError(f"bookings cannot be kept from overlapping on {vendor}")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.remove_constraint(apps.get_model("syncs", "Booking"), _exclusion())
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("syncs", "0018_bookings")]

    operations = [migrations.RunPython(forward, backward)]
