"""No index is written for nothing: every INSERT pays for each index of its table, and the
intake inserts an event and its jobs per lead, so a redundant index there costs every lead.

Read from PostgreSQL's catalogue after migrating, so the migrations are what is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import connection

from syncs.models import AiEvent, IdempotencyRecord, SyncJob
from tests.conftest import require

OUR_APPS = ("agency", "tenants", "connectors", "syncs")
# Written on every accepted lead (the idempotency record on every keyed one).
INTAKE_TABLES = {m._meta.db_table for m in (AiEvent, SyncJob, IdempotencyRecord)}

INDEXES_SQL = """
SELECT t.relname, i.relname, ix.indisunique OR ix.indisprimary, ix.indpred IS NOT NULL,
       ix.indexprs IS NOT NULL, am.amname,
       ARRAY(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(num, n)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.num ORDER BY k.n),
       ARRAY(SELECT o.opcname FROM unnest(ix.indclass::oid[]) WITH ORDINALITY k(oid, n)
             JOIN pg_opclass o ON o.oid = k.oid ORDER BY k.n)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE t.relname = ANY(%s)
"""


@dataclass(frozen=True)
class Index:
    table: str
    name: str
    unique: bool
    partial: bool
    expression: bool
    method: str
    columns: tuple[str, ...]
    opclasses: tuple[str, ...]

    def serves(self, other: Index) -> bool:
        """True when this index answers every lookup ``other`` answers (its columns and
        operator classes lead this one's), so ``other`` only costs writes. A unique,
        partial or expression index does more than look up, and is never "served"."""
        n = len(other.columns)
        return (
            self.name != other.name
            and self.table == other.table
            and not (other.unique or other.partial or other.expression)
            and not (self.partial or self.expression)
            and self.method == other.method
            and self.columns[:n] == other.columns
            and self.opclasses[:n] == other.opclasses
            and (len(self.columns) > n or self.unique or self.name < other.name)
        )


def _indexes() -> list[Index]:
    tables = sorted(
        {m._meta.db_table for m in apps.get_models() if m._meta.app_label in _our_labels()}
    )
    with connection.cursor() as cursor:
        cursor.execute(INDEXES_SQL, [tables])
        return [
            Index(t, n, u, p, e, m, tuple(cols), tuple(ops))
            for t, n, u, p, e, m, cols, ops in cursor.fetchall()
        ]


def _our_labels() -> set[str]:
    return {c.label for c in apps.get_app_configs() if c.name.startswith(OUR_APPS)}


@pytest.mark.django_db
def test_no_index_is_served_by_another():
    require(connection.vendor == "postgresql", "reads PostgreSQL's catalogue")
    indexes = _indexes()
    assert {i.table for i in indexes} >= INTAKE_TABLES
    redundant = [
        f"{other.table}.{other.name} {other.columns} is served by {index.name} {index.columns}"
        for other in indexes
        for index in indexes
        if index.serves(other)
    ]
    assert redundant == []


@pytest.mark.django_db
def test_the_intake_tables_have_no_like_index():
    """Django adds a ``varchar_pattern_ops`` twin to every indexed CharField for LIKE
    searches; nothing searches these tables' text by prefix, so the twin is written per lead
    for no reader."""
    require(connection.vendor == "postgresql", "reads PostgreSQL's catalogue")
    pattern = [
        f"{i.table}.{i.name} {i.columns}"
        for i in _indexes()
        if i.table in INTAKE_TABLES and any(op.endswith("_pattern_ops") for op in i.opclasses)
    ]
    assert pattern == []


def test_serves_spots_a_leading_prefix_and_respects_what_an_index_does():
    def index(name: str, *columns: str, unique: bool = False, partial: bool = False) -> Index:
        ops = tuple("int4_ops" for _ in columns)
        return Index("t", name, unique, partial, False, "btree", columns, ops)

    single, pair = index("a", "client_id"), index("b", "client_id", "received_at")
    assert pair.serves(single)
    assert not single.serves(pair)
    assert not pair.serves(index("c", "client_id", unique=True))  # it enforces uniqueness
    assert not index("d", "client_id", "kind", partial=True).serves(single)  # some rows only
    assert not index("e", "received_at", "client_id").serves(single)  # not leading
    like = Index("t", "f", False, False, False, "btree", ("slug",), ("varchar_pattern_ops",))
    plain = Index("t", "g", False, False, False, "btree", ("slug",), ("varchar_ops",))
    assert not like.serves(plain) and not plain.serves(like)  # different lookups
