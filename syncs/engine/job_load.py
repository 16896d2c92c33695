"""Loading a claimed sync job with everything its run reads, in one prebuilt statement.

A run needs the job, its event, its client, its connection with the connection's field mapping,
and whether the event has other jobs. The ORM can say that in one query
(``select_related`` four ways and an ``Exists``), but compiling it cost more CPU than anything
else a worker does per lead. The statement here is built once per process from the models'
metadata (every column, so nothing is deferred) and the rows become model instances through
the same converters the ORM applies (decrypted tokens, JSON, SQLite's dates and UUIDs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, cast

from django.db import connections
from django.db.models import Field, Model

from connectors.models import Connection
from syncs.models import AiEvent, FieldMapping, SyncJob
from tenants.models import Client

# (alias, model) in the order their columns are selected.
TABLES: tuple[tuple[str, type[Model]], ...] = (
    ("j", SyncJob),
    ("e", AiEvent),
    ("c", Client),
    ("n", Connection),
    ("f", FieldMapping),
)
Converter = Callable[[Any, Any, Any], Any]


# Per column: its field, the column expression the converters are given, and the converters.
Column = tuple[Field, Any, list[Converter]]


@cache
def _statement(alias: str) -> tuple[str, tuple[list[Column], ...]]:
    """The SELECT for database ``alias`` and, per table, its columns with their converters."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    names: list[str] = []
    layout: list[list[Column]] = []
    for table_alias, model in TABLES:
        fields = list(model._meta.concrete_fields)
        # Field.column is Optional in django-stubs: None only on a field not attached to a model.
        names += [f"{table_alias}.{quote(cast(str, f.column))}" for f in fields]
        table_columns: list[Column] = []
        for field in fields:
            col = field.get_col(table_alias)
            chain = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            table_columns.append((field, col, chain))
        layout.append(table_columns)

    def table(model: type[Model]) -> str:
        return quote(model._meta.db_table)

    def column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)  # a forward field, not a reverse relation
        return quote(cast(str, field.column))

    job_pk, event_pk = column(SyncJob, "id"), column(AiEvent, "id")
    sql = (
        f"SELECT {', '.join(names)}, EXISTS (SELECT 1 FROM {table(SyncJob)} o"  # noqa: S608
        f" WHERE o.{column(SyncJob, 'event')} = j.{column(SyncJob, 'event')}"
        f" AND o.{job_pk} <> j.{job_pk})"
        f" FROM {table(SyncJob)} j"
        f" JOIN {table(AiEvent)} e ON e.{event_pk} = j.{column(SyncJob, 'event')}"
        f" JOIN {table(Client)} c ON c.{column(Client, 'id')} = j.{column(SyncJob, 'client')}"
        f" LEFT JOIN {table(Connection)} n"
        f" ON n.{column(Connection, 'id')} = j.{column(SyncJob, 'connection')}"
        f" LEFT JOIN {table(FieldMapping)} f"
        f" ON f.{column(FieldMapping, 'connection')} = n.{column(Connection, 'id')}"
        f" WHERE j.{job_pk} = %s"
    )
    return sql, tuple(layout)


def _instance(
    model: type[Model], alias: str, columns: list[Column], values: Sequence[Any]
) -> Model | None:
    """A model instance as the ORM would build it from this row, or None for no row (a
    LEFT JOIN that found nothing)."""
    if values[0] is None:  # the primary key comes first
        return None
    connection = connections[alias]
    converted = []
    for (_, col, chain), value in zip(columns, values, strict=True):
        for convert in chain:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(alias, [field.attname for field, _, _ in columns], converted)


def load_claimed_job(job_id: int, alias: str = "default") -> SyncJob | None:
    """The job with ``event``, ``client``, ``connection`` and its ``field_mapping`` loaded (no
    further query reaches them) and ``has_siblings`` set; None if there is no such job."""
    sql, layout = _statement(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [job_id])
        row = cursor.fetchone()
    if row is None:
        return None
    instances: list[Model | None] = []
    start = 0
    for (_, model), columns in zip(TABLES, layout, strict=True):
        instances.append(_instance(model, alias, columns, row[start : start + len(columns)]))
        start += len(columns)
    job, event, client = (
        cast(SyncJob, instances[0]),
        cast(AiEvent, instances[1]),
        cast(Client, instances[2]),
    )
    connection = cast(Connection | None, instances[3])
    mapping = cast(FieldMapping | None, instances[4])
    job.event, job.client = event, client
    if event.client_id == client.pk:
        event.client = client  # one tenant; saves a query when the event is announced
    job.connection = connection
    if connection is not None:
        Connection.field_mapping.related.set_cached_value(connection, mapping)
        if mapping is not None:
            FieldMapping.connection.field.set_cached_value(mapping, connection)
    job.has_siblings = bool(row[start])  # type: ignore[attr-defined]
    return job
