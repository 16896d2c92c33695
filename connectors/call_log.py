"""Where ``ApiCall`` rows go: straight to the database, or into the running job's batch.

A sync job makes several vendor calls and records each write it made as it goes. Inserting each
call's row on its own costs a commit per call; inside ``batch()`` the rows wait in memory and are
written together by ``flush()``, which the job calls in the same transaction as the write record
they led to, and once more when the job ends (whatever way it ends). A worker killed mid-job
loses the rows of the calls since its last flush, never a write record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from connectors.models import ApiCall

_pending: ContextVar[list[ApiCall] | None] = ContextVar("api_call_batch", default=None)


def add(call: ApiCall) -> None:
    """Store ``call`` now, or with the current batch when one is open."""
    pending = _pending.get()
    if pending is None:
        call.save(force_insert=True)
    else:
        pending.append(call)


def flush() -> None:
    """Write the current batch's rows (one INSERT); nothing to do outside a batch."""
    pending = _pending.get()
    if pending:
        ApiCall.objects.bulk_create(pending)
        pending.clear()


@contextmanager
def batch() -> Iterator[None]:
    """Collect the calls made inside this block; they are written at the latest on exit."""
    if _pending.get() is not None:  # nested: the outer batch owns the rows
        yield
        return
    token = _pending.set([])
    try:
        yield
    finally:
        try:
            flush()
        finally:
            _pending.reset(token)
