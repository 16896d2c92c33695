"""Plain SQL for the emulators' per-call hot paths (token check, account row, counters, records).

Why not the ORM there: an emulated vendor call runs a handful of one-row statements, and
building and compiling each ORM query cost the emulator process several times the CPU that
running it did (``benchmarks/emulator_calls.py`` prints the figures). The statements here are
the same ones the ORM sent, written once per process with the backend's own quoting, so they
run unchanged on SQLite and PostgreSQL. Everything off the hot path stays on the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


@cache
def table(model: type[models.Model]) -> str:
    """The model's quoted table name."""
    return connection.ops.quote_name(model._meta.db_table)


@cache
def columns(model: type[models.Model]) -> tuple[str, ...]:
    """Every concrete field's attribute name, in declaration order (the SELECT order)."""
    return tuple(f.attname for f in model._meta.concrete_fields)


@cache
def select_list(model: type[models.Model], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        prefix + connection.ops.quote_name(f.column) for f in model._meta.concrete_fields
    )


def datetime_param(value: datetime) -> Any:
    """A datetime as this backend stores it (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def json_param(value: Any) -> Any:
    """A JSON value as this backend's JSON column takes it."""
    return connection.ops.adapt_json_value(value, None)


def json_has_key(column: str, key: str) -> tuple[str, Any] | None:
    """A condition true for rows whose JSON object in ``column`` has ``key`` (whatever its value,
    JSON null included) and its parameter; None on a backend this does not know."""
    if connection.vendor == "postgresql":
        return f"({column} -> %s::text) IS NOT NULL", key
    if connection.vendor == "sqlite":
        return f"JSON_TYPE({column}, %s) IS NOT NULL", "$." + json.dumps(key)
    return None


def _python(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.loads(value) if isinstance(value, str | bytes) else value
    if isinstance(field, models.DateTimeField):
        if isinstance(value, str):  # SQLite without declared-type parsing
            value = datetime.fromisoformat(value)
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value


def load(model: type[M], values: Sequence[Any]) -> M:
    """A saved instance from a row selected with ``select_list(model)``."""
    fields = model._meta.concrete_fields
    converted = [_python(f, v) for f, v in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, columns(model), converted)


def fetchone(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetchall(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a statement; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert(model: type[models.Model], values: dict[str, Any]) -> int:
    """Insert one row (column name -> value already adapted); its new primary key."""
    q = connection.ops.quote_name
    statement = (
        f"INSERT INTO {table(model)} ({', '.join(q(name) for name in values)})"  # noqa: S608 -- names quoted from the model
        f" VALUES ({', '.join(['%s'] * len(values))})"
    )
    returning = connection.features.can_return_columns_from_insert
    if returning:
        statement += f" RETURNING {q(model._meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, list(values.values()))
        return cursor.fetchone()[0] if returning else cursor.lastrowid
