"""The target registry: one explicit dict from a job's ``kind`` to the domain package that
runs it, imported on first use.

A target module implements, over its kind's protocol in ``connectors.base``:

- ``run(job, *, vendor=None) -> str | None``: do the job's work; return the id of what it
  made in the vendor system ('' when only shadow-written), or None when it stopped short and
  set the job's status itself (held for review, waiting for its connection). Raises
  ``ConnectorError`` (``permanent``, ``retry_after``, ``needs_reauth``) for the engine to
  classify. ``vendor`` replaces the connection's client (tests).
- ``undo(record, *, operation, values, client, vendor=None) -> bool``: undo one
  ``ExternalRecord`` as the rollback planned it (``delete`` it, or ``restore`` ``values``);
  True when the vendor said it was already gone.
- ``object_key(record) -> (provider, object type, id)``: the vendor object a record wrote
  (two records on one object are ordered by the rollback).
- ``kept_reason(record) -> str``: why the vendor will not let this write be undone ('' when
  it will); the rollback keeps such a record rather than fail it.
- ``client_for(connection)``: the vendor client for a connection of this kind.

Adding a kind is one package and one line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from connectors.base import ConnectorError

TARGETS: dict[str, str] = {
    "crm": "syncs.crm.sync",
    "calendar": "syncs.calendar.bookings.sync",
    # Declared, built by their own issues: a job of these kinds fails permanently, saying so.
    "pos": "",
}

# The kind of target an AI event's jobs go to: a lead is written to the client's CRM.
LEAD_TARGET = "crm"


class TargetNotBuilt(ConnectorError):
    """A job names a kind no target package runs (yet): permanent, never retried."""

    def __init__(self, kind: str) -> None:
        known = ", ".join(k for k, path in TARGETS.items() if path)
        super().__init__(
            f"No sync target is built for {kind!r} jobs yet (built: {known}).", permanent=True
        )


def target_for(kind: str) -> ModuleType:
    """The target module for ``kind``; raises ``TargetNotBuilt`` (a permanent
    ``ConnectorError``) for a kind declared but not built, or unknown."""
    path = TARGETS.get(kind)
    if not path:
        raise TargetNotBuilt(kind)
    return importlib.import_module(path)


def built_kinds() -> list[str]:
    """The kinds a job may name today."""
    return [kind for kind, path in TARGETS.items() if path]
