"""The intake's write on PostgreSQL: the event and its sync jobs in one SQL statement.

The ORM path (``syncs.intake.services``) costs four round trips and most of the request's CPU:
SELECT the
client's CRM connections, INSERT the event, INSERT the job, COMMIT. Here one statement with
data-modifying CTEs does all three, so with no Idempotency-Key it runs in autocommit as its
own transaction: one round trip, and the outbox guarantee is unchanged (the event and its jobs
are committed together or not at all; the jobs are published after that commit).

The rules are the ORM path's, written in SQL: one job per CRM connection of the client (the
chosen provider's only, when one is chosen), ``queued`` and stamped as published when the
connection is usable, else ``waiting_connection``; with no connection one waiting job for the
chosen provider; the event waits when no job can run. Column lists come from the models, so
every other column gets its model default; SQLite has no data-modifying CTEs and keeps the
ORM path.
"""

from __future__ import annotations

import select
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import psycopg
from django.db import connections
from django.db.models import Field, Model

from connectors.models import Connection, ConnectionStatus
from syncs.engine.targets import LEAD_TARGET
from syncs.models import AiEvent, EventStatus, JobStatus, SyncJob


@dataclass(frozen=True)
class WrittenJob:
    pk: int
    status: str


@dataclass(frozen=True)
class Written:
    event_pk: int
    jobs: list[WrittenJob]


def _insert_fields(model: type[Model], skip: frozenset[str]) -> list[Field]:
    """The columns the statement inserts for ``model``, in order: every concrete field but the
    primary key and ``skip`` (the statement's text and its parameters both follow this)."""
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]


_GIVEN = object()


def _varies(field: Field) -> bool:
    """True for a default made anew with a different value each time (``uuid4``, ``now``);
    an empty JSON container made by ``dict``/``list`` is the same value every time."""
    return callable(field.default) and field.default not in (dict, list)


@lru_cache(maxsize=16)
def _row_plan(
    model: type[Model], given: frozenset[str], skip: frozenset[str], alias: str
) -> tuple[tuple[Field, Any], ...]:
    """For each column ``_insert_fields`` lists: its field and, for a default that never varies,
    the value as the database takes it, prepared once per process (most of a job's thirteen
    columns are such defaults); ``_GIVEN`` where the value is given or varies per row."""
    connection = connections[alias]
    plan = []
    for field in _insert_fields(model, skip):
        if field.name in given or _varies(field):
            plan.append((field, _GIVEN))
        else:
            plan.append((field, field.get_db_prep_save(field.get_default(), connection)))
    return tuple(plan)


def _prepared_row(
    model: type[Model], given: dict[str, Any], skip: frozenset[str], alias: str
) -> list[Any]:
    """Each inserted column's value, given (by field name) or its default, as the database
    takes it (JSON adapted, datetimes made aware...); fixed defaults come from the plan
    instead of being made and prepared again for every row."""
    connection = connections[alias]
    values = []
    for field, fixed in _row_plan(model, frozenset(given), skip, alias):
        if fixed is not _GIVEN:
            values.append(fixed)
        elif field.name in given:
            values.append(field.get_db_prep_save(given[field.name], connection))
        else:
            values.append(field.get_db_prep_save(field.get_default(), connection))
    return values


# The job columns the statement computes (from the event and the connection), in its order.
JOB_FIELDS_SET_IN_SQL = ("event", "connection", "provider", "status", "published_at")
EVENT_SKIP = frozenset({"status"})
JOB_SKIP = frozenset(JOB_FIELDS_SET_IN_SQL)


@lru_cache(maxsize=8)
def _statement(alias: str, by_provider: bool) -> str:
    """The statement's text, built once per process: only the models' own identifiers are
    formatted in; every value is a bound parameter (see ``write_event_and_jobs`` for order)."""
    quote = connections[alias].ops.quote_name

    def col(model: type[Model], name: str) -> str:
        return quote(model._meta.get_field(name).column)

    event_columns = [f.column for f in _insert_fields(AiEvent, EVENT_SKIP)]
    job_columns = [f.column for f in _insert_fields(SyncJob, JOB_SKIP)]
    where = f"{col(Connection, 'client')} = %s AND {col(Connection, 'kind')} = %s"
    if by_provider:
        where += f" AND {col(Connection, 'provider')} = %s"
    job_set_in_sql = ", ".join(col(SyncJob, name) for name in JOB_FIELDS_SET_IN_SQL)
    return (
        f"WITH conn AS (SELECT {col(Connection, 'id')} AS id, "  # noqa: S608
        f"{col(Connection, 'provider')} AS provider, {col(Connection, 'status')} = %s AS usable "
        f"FROM {quote(Connection._meta.db_table)} WHERE {where}), "
        f"ev AS (INSERT INTO {quote(AiEvent._meta.db_table)} "
        f"({', '.join(quote(c) for c in event_columns)}, {col(AiEvent, 'status')}) "
        f"VALUES ({', '.join(['%s'] * len(event_columns))}, "
        "CASE WHEN EXISTS (SELECT 1 FROM conn WHERE usable) THEN %s ELSE %s END) "
        f"RETURNING {quote(AiEvent._meta.pk.column)} AS id), "
        "target AS (SELECT id, provider, usable FROM conn UNION ALL "
        "SELECT NULL, %s, FALSE WHERE NOT EXISTS (SELECT 1 FROM conn)) "
        f"INSERT INTO {quote(SyncJob._meta.db_table)} "
        f"({', '.join(quote(c) for c in job_columns)}, {job_set_in_sql}) "
        f"SELECT {', '.join(['%s'] * len(job_columns))}, ev.id, target.id, target.provider, "
        "CASE WHEN target.usable THEN %s ELSE %s END, "
        "CASE WHEN target.usable THEN %s::timestamptz END "
        "FROM ev CROSS JOIN target ORDER BY target.id "
        f"RETURNING {quote(SyncJob._meta.pk.column)}, {col(SyncJob, 'status')}, "
        f"{col(SyncJob, 'event')}"
    )


def ensure_live_connection(connection: Any) -> None:
    """Connect, replacing a kept connection the server has ended, without a round trip.

    This statement is sent on the raw connection, past ``cursor()``, where Django runs its
    per-request health check (``CONN_HEALTH_CHECKS``, a ``SELECT 1`` round trip). Without a
    check, the first lead after PostgreSQL restarted or ended the backend (a restart, a
    failover, an idle timeout) got a 500. Here, once per request as Django would, the idle
    socket is polled instead: an ended backend has sent its FATAL message or closed, so the
    socket reads as ready, and the connection is closed and opened anew. A path that died
    without a word (no FIN) is not seen: the statement then fails as any query would.
    """
    if (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block  # a transaction's connection is not swapped
    ):
        try:
            ready, _, _ = select.select([connection.connection.pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.OperationalError):  # no socket left at all
            ready = [True]
        if ready:
            connection.close()
        connection.health_check_done = True
    connection.ensure_connection()


def write_event_and_jobs(
    *,
    client_pk: int,
    crm_provider: str,
    event_fields: dict[str, Any],
    now: datetime,
    using: str = "default",
) -> Written:
    """INSERT the event and its jobs (as ``syncs.intake.services.event_create`` would) at once.

    ``event_fields`` holds the event's own values by field name (``public_id`` included);
    ``status`` and ``received_at`` are decided here. The statement is sent with server-side
    parameters, so psycopg prepares it after ``DB_PREPARE_THRESHOLD`` runs and PostgreSQL
    stops parsing and planning it per request (Django's cursors interpolate parameters into
    the text, and cannot be prepared).
    """
    connection = connections[using]
    event_values = _prepared_row(
        AiEvent, {**event_fields, "client": client_pk, "received_at": now}, EVENT_SKIP, using
    )
    job_values = _prepared_row(
        SyncJob, {"client": client_pk, "kind": LEAD_TARGET, "created_at": now}, JOB_SKIP, using
    )
    params = [
        ConnectionStatus.ACTIVE.value,
        client_pk,
        LEAD_TARGET,
        *([crm_provider] if crm_provider else []),
        *event_values,
        EventStatus.ACCEPTED.value,
        EventStatus.WAITING_CONNECTION.value,
        crm_provider,
        *job_values,
        JobStatus.QUEUED.value,
        JobStatus.WAITING_CONNECTION.value,
        SyncJob._meta.get_field("published_at").get_db_prep_save(now, connection),
    ]
    ensure_live_connection(connection)
    # Django's own wrapper (query logging, execute wrappers) around a server-binding cursor.
    with connection._prepare_cursor(psycopg.Cursor(connection.connection)) as cursor:
        cursor.execute(_statement(using, bool(crm_provider)), params)
        rows = cursor.fetchall()
    return Written(event_pk=rows[0][2], jobs=[WrittenJob(pk, status) for pk, status, _ in rows])
