"""A client's connections (id, kind, provider, status), kept in the shared cache for the intake.

Every lead used to SELECT its client's CRM connections to choose its jobs; the rows change
rarely (a connect, a disconnect, a dead grant), so they are kept in the shared cache (Redis in
production) under the client's id for ``TTL_SECONDS``. Correctness rests on invalidation, as
in ``tenants.api_key_cache``, whose pattern this follows:

- A save of a ``Connection`` that may change its kind, provider, status or client, and any
  delete (a cascade from the client's delete too: a receiver turns Django's fast delete into
  one that sends ``post_delete``), replace the client's entry with a *tombstone*, at once and
  again after commit. ``QuerySet.update()`` sends no signal, so a service that changes those
  fields that way calls ``invalidate`` itself (``connection_mark_needs_reauth``).
- A tombstone means "read the database and do not fill the cache"; an entry is only ever
  written with ``cache.add``, which never overwrites a tombstone, so a request that read the
  rows before a change committed cannot put the old rows back.

A stale entry within those bounds is harmless: a job made for a connection that just stopped
being usable is turned to waiting by the worker, a job made waiting is released by the outbox
sweeper, and a job for a connection deleted meanwhile fails its commit, which the intake
retries from the database (``syncs.intake.api``).
"""

from __future__ import annotations

from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from connectors.models import Connection, ConnectionStatus

TTL_SECONDS = 60
# Outlives any request that read the database before the change and fills the cache after it:
# the read and the fill are adjacent lines of one request, so seconds are plenty. Kept short
# because a new connection tombstones its client too, and every lead of a tombstoned client
# reads the database (a stale entry despite it is bounded by the TTL and harmless, see above).
TOMBSTONE_SECONDS = 10
TOMBSTONE = "invalidated"
# A save touching none of these leaves the entry right (a token refresh, a shadow-mode switch).
CACHED_FIELDS = frozenset({"kind", "provider", "status", "client", "client_id"})


class ConnectionRow(NamedTuple):
    """What a new job needs of a connection: never the tokens."""

    pk: int
    kind: str
    provider: str
    status: str

    @property
    def is_usable(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE


def cache_name(client_id: int) -> str:
    """Versioned: a deploy that changes ``ConnectionRow`` bumps it, so no process unpickles
    rows of the old shape."""
    return f"connections:v1:client:{client_id}"


def client_connections(client_id: int) -> list[ConnectionRow]:
    """The client's connections, oldest first: from the cache, else from the database (and
    then cached unless a tombstone is there)."""
    name = cache_name(client_id)
    entry = cache.get(name)
    if isinstance(entry, list):
        return entry
    rows = [
        ConnectionRow(*values)
        for values in Connection.objects.filter(client_id=client_id)
        .order_by("pk")
        .values_list("pk", "kind", "provider", "status")
    ]
    if entry is None:  # not a tombstone
        cache.add(name, rows, timeout=TTL_SECONDS)
    return rows


def invalidate(client_id: int) -> None:
    """Tombstone the client's entry now and again after the current transaction commits."""
    name = cache_name(client_id)

    def write() -> None:
        cache.set(name, TOMBSTONE, timeout=TOMBSTONE_SECONDS)

    write()
    transaction.on_commit(write)


def _on_save(sender: type, instance: Connection, **kwargs: object) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is None or CACHED_FIELDS.intersection(update_fields):  # type: ignore[arg-type]
        invalidate(instance.client_id)


def _on_delete(sender: type, instance: Connection, **kwargs: object) -> None:
    invalidate(instance.client_id)


def connect_receivers() -> None:
    """Called from ``ConnectorsConfig.ready``."""
    uid = "connectors.connection_cache"
    post_save.connect(_on_save, sender=Connection, dispatch_uid=f"{uid}.save")
    post_delete.connect(_on_delete, sender=Connection, dispatch_uid=f"{uid}.delete")
